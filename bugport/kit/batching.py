"""Group commit for one process: requests that arrive while a write is running are written
together by the next one.

`submit(item)` queues the item and waits for its own result. A writer task takes everything
queued (up to `max_items`), calls `write(items)` and hands each caller its result or its
exception. A lone request is written at once (a batch of one), and under load the batches grow by
themselves — each write then costs the same few statements and one commit for many requests
(widget intake, widget/batch.py; rate-limit budgets in Redis, kit/ratelimit.py). Up to `writers`
batches are in flight at once, so one batch's database round trips overlap the next one's work.

`linger`: the caller announces each request with `expect()` when it arrives and closes the
announcement when it is answered. A writer about to start a batch waits, up to `linger` seconds,
while announced requests are neither queued nor answered: the previous batch's answers go out
first, and requests still being read and checked join this batch. A batch has a fixed cost (its
transaction and statements), so a few milliseconds spent gathering them costs less than writing
them in several batches (bench/RESULTS-widget.md). A lone request waits for nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger("bugport.batching")

T = TypeVar("T")
R = TypeVar("R")

# write(items) returns one entry per item, in order: its result or the exception to raise for it.
Writer = Callable[[list[T]], Awaitable[list[R | BaseException]]]


class Expected:
    """One request announced to a batcher, from its arrival until it is answered (`done`)."""

    def __init__(self, batcher: Batcher[Any, Any]) -> None:
        self._batcher = batcher
        self._open = True
        batcher._on_the_way += 1

    def done(self) -> None:
        if self._open:
            self._open = False
            self._batcher._on_the_way -= 1
            self._batcher._wake()


class Batcher(Generic[T, R]):
    def __init__(
        self,
        write: Writer[T, R],
        *,
        max_items: int = 32,
        writers: int = 1,
        linger: float = 0.0,
    ) -> None:
        self._write = write
        self._max = max_items
        self._writers = writers
        self._linger = linger
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_the_way = 0
        self._arrival: asyncio.Event | None = None

    @property
    def announced(self) -> int:
        """Announced requests not answered yet."""
        return self._on_the_way

    def expect(self) -> Expected:
        """Announce an arriving request (see `linger`); call `done()` once it is answered."""
        return Expected(self)

    def _wake(self) -> None:
        if self._arrival is not None:
            self._arrival.set()

    async def _gather(self) -> None:
        """Before a batch: wait up to `linger` while announced requests are neither queued nor
        answered."""
        if not self._linger:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._linger
        while self._on_the_way > len(self._queue) and len(self._queue) < self._max:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._arrival = asyncio.Event()
            try:
                await asyncio.wait_for(self._arrival.wait(), remaining)
            except TimeoutError:
                return
            finally:
                self._arrival = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, fut))
        self._wake()
        # (A task of an event loop that is gone, as between test loops, doesn't count.)
        self._tasks = {t for t in self._tasks if not t.done() and t.get_loop() is loop}
        if len(self._tasks) < self._writers:
            self._tasks.add(loop.create_task(self._run()))
        # Shielded: a caller that goes away (client disconnect) does not cancel the write of the
        # others' items; its own item is still written, as a request cancelled mid-commit would be.
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        while self._queue:
            await self._gather()
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
