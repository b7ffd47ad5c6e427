"""Results of pure computations kept by the content of their inputs, so never stale.

The council report, the strategy indicators and the year's freeze all compute the footprint
of the same fleet at 31 December; :class:`Memo` keeps it by a digest of that fleet (and the
referential version and parameters), so asking again (another year's page, the PDF after the
indicators, a second user) reads it instead of recomputing it.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")


def fleet_digest(fleet: pa.Table) -> str:
    """SHA-256 of a table's content (schema and rows, in their order)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, fleet.schema) as writer:
        writer.write_table(fleet)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


_referential_digests: dict[int, str] = {}
_digests_lock = threading.Lock()


def referential_digest(ref: Any) -> str:
    """SHA-256 of a referential's version and tables, computed once per referential object
    (two referentials with the same version but other figures, as tests build, differ)."""
    with _digests_lock:
        known = _referential_digests.get(id(ref))
    if known is not None:
        return known
    digest = hashlib.sha256(str(ref.version).encode("utf-8"))
    for name in ("sources", "categories", "factors", "electricity"):
        digest.update(fleet_digest(getattr(ref, name)).encode("ascii"))
    value = digest.hexdigest()
    with _digests_lock:
        _referential_digests[id(ref)] = value
    # Forgotten with the object, so that a new object at the same address is digested anew.
    weakref.finalize(ref, _referential_digests.pop, id(ref), None)
    return value


class Memo:
    """A small thread-safe LRU; the value of a key is computed once even when asked at once
    by several threads. Failures are not kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                found: T = self._items[key]
                return found
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    kept: T = self._items[key]
                    return kept
            try:
                value = compute()
            finally:
                with self._lock:
                    self._key_locks.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value
