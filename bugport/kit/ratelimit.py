"""Rate limits on the `limits` library: in memory when embedded, in Redis when BUGPORT_REDIS_URL is
set, so several API processes share one budget."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string


@dataclass(frozen=True)
class LimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window resets

    def headers(self) -> dict[str, str]:
        h = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            h["Retry-After"] = str(max(self.reset_after, 1))
        return h


class RateLimiter:
    def __init__(self, redis_url: str | None, namespace: str = "bugport") -> None:
        self.storage: Storage
        if redis_url:
            url = redis_url.replace("redis://", "async+redis://", 1)
            self.storage = cast(
                Storage, storage_from_string(url, implementation="redispy", key_prefix=namespace)
            )
        else:
            self.storage = MemoryStorage()
        self._parsed: dict[str, RateLimitItem] = {}

    def _item(self, spec: str) -> RateLimitItem:
        if spec not in self._parsed:
            self._parsed[spec] = parse(spec)
        return self._parsed[spec]

    async def hit(self, spec: str, *keys: str, cost: int = 1) -> LimitResult:
        result = await self.check([(spec, keys)], cost=cost)
        assert result is not None
        return result

    async def check(
        self, specs: list[tuple[str, tuple[str, ...]]], *, cost: int = 1
    ) -> LimitResult | None:
        """Spend `cost` from every (spec, keys) budget; returns the first refusing budget's
        result, else the tightest one.

        One counter increment per budget and one expiry read for the budget reported: these run
        on every intake request, so the per-budget stats call of `limits` (two more Redis round
        trips each) is not used."""
        items = [(self._item(spec), keys) for spec, keys in specs]
        budgets = [(item, item.key_for(*keys)) for item, keys in items]
        # All budgets at once (one Redis round trip of latency, not one per budget).
        counts = await asyncio.gather(
            *(self.storage.incr(key, item.get_expiry(), amount=cost) for item, key in budgets)
        )
        tightest: tuple[RateLimitItem, str, int] | None = None
        refused = False
        for (item, key), count in zip(budgets, counts, strict=True):
            if count > item.amount:
                tightest, refused = (item, key, count), True
                break
            if tightest is None or item.amount - count < tightest[0].amount - tightest[2]:
                tightest = (item, key, count)
        if tightest is None:
            return None
        item, key, count = tightest
        reset_after = max(0, math.ceil(await self.storage.get_expiry(key) - time.time()))
        return LimitResult(not refused, item.amount, max(0, item.amount - count), reset_after)
