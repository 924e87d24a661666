"""Group commit for one process: requests that arrive while a write is running are written
together by the next one.

`submit(item)` queues the item and waits for its own result. One writer task runs at a time; it
takes everything queued (up to `max_items`), calls `write(items)` and hands each caller its result
or its exception. Nothing waits for a timer: a lone request is written at once (a batch of one),
and under load the batches grow by themselves — each write then costs the same few statements
and one commit for many requests (used by widget intake, widget/batch.py)."""

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
    def __init__(self, write: Writer[T, R], *, max_items: int = 32) -> None:
        self._write = write
        self._max = max_items
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, fut))
        if self._task is None or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run())
        # Shielded: a caller that goes away (client disconnect) does not cancel the write of the
        # others' items; its own item is still written, as a request cancelled mid-commit would be.
        return await asyncio.shield(fut)

    async def _run(self) -> None:
        try:
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
        finally:
            self._task = None

    async def drain(self) -> None:
        """Wait until everything submitted so far is written (shutdown)."""
        while self._task is not None:
            await asyncio.shield(self._task)
