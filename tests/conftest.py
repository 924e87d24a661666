from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bugport.app import create_app
from bugport.config import Settings
from bugport.db import make_engine
from bugport.migrate import upgrade
from tests.fixtures.services import PG_ADMIN_URL, PG_HOST, PG_PORT, need_postgres
from tests.fixtures.users import ApiUser, Tenant, make_tenant, make_user

JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
BACKENDS = [b for b in os.environ.get("BUGPORT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def worker_id() -> str:
    # Unique per checkout and xdist worker, so parallel worktrees never share a test database.
    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


async def _fresh_pg_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"


async def database_url(backend: str, tmp: Path, label: str = "") -> str:
    """A fresh database, built with the Alembic chain (never create_all)."""
    if backend == "postgresql":
        need_postgres()
        url = await _fresh_pg_database(f"bugport_test_{worker_id()}{label}")
    else:
        url = f"sqlite+aiosqlite:///{tmp / f'bugport{label}.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


def make_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "data_dir": data_dir,
        "supabase_jwt_secret": JWT_SECRET,
        "secret_key": "test-signing-key",
        "rate_limit_per_credential": "100000/minute",
        "rate_limit_per_ip": "100000/minute",
        # Every in-process test shares one client IP; limit tests build apps with low limits.
        "widget_rate_limit_per_key": "100000/minute",
        "widget_rate_limit_per_ip": "100000/minute",
        "widget_rate_limit_per_workspace": "100000/minute",
        "public_base_url": "http://test",
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bugport-tests-{worker_id()}-"))


@pytest_asyncio.fixture(scope="session", params=BACKENDS)
async def backend_url(
    request: pytest.FixtureRequest, tmp_root: Path
) -> AsyncIterator[tuple[str, str]]:
    backend = request.param
    url = await database_url(backend, tmp_root)
    yield backend, url


@pytest.fixture(scope="session")
def backend(backend_url: tuple[str, str]) -> str:
    return backend_url[0]


@pytest_asyncio.fixture(scope="session")
async def app(backend_url: tuple[str, str], tmp_root: Path) -> AsyncIterator[FastAPI]:
    _, url = backend_url
    application = create_app(make_settings(url, tmp_root / "data"))
    yield application
    await application.state.engine.dispose()


@pytest.fixture(scope="session")
def settings(app: FastAPI) -> Settings:
    return app.state.settings


def client_for(application: FastAPI, **kw: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False, **kw)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest_asyncio.fixture
async def user(client: httpx.AsyncClient, settings: Settings) -> ApiUser:
    return await make_user(client, settings)


@pytest_asyncio.fixture
async def tenant_a(client: httpx.AsyncClient, settings: Settings) -> Tenant:
    return await make_tenant(client, settings)


@pytest_asyncio.fixture
async def tenant_b(client: httpx.AsyncClient, settings: Settings) -> Tenant:
    return await make_tenant(client, settings)


def assert_error(
    r: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """The one error shape: status, machine code, request id (body and header), named field."""
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text}"
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["request_id"] and r.headers["x-request-id"] == err["request_id"]
    if field is not None:
        assert any(d["field"] == field for d in err.get("details", [])), err
    return err


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.DefaultEventLoopPolicy()
