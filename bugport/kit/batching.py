"""Group commit for one process: requests that arrive while a write is running are written
together by the next one.

`submit(item)` queues the item and waits for its own result. A writer task takes everything
queued (up to `max_items`), calls `write(items)` and hands each caller its result or its
exception. Nothing waits for a timer: a lone request is written at once (a batch of one), and
under load the batches grow by themselves — each write then costs the same few statements and one
commit for many requests (widget intake, widget/batch.py; rate-limit budgets in Redis,
kit/ratelimit.py). Up to `writers` batches are in
flight at once, so one batch's database round trips overlap the next one's work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("bugport.batching")

T = TypeVar("T")
R = TypeVar("R")

# write(items) returns one entry per item, in order: its result or the exception to raise for it.
Writer = Callable[[list[T]], Awaitable[list[R | BaseException]]]


class Batcher(Generic[T, R]):
    def __init__(self, write: Writer[T, R], *, max_items: int = 32, writers: int = 1) -> None:
        self._write = write
        self._max = max_items
        self._writers = writers
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, fut))
        # (A task of an event loop that is gone, as between test loops, doesn't count.)
        self._tasks = {t for t in self._tasks if not t.done() and t.get_loop() is loop}
        if len(self._tasks) < self._writers:
            self._tasks.add(loop.create_task(self._run()))
        # Shielded: a caller that goes away (client disconnect) does not cancel the write of the
        # others' items; its own item is still written, as a request cancelled mid-commit would be.
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            items = [item for item, _ in batch]
            try:
                results = await self._write(items)
            except BaseException as exc:  # every caller of this batch gets the failure
                results = [exc] * len(batch)
                if not isinstance(exc, Exception):
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    raise
            for (_, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, BaseException):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (shutdown)."""
        while self._tasks:
            await asyncio.gather(*(asyncio.shield(t) for t in list(self._tasks)))
            self._tasks = {t for t in self._tasks if not t.done()}
