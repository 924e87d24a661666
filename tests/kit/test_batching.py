"""Group commit's gathering (kit/batching.py `linger`): a batch waits for announced requests that
are neither queued nor answered, never for nothing, and never longer than `linger`."""

from __future__ import annotations

import asyncio
import time

from bugport.kit.batching import Batcher


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def write(self, items: list[str]) -> list[str | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(0)
        return [f"ok {i}" for i in items]


async def test_a_lone_request_waits_for_nothing() -> None:
    rec = Recorder()
    b = Batcher(rec.write, linger=10.0)
    mine = b.expect()
    started = time.monotonic()
    assert await b.submit("a") == "ok a"
    mine.done()
    assert time.monotonic() - started < 1.0 and rec.batches == [["a"]]


async def test_a_batch_waits_for_an_announced_request() -> None:
    rec = Recorder()
    b = Batcher(rec.write, linger=10.0)
    first, second = b.expect(), b.expect()

    async def request(item: str, expected: object, delay: float) -> str:
        await asyncio.sleep(delay)
        try:
            return await b.submit(item)
        finally:
            expected.done()  # type: ignore[attr-defined]

    results = await asyncio.gather(request("a", first, 0), request("b", second, 0.05))
    assert results == ["ok a", "ok b"]
    assert rec.batches == [["a", "b"]]  # without the gathering: [["a"], ["b"]]


async def test_a_request_that_ends_without_submitting_stops_the_wait() -> None:
    rec = Recorder()
    b = Batcher(rec.write, linger=10.0)
    announced, refused = b.expect(), b.expect()

    async def refuse_later() -> None:
        await asyncio.sleep(0.05)
        refused.done()  # e.g. answered 429 before it reached the batcher

    started = time.monotonic()
    _, result = await asyncio.gather(refuse_later(), b.submit("a"))
    announced.done()
    assert result == "ok a" and rec.batches == [["a"]]
    assert time.monotonic() - started < 1.0


async def test_the_wait_is_bounded_by_linger() -> None:
    rec = Recorder()
    b = Batcher(rec.write, linger=0.05)
    mine, never = b.expect(), b.expect()
    started = time.monotonic()
    assert await b.submit("a") == "ok a"
    waited = time.monotonic() - started
    mine.done()
    never.done()
    assert 0.04 <= waited < 1.0 and rec.batches == [["a"]]
