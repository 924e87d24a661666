"""Widget intake limits: per key, per client IP (X-Forwarded-For only from trusted proxies), per
workspace; 429 with Retry-After and RateLimit headers; shared across processes through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bugport.app import create_app
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.services import REDIS_URL, need_redis
from tests.fixtures.users import Tenant
from tests.fixtures.widget import make_key, widget_headers

CHECK = "/v1/widget/check"


@asynccontextmanager
async def limited_app(
    backend_url: tuple[str, str], tmp: Path, **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    base = {
        "widget_rate_limit_per_key": "1000/minute",
        "widget_rate_limit_per_ip": "1000/minute",
        "widget_rate_limit_per_workspace": "1000/minute",
        # Unique per app unless the test shares one on purpose.
        "redis_namespace": f"bptest-{uuid.uuid4().hex}",
    }
    base.update(overrides)
    app = create_app(make_settings(backend_url[1], tmp, **base))
    try:
        async with client_for(app) as c:
            yield app, c
    finally:
        await app.state.engine.dispose()
        if app.state.redis is not None:
            await app.state.redis.aclose()


async def test_per_key_limit_429_with_headers(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    other = (await make_key(client, tenant_a))["key"]
    async with limited_app(backend_url, tmp_path, widget_rate_limit_per_key="2/minute") as (_, c):
        r1 = await c.post(CHECK, headers=widget_headers(key))
        assert r1.status_code == 200
        assert r1.headers["ratelimit-limit"] == "2"
        assert r1.headers["ratelimit-remaining"] == "1"
        assert int(r1.headers["ratelimit-reset"]) <= 60
        assert (await c.post(CHECK, headers=widget_headers(key))).status_code == 200
        r3 = await c.post(CHECK, headers=widget_headers(key))
        assert_error(r3, 429, "rate_limited")
        assert 1 <= int(r3.headers["retry-after"]) <= 60
        assert r3.headers["ratelimit-remaining"] == "0"
        assert r3.headers["ratelimit-limit"] == "2"
        # The browser can read the 429 (CORS echoed) to tell the user when to retry.
        assert r3.headers["access-control-allow-origin"] == "https://app.example.com"
        # Another key of the same project has its own budget.
        assert (await c.post(CHECK, headers=widget_headers(other))).status_code == 200


async def test_per_ip_limit_ignores_xff_from_untrusted_peer(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    keys = [(await make_key(client, tenant_a))["key"] for _ in range(3)]
    async with limited_app(backend_url, tmp_path, widget_rate_limit_per_ip="2/minute") as (_, c):
        # No trusted proxies: a forged X-Forwarded-For does not buy a fresh budget.
        for i, k in enumerate(keys):
            h = widget_headers(k, **{"X-Forwarded-For": f"198.51.100.{i}"})
            r = await c.post(CHECK, headers=h)
            assert r.status_code == (200 if i < 2 else 429), r.text


async def test_per_ip_limit_uses_xff_from_trusted_proxy(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    async with limited_app(
        backend_url,
        tmp_path,
        widget_rate_limit_per_ip="2/minute",
        trusted_proxies=["127.0.0.1/32"],
    ) as (_, c):
        alice = widget_headers(key, **{"X-Forwarded-For": "203.0.113.5"})
        bob = widget_headers(key, **{"X-Forwarded-For": "203.0.113.6"})
        assert (await c.post(CHECK, headers=alice)).status_code == 200
        assert (await c.post(CHECK, headers=alice)).status_code == 200
        assert_error(await c.post(CHECK, headers=alice), 429, "rate_limited")
        # A different client behind the same proxy is not punished for Alice.
        assert (await c.post(CHECK, headers=bob)).status_code == 200
        # A client can't forge its way out: the rightmost untrusted hop is the one counted.
        spoof = widget_headers(key, **{"X-Forwarded-For": "10.9.9.9, 203.0.113.5"})
        assert_error(await c.post(CHECK, headers=spoof), 429, "rate_limited")


async def test_per_workspace_limit(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    tenant_b: Tenant,
    backend_url: tuple[str, str],
    tmp_path: Path,
) -> None:
    a_keys = [(await make_key(client, tenant_a))["key"] for _ in range(3)]
    b_key = (await make_key(client, tenant_b))["key"]
    async with limited_app(backend_url, tmp_path, widget_rate_limit_per_workspace="2/minute") as (
        _,
        c,
    ):
        assert (await c.post(CHECK, headers=widget_headers(a_keys[0]))).status_code == 200
        assert (await c.post(CHECK, headers=widget_headers(a_keys[1]))).status_code == 200
        assert_error(await c.post(CHECK, headers=widget_headers(a_keys[2])), 429, "rate_limited")
        assert (await c.post(CHECK, headers=widget_headers(b_key))).status_code == 200


async def test_refused_origin_and_bad_key_do_not_spend_the_key_budget(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    async with limited_app(backend_url, tmp_path, widget_rate_limit_per_key="2/minute") as (_, c):
        for _ in range(5):
            r = await c.post(CHECK, headers=widget_headers(key, "https://evil.net"))
            assert_error(r, 403, "origin_not_allowed")
        assert (await c.post(CHECK, headers=widget_headers(key))).status_code == 200


async def test_budget_shared_across_two_processes_through_redis(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    need_redis()
    key = (await make_key(client, tenant_a))["key"]
    prefix = f"bptest-{uuid.uuid4().hex}"
    shared = {
        "redis_url": REDIS_URL,
        "redis_namespace": prefix,
        "widget_rate_limit_per_key": "3/minute",
    }
    async with (
        limited_app(backend_url, tmp_path / "one", **shared) as (app1, c1),
        limited_app(backend_url, tmp_path / "two", **shared) as (app2, c2),
    ):
        assert app1.state.rate_limiter is not app2.state.rate_limiter
        assert (await c1.post(CHECK, headers=widget_headers(key))).status_code == 200
        assert (await c2.post(CHECK, headers=widget_headers(key))).status_code == 200
        r = await c1.post(CHECK, headers=widget_headers(key))
        assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "0"
        assert_error(await c2.post(CHECK, headers=widget_headers(key)), 429, "rate_limited")
        assert_error(await c1.post(CHECK, headers=widget_headers(key)), 429, "rate_limited")
        # The counters really live in Redis under this run's prefix.
        assert await app1.state.redis.keys(f"{prefix}*")


async def test_without_redis_processes_do_not_share(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    """Control for the test above: in-memory limits are per process."""
    key = (await make_key(client, tenant_a))["key"]
    opts = {"widget_rate_limit_per_key": "1/minute"}
    async with (
        limited_app(backend_url, tmp_path / "one", **opts) as (_, c1),
        limited_app(backend_url, tmp_path / "two", **opts) as (_, c2),
    ):
        assert (await c1.post(CHECK, headers=widget_headers(key))).status_code == 200
        assert (await c2.post(CHECK, headers=widget_headers(key))).status_code == 200
        assert_error(await c1.post(CHECK, headers=widget_headers(key)), 429, "rate_limited")


@pytest.mark.parametrize("limits_enabled", [False])
async def test_limits_can_be_switched_off(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    backend_url: tuple[str, str],
    tmp_path: Path,
    limits_enabled: bool,
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    async with limited_app(
        backend_url, tmp_path, widget_rate_limit_per_key="1/minute", rate_limits_enabled=False
    ) as (_, c):
        for _ in range(3):
            assert (await c.post(CHECK, headers=widget_headers(key))).status_code == 200


async def test_report_over_the_cap_is_413_before_parsing(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    async with limited_app(backend_url, tmp_path, widget_max_report_bytes=1000) as (_, c):
        body = b'{"title": "' + b"x" * 2000 + b'"}'
        h = {**widget_headers(key), "Content-Type": "application/json"}
        r = await c.post("/v1/widget/bugs", content=body, headers=h)
        err = assert_error(r, 413, "payload_too_large")
        assert "1000" in err["message"]
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"


@pytest.mark.parametrize("path", [CHECK, "/v1/widget/bugs"])
async def test_bad_keys_spend_the_ip_budget_first(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    backend_url: tuple[str, str],
    tmp_path: Path,
    path: str,
) -> None:
    """Key guessing from one address runs into the IP budget, on every widget route."""
    key = (await make_key(client, tenant_a))["key"]
    body = {"title": "x"}
    async with limited_app(backend_url, tmp_path, widget_rate_limit_per_ip="2/minute") as (_, c):
        for _ in range(2):
            r = await c.post(path, json=body, headers=widget_headers("bp_pub_nope"))
            assert_error(r, 401, "invalid_token")
        r = await c.post(path, json=body, headers=widget_headers(key))
        assert_error(r, 429, "rate_limited")
        assert r.headers["ratelimit-limit"] == "2"


@pytest.mark.parametrize("path", [CHECK, "/v1/widget/bugs"])
async def test_widget_routes_do_not_spend_the_general_budgets(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    backend_url: tuple[str, str],
    tmp_path: Path,
    path: str,
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    async with limited_app(
        backend_url, tmp_path, rate_limit_per_ip="1/minute", rate_limit_per_credential="1/minute"
    ) as (_, c):
        for i in range(3):
            r = await c.post(path, json={"title": f"r{i}"}, headers=widget_headers(key))
            assert r.status_code in (200, 201), r.text
            # The headers describe the widget budgets, not the general ones.
            assert r.headers["ratelimit-limit"] == "1000"
        # Other routes still spend the general budgets (1/minute here).
        me = tenant_a.owner.headers
        assert (await c.get("/v1/auth/me", headers=me)).status_code == 200
        assert_error(await c.get("/v1/auth/me", headers=me), 429, "rate_limited")
