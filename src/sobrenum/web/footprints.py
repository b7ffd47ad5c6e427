"""Heavy computations of the web app (footprints, indicators, reports, uncertainty), bounded.

:class:`Computations` runs them on a small pool of worker threads, outside the request
threads; a request waits for its result at most ``wait_seconds`` and then gets
:class:`ServerBusy` (a French 503 with ``Retry-After``), never a hang. The computation goes
on, so the same request asked again soon finds it done (kept results) or joins it.

The same computation asked several times at once runs once (single flight, by key): every
request waiting for that key gets the one result. Kept results form a small LRU cache; a key
holds everything the result depends on (for a footprint: the fleet version, the referential
version and the settings that enter the computation), so an entry is never stale, only
unused. Results asked with ``keep=False`` are shared only while they run.
"""

from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")


class ServerBusy(Exception):
    """The server could not answer in time; the client should retry after ``retry_after`` s.

    Not a :class:`~sobrenum.domain.SobrenumError`: the routes that turn those into a 400 or
    404 must let this one through to its 503.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def computations_busy(retry_after: int) -> ServerBusy:
    return ServerBusy(
        "Le serveur est occupé par d'autres calculs : réessayez dans "
        f"{retry_after} secondes (votre calcul se poursuit).",
        retry_after,
    )


class Computations:
    """Single-flight computations with an LRU of kept results, run on ``workers`` threads.

    ``workers=0`` runs a computation in the thread of the first request that asks for it
    (for light work: database counts), still once per key and still bounded in waiting.
    ``queue`` bounds the computations waiting for a worker: beyond it a request is refused
    at once with :class:`ServerBusy` rather than queued for nothing.
    """

    def __init__(
        self,
        size: int,
        *,
        workers: int = 0,
        wait_seconds: float = 20.0,
        queue: int = 32,
        retry_after: int = 10,
    ) -> None:
        self.size = max(size, 0)
        self.workers = max(workers, 0)
        self.wait_seconds = wait_seconds
        self.queue = max(queue, 0)
        self.retry_after = retry_after
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, Future[Any]] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None  # started with the first computation
        self.runs = 0
        """Computations actually run (for tests and benchmarks)."""

    def get_or_compute(self, key: Hashable, compute: Callable[[], T], *, keep: bool = True) -> T:
        """The result of ``compute`` for ``key``: kept, running (joined) or started now."""
        leader = False
        with self._lock:
            if keep and key in self._items:
                self._items.move_to_end(key)
                value: T = self._items[key]
                return value
            future = self._running.get(key)
            executor = None
            if future is None:
                if self.workers and len(self._running) >= self.workers + self.queue:
                    raise computations_busy(self.retry_after)
                if self.workers and self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self.workers, thread_name_prefix="sobrenum-calcul"
                    )
                executor = self._executor
                future = Future()
                self._running[key] = future
                self.runs += 1
                leader = True
        if leader:
            context = contextvars.copy_context()  # language and the like follow the work
            if executor is None:
                self._run(key, future, compute, keep, context)
            else:
                executor.submit(self._run, key, future, compute, keep, context)
        try:
            result: T = future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            raise computations_busy(self.retry_after) from None
        return result

    def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Like :meth:`get_or_compute`, the result shared only while it runs."""
        return self.get_or_compute(key, compute, keep=False)

    def _run(
        self,
        key: Hashable,
        future: Future[Any],
        compute: Callable[[], Any],
        keep: bool,
        context: contextvars.Context,
    ) -> None:
        try:
            value = context.run(compute)
        except BaseException as exc:
            with self._lock:
                self._running.pop(key, None)
            future.set_exception(exc)
            return
        with self._lock:
            if keep and self.size:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            self._running.pop(key, None)
        future.set_result(value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def shutdown(self) -> None:
        """Let the workers stop once their computations end (the app is stopping); a later
        computation starts new ones (an app may be started again, as tests do)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
