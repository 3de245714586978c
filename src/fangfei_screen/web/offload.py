"""Work that can block, taken off the event loop: in a bounded pool of threads, or in a
worker process of its own for pure-Python work that would hold the interpreter lock
(parsing and comparing an uploaded list). Each lane admits a bounded number of waiting
calls; past it the caller is told the service is busy instead of queueing forever."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio
from starlette.requests import Request

from ..workers import die_with_parent, pool_initargs

T = TypeVar("T")
PAGE_THREADS = 8
PAGE_WAITING = 64
PROCESS_WAITING = 4


class Busy(Exception):
    """More calls are waiting for a lane than it admits."""


class Offload:
    """The pages' lanes. Used from the event loop only."""

    def __init__(self, *, threads: int = PAGE_THREADS, waiting: int = PAGE_WAITING) -> None:
        self._limiter = anyio.CapacityLimiter(threads)
        self._waiting_max = waiting
        self._waiting = 0
        self._process_waiting = 0
        self._pool: ProcessPoolExecutor | None = None

    async def thread(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread."""
        if self._waiting >= self._waiting_max:
            raise Busy()
        self._waiting += 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self._waiting -= 1

    async def page(self, request: Request, handler: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """An ``async`` page handler run whole in a worker thread: the form is read here on
        the loop (Starlette keeps it on the request), then the handler's own ``await
        request.form()`` finds it and the rest (database, files, screening) runs in the thread."""
        if request.method == "POST":
            await request.form()
        return await self.thread(_run_coroutine, handler, request, *args)

    async def process(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the lanes' worker process (picklable arguments, one call at a time)."""
        if self._process_waiting >= PROCESS_WAITING:
            raise Busy()
        self._process_waiting += 1
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=die_with_parent, initargs=pool_initargs())
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
            except BrokenProcessPool:
                self._pool = None  # killed or out of memory: the next call starts another
                raise Busy() from None
        finally:
            self._process_waiting -= 1

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _run_coroutine(handler: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    return asyncio.run(handler(*args))
