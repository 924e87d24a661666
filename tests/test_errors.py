"""The one error model, for every kind of failure."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bugport.app import create_app
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.users import ApiUser


async def test_unknown_route_without_v1_hints_at_prefix(client: httpx.AsyncClient) -> None:
    err = assert_error(await client.get("/bugs"), 404, "route_not_found")
    assert "/v1" in err["message"]


async def test_unknown_route_under_v1(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/nope"), 404, "route_not_found")


async def test_method_not_allowed(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert_error(
        await client.put("/v1/workspaces", headers=user.headers), 405, "method_not_allowed"
    )


async def test_malformed_json_is_400(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.post(
        "/v1/workspaces",
        content=b"{bad",
        headers={**user.headers, "content-type": "application/json"},
    )
    assert_error(r, 400, "invalid_json")


async def test_non_json_body_is_415(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.post(
        "/v1/workspaces",
        content=b"name=x",
        headers={**user.headers, "content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(r, 415, "unsupported_media_type")


async def test_unknown_field_is_422_naming_it(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.post(
        "/v1/workspaces", json={"name": "x", "plan_id": "enterprise"}, headers=user.headers
    )
    assert_error(r, 422, "validation_error", field="body.plan_id")


async def test_missing_field_is_422_naming_it(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.post("/v1/workspaces", json={}, headers=user.headers)
    assert_error(r, 422, "validation_error", field="body.name")


async def test_body_over_limit_is_413_before_parsing(
    client: httpx.AsyncClient, user: ApiUser, settings: object
) -> None:
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    r = await client.post(
        "/v1/workspaces", content=big, headers={**user.headers, "content-type": "application/json"}
    )
    assert_error(r, 413, "payload_too_large")


async def test_chunked_body_over_limit_is_413(client: httpx.AsyncClient, user: ApiUser) -> None:
    async def chunks():  # no Content-Length: the guard must count as it reads
        for _ in range(20):
            yield b"x" * 100_000

    r = await client.post(
        "/v1/workspaces",
        content=chunks(),
        headers={**user.headers, "content-type": "application/json"},
    )
    assert_error(r, 413, "payload_too_large")


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/health", headers={"X-Request-ID": "client-chosen-id-123"})
    assert r.headers["x-request-id"] == "client-chosen-id-123"
    r2 = await client.get("/v1/health", headers={"X-Request-ID": "bad id with spaces"})
    assert (
        r2.headers["x-request-id"] != "bad id with spaces" and len(r2.headers["x-request-id"]) >= 8
    )


async def test_unhandled_error_is_500_without_a_trace(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    async with client_for(app) as c:
        r = await c.get("/v1/boom")
    err = assert_error(r, 500, "internal_error")
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert err["request_id"]
    await app.state.engine.dispose()


async def test_a_500_is_logged_once_and_keeps_the_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Over a real socket: a handler that fails answers the error body with its request id, the
    traceback is logged once, and the same keep-alive connection serves the next request."""
    import asyncio
    import logging
    import threading

    import uvicorn

    from tests.fixtures.live_browser import free_port

    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    caplog.set_level(logging.ERROR)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            r = await c.get("/v1/boom")
            err = assert_error(r, 500, "internal_error")
            assert err["request_id"] == r.headers["x-request-id"]
            assert "hunter2" not in r.text
            again = await c.get("/v1/health")
            assert again.status_code == 200
            third = await c.get("/v1/boom")
            assert third.status_code == 500 and (await c.get("/v1/health")).status_code == 200
            # All four went over one connection: the pool never had to reconnect.
            pool = c._transport._pool  # type: ignore[attr-defined]
            assert len(pool.connections) == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    tracebacks = [
        rec for rec in caplog.records if rec.exc_info and "hunter2" in str(rec.exc_info[1])
    ]
    assert len(tracebacks) == 2, [r.getMessage() for r in caplog.records]
    assert {rec.name for rec in tracebacks} == {"bugport.errors"}
    assert "Exception in ASGI application" not in caplog.text
