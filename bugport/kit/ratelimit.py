"""Rate limits on the `limits` library: in memory when embedded, in Redis when BUGPORT_REDIS_URL is
set, so several API processes share one budget."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
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
        self.limiter = FixedWindowRateLimiter(self.storage)
        self._parsed: dict[str, RateLimitItem] = {}

    def _item(self, spec: str) -> RateLimitItem:
        if spec not in self._parsed:
            self._parsed[spec] = parse(spec)
        return self._parsed[spec]

    async def hit(self, spec: str, *keys: str, cost: int = 1) -> LimitResult:
        item = self._item(spec)
        allowed = await self.limiter.hit(item, *keys, cost=cost)
        stats = await self.limiter.get_window_stats(item, *keys)
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return LimitResult(allowed, item.amount, stats.remaining, reset_after)

    async def check(self, specs: list[tuple[str, tuple[str, ...]]]) -> LimitResult | None:
        """Hit every (spec, keys) budget; returns the tightest result (the refusing one first)."""
        tightest: LimitResult | None = None
        for spec, keys in specs:
            res = await self.hit(spec, *keys)
            if not res.allowed:
                return res
            if tightest is None or res.remaining < tightest.remaining:
                tightest = res
        return tightest
