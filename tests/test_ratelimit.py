"""Default limits per credential and per client IP: headers, 429, and one budget across processes."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from bugport.app import create_app
from bugport.auth.jwt import mint_dev_token
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.services import REDIS_URL, need_redis


def _app(url: str, tmp: Path, **kw: object):  # type: ignore[no-untyped-def]
    return create_app(make_settings(url, tmp, **kw))


async def test_limited_routes_carry_ratelimit_headers(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    app = _app(backend_url[1], tmp_path, rate_limit_per_ip="5/minute")
    async with client_for(app) as c:
        r = await c.get("/v1/version")
        assert r.headers["ratelimit-limit"] == "5"
        assert r.headers["ratelimit-remaining"] == "4"
        assert 0 < int(r.headers["ratelimit-reset"]) <= 60
    await app.state.engine.dispose()


async def test_per_ip_limit_gives_429_with_retry_after(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    app = _app(backend_url[1], tmp_path, rate_limit_per_ip="3/minute")
    async with client_for(app) as c:
        for _ in range(3):
            assert (await c.get("/v1/version")).status_code == 200
        r = await c.get("/v1/version")
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-remaining"] == "0"
    await app.state.engine.dispose()


async def test_per_credential_limit(backend_url: tuple[str, str], tmp_path: Path) -> None:
    app = _app(backend_url[1], tmp_path, rate_limit_per_credential="2/minute")
    s = app.state.settings
    a = {"Authorization": f"Bearer {mint_dev_token(s, 'a@example.com')}"}
    b = {"Authorization": f"Bearer {mint_dev_token(s, 'b@example.com')}"}
    async with client_for(app) as c:
        assert (await c.get("/v1/auth/me", headers=a)).status_code == 200
        assert (await c.get("/v1/auth/me", headers=a)).status_code == 200
        assert_error(await c.get("/v1/auth/me", headers=a), 429, "rate_limited")
        # Another credential from the same IP has its own budget.
        assert (await c.get("/v1/auth/me", headers=b)).status_code == 200
    await app.state.engine.dispose()


async def test_two_processes_share_one_budget_through_redis(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    need_redis()
    ns = f"bugport-test-{uuid.uuid4().hex}"  # this run's own keys
    one = _app(
        backend_url[1],
        tmp_path,
        rate_limit_per_ip="4/hour",
        redis_url=REDIS_URL,
        redis_namespace=ns,
    )
    two = _app(
        backend_url[1],
        tmp_path,
        rate_limit_per_ip="4/hour",
        redis_url=REDIS_URL,
        redis_namespace=ns,
    )
    async with client_for(one) as c1, client_for(two) as c2:
        statuses = [(await c.get("/v1/version")).status_code for c in (c1, c2, c1, c2, c1, c2)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    for a in (one, two):
        await a.state.engine.dispose()
        await a.state.redis.aclose()


async def test_concurrent_requests_share_redis_calls_and_each_gets_its_own_count(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    need_redis()
    app = _app(
        backend_url[1],
        tmp_path,
        rate_limit_per_ip="4/hour",
        redis_url=REDIS_URL,
        redis_namespace=f"bugport-test-{uuid.uuid4().hex}",
    )
    redis = app.state.redis

    async def script_calls() -> int:
        stats = await redis.info("commandstats")
        return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "eval"))

    async with client_for(app) as c:
        before = await script_calls()
        answers = await asyncio.gather(*(c.get("/v1/version") for _ in range(8)))
        calls = await script_calls() - before
    assert sorted(r.status_code for r in answers) == [200] * 4 + [429] * 4
    # Each request saw its own count, though they were spent together.
    assert sorted(r.headers["ratelimit-remaining"] for r in answers if r.status_code == 200) == [
        "0",
        "1",
        "2",
        "3",
    ]
    assert 1 <= calls < 8
    await app.state.engine.dispose()
    await redis.aclose()


async def test_forwarded_for_only_from_trusted_proxies(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    # The ASGI test client's peer is 127.0.0.1.
    trusting = _app(
        backend_url[1], tmp_path, rate_limit_per_ip="1/minute", trusted_proxies=["127.0.0.1/32"]
    )
    async with client_for(trusting, client=("127.0.0.1", 1234)) as c:
        assert (
            await c.get("/v1/version", headers={"X-Forwarded-For": "203.0.113.1"})
        ).status_code == 200
        # A different client behind the proxy has its own budget ...
        assert (
            await c.get("/v1/version", headers={"X-Forwarded-For": "203.0.113.2"})
        ).status_code == 200
        # ... and the first one is now limited.
        assert (
            await c.get("/v1/version", headers={"X-Forwarded-For": "203.0.113.1"})
        ).status_code == 429
    untrusting = _app(backend_url[1], tmp_path, rate_limit_per_ip="1/minute")
    async with client_for(untrusting, client=("127.0.0.1", 1234)) as c:
        assert (
            await c.get("/v1/version", headers={"X-Forwarded-For": "203.0.113.1"})
        ).status_code == 200
        # Without a trusted proxy the header is ignored: same peer, same budget.
        assert (
            await c.get("/v1/version", headers={"X-Forwarded-For": "203.0.113.2"})
        ).status_code == 429
    for a in (trusting, untrusting):
        await a.state.engine.dispose()
