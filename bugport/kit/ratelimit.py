"""Fixed-window rate limits: in memory when embedded, in Redis when BUGPORT_REDIS_URL is set, so
several API processes share one budget.

Limits are parsed by the `limits` library ("60/minute") and counted per window. With Redis, every
budget of a request is spent by ONE script call (increment, set the window's expiry on its first
hit, read the time left), so a request costs one round trip whatever the number of budgets; its
keys are the ones `limits` itself uses (`<namespace>:LIMITER/…`). In memory, `limits`' own storage
counts them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage

# KEYS: the budgets' keys; ARGV[1]: the cost, ARGV[1 + i]: key i's window in seconds.
# Returns count_1, ms_left_1, count_2, ms_left_2, …
_SPEND = """
local cost = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, cost)
  if count == cost then
    redis.call('EXPIRE', key, ARGV[i + 1])
  end
  out[#out + 1] = count
  out[#out + 1] = redis.call('PTTL', key)
end
return out
"""


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
    """`redis`: a redis.asyncio client (shared budgets), or None (this process only)."""

    def __init__(self, redis: Any | None, namespace: str = "bugport") -> None:
        self.namespace = namespace
        self._spend = redis.register_script(_SPEND) if redis is not None else None
        self.memory = MemoryStorage() if redis is None else None
        self._parsed: dict[str, RateLimitItem] = {}

    def _item(self, spec: str) -> RateLimitItem:
        if spec not in self._parsed:
            self._parsed[spec] = parse(spec)
        return self._parsed[spec]

    async def hit(self, spec: str, *keys: str, cost: int = 1) -> LimitResult:
        result = await self.check([(spec, keys)], cost=cost)
        assert result is not None
        return result

    async def _count(
        self, budgets: list[tuple[RateLimitItem, str]], cost: int
    ) -> list[tuple[int, float]]:
        """(count after this hit, seconds left in the window) per budget."""
        if self._spend is not None:
            flat = await self._spend(
                keys=[f"{self.namespace}:{key}" for _, key in budgets],
                args=[cost, *(item.get_expiry() for item, _ in budgets)],
            )
            return [(int(flat[i]), max(int(flat[i + 1]), 0) / 1000) for i in range(0, len(flat), 2)]
        assert self.memory is not None
        out = []
        for item, key in budgets:
            count = await self.memory.incr(key, item.get_expiry(), amount=cost)
            out.append((count, await self.memory.get_expiry(key) - time.time()))
        return out

    async def check(
        self, specs: list[tuple[str, tuple[str, ...]]], *, cost: int = 1
    ) -> LimitResult | None:
        """Spend `cost` from every (spec, keys) budget; returns the first refusing budget's
        result, else the tightest one."""
        budgets = [
            (item, item.key_for(*keys))
            for item, keys in ((self._item(spec), keys) for spec, keys in specs)
        ]
        counts = await self._count(budgets, cost)
        tightest: tuple[RateLimitItem, int, float] | None = None
        refused = False
        for (item, _), (count, left) in zip(budgets, counts, strict=True):
            if count > item.amount:
                tightest, refused = (item, count, left), True
                break
            if tightest is None or item.amount - count < tightest[0].amount - tightest[1]:
                tightest = (item, count, left)
        if tightest is None:
            return None
        item, count, left = tightest
        return LimitResult(not refused, item.amount, max(0, item.amount - count), math.ceil(left))
