"""Footprint of an organisation's stored fleet, cached.

The footprint of a stored fleet does not change until the next import, a change of the
organisation's settings (reporting year, staff count, population) or of the referential: the
cache key holds all of them, so an entry is never stale, only unused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class FootprintCache(Generic[T]):
    """A small thread-safe LRU cache; the value is computed once per key."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 0)
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key, even when many requests ask at once
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = compute()
            with self._lock:
                if self.size:
                    self._items[key] = value
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
