"""An app wired to loopback provider stubs, on the session's database (both backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bugport.app import create_app
from tests.conftest import client_for, make_settings
from tests.fixtures.providers import GitHubStub, JiraStub, LinearStub, ProviderStub, stub_settings
from tests.fixtures.users import ApiUser, Tenant, make_tenant


class Stubs:
    def __init__(self) -> None:
        self.github = GitHubStub().start()
        self.linear = LinearStub().start()
        self.jira = JiraStub().start()

    def __getitem__(self, provider: str) -> ProviderStub:
        return {"github": self.github, "linear": self.linear, "jira": self.jira}[provider]

    def stop(self) -> None:
        for s in (self.github, self.linear, self.jira):
            s.stop()


@pytest.fixture(scope="session")
def stubs() -> Iterator[Stubs]:
    s = Stubs()
    yield s
    s.stop()


@pytest_asyncio.fixture(scope="session")
async def conn_app(
    backend_url: tuple[str, str], tmp_root: Path, stubs: Stubs
) -> AsyncIterator[FastAPI]:
    _, url = backend_url
    application = create_app(
        make_settings(
            url,
            tmp_root / "data-connectors",
            **stub_settings(stubs.github, stubs.linear, stubs.jira),
        )
    )
    yield application
    await application.state.engine.dispose()


@pytest_asyncio.fixture
async def cc(conn_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(conn_app) as c:
        yield c


@pytest_asyncio.fixture
async def ta(cc: httpx.AsyncClient, conn_app: FastAPI) -> Tenant:
    return await make_tenant(cc, conn_app.state.settings)


@pytest_asyncio.fixture
async def tb(cc: httpx.AsyncClient, conn_app: FastAPI) -> Tenant:
    return await make_tenant(cc, conn_app.state.settings)


async def start(
    c: httpx.AsyncClient, user: ApiUser, provider: str, workspace_id: str, **extra: Any
) -> dict[str, Any]:
    r = await c.post(
        f"/v1/connectors/{provider}/oauth/start",
        json={"workspace_id": workspace_id, **extra},
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


async def connect(
    c: httpx.AsyncClient,
    stubs: Stubs,
    tenant: Tenant,
    provider: str,
    *,
    user: ApiUser | None = None,
) -> dict[str, Any]:
    """The whole dance: start, the user consents at the provider, the dashboard posts the code."""
    user = user or tenant.admin
    started = await start(c, user, provider, tenant.workspace_id, return_path="/settings")
    code = stubs[provider].grant(started["authorize_url"])
    r = await c.post(
        f"/v1/connectors/{provider}/oauth/callback",
        json={"code": code, "state": started["state"]},
        headers=user.headers,
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
