"""Fixed-window rate limits: in memory when embedded, in Redis when BUGPORT_REDIS_URL is set, so
several API processes share one budget.

Limits are parsed by the `limits` library ("60/minute") and counted per window. With Redis, the
budgets are spent by ONE script call (increment, set the window's expiry on its first hit, read the
time left) for every request that checks its limits while the previous call is out — the same
group commit as widget intake (kit/batching.py): a lone request is one round trip, and under load
many requests share one. Keys are the ones `limits` itself uses (`<namespace>:LIMITER/…`). In
memory, `limits`' own storage counts them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage

from bugport.kit.batching import Batcher

# KEYS: every budget key of every request in the call (a key may repeat: INCRBY runs in order,
# so each request sees its own count); ARGV[2i-1], ARGV[2i]: key i's window in seconds and cost.
# Returns count_1, ms_left_1, count_2, ms_left_2, …
_SPEND = """
local out = {}
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[2 * i])
  local count = redis.call('INCRBY', key, cost)
  if count == cost then
    redis.call('EXPIRE', key, ARGV[2 * i - 1])
  end
  out[#out + 1] = count
  out[#out + 1] = redis.call('PTTL', key)
end
return out
"""

# One request's budgets: (key, window seconds, cost) each.
Spend = list[tuple[str, int, int]]


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
        self._script = redis.register_script(_SPEND) if redis is not None else None
        self._spends: Batcher[Spend, list[tuple[int, float]]] = Batcher(
            self._spend_many, max_items=128
        )
        self.memory = MemoryStorage() if redis is None else None
        self._parsed: dict[str, RateLimitItem] = {}

    async def _spend_many(
        self, spends: list[Spend]
    ) -> list[list[tuple[int, float]] | BaseException]:
        assert self._script is not None
        keys = [f"{self.namespace}:{key}" for spend in spends for key, _, _ in spend]
        args = [v for spend in spends for _, expiry, cost in spend for v in (expiry, cost)]
        flat = await self._script(keys=keys, args=args)
        counted = [(int(flat[i]), max(int(flat[i + 1]), 0) / 1000) for i in range(0, len(flat), 2)]
        out: list[list[tuple[int, float]] | BaseException] = []
        for spend in spends:
            out.append(counted[: len(spend)])
            counted = counted[len(spend) :]
        return out

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
        if self._script is not None:
            return await self._spends.submit(
                [(key, item.get_expiry(), cost) for item, key in budgets]
            )
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
