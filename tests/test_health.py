from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import assert_error, client_for, make_settings


async def test_health_checks_the_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_health_is_503_naming_the_database_when_it_is_down(tmp_path: Path) -> None:
    from bugport.app import create_app

    # Nothing listens on port 1: the database check must fail, and say so.
    app = create_app(make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/none", tmp_path))
    async with client_for(app) as c:
        r = await c.get("/v1/health")
    err = assert_error(r, 503, "unavailable", field="checks.database")
    assert "database" in err["message"]
    await app.state.engine.dispose()


async def test_version(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/version")
    assert r.json() == {"version": "0.2.0", "api_version": "0.2.0"}


async def test_openapi_and_docs_are_under_v1(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/openapi.json")
    schema = r.json()
    assert schema["info"]["version"] == "0.2.0"
    assert all(p.startswith("/v1/") for p in schema["paths"])
    assert "Error" in schema["components"]["schemas"]
    docs = await client.get("/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
