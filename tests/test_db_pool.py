"""The connection pool survives the database dropping its connections (a restart, a failover)."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from bugport.db import PING_AFTER_IDLE_S
from tests.fixtures.users import Tenant


async def test_connections_dropped_while_idle_are_replaced(
    app: FastAPI, client: httpx.AsyncClient, backend: str, tenant_a: Tenant
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop connections")
    url = f"/v1/projects/{tenant_a.project_id}"
    assert (await client.get(url, headers=tenant_a.member.headers)).status_code == 200
    dsn = app.state.settings.database_url.replace("+asyncpg", "")
    admin = await asyncpg.connect(dsn)
    try:
        dropped = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    assert dropped >= 1  # the pooled connection(s) the request above used
    await asyncio.sleep(PING_AFTER_IDLE_S + 0.2)
    r = await client.get(url, headers=tenant_a.member.headers)
    assert r.status_code == 200, r.text
