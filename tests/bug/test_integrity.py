"""Idempotent creation and atomic writes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, text

from bugport.bug import writer
from bugport.bug.schemas import ReportContent
from bugport.kit.idempotency import lock_id
from bugport.models import BugCaptures, Project
from tests.bug.helpers import bug_body, create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


async def _count(app: FastAPI, sql: str, **params: Any) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def _project_bug_count(client: httpx.AsyncClient, t: Tenant) -> int:
    r = await client.get("/v1/bugs", params={"project_id": t.project_id}, headers=t.owner.headers)
    return len(r.json()["data"])


class TestIdempotency:
    async def test_retry_replays_and_creates_nothing(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = {**tenant_a.member.headers, "Idempotency-Key": "report-123"}
        body = bug_body(tenant_a)
        first = await client.post("/v1/bugs", json=body, headers=h)
        assert first.status_code == 201 and "idempotent-replayed" not in first.headers
        # Same body, other key order: same request.
        again = await client.post("/v1/bugs", json=dict(reversed(list(body.items()))), headers=h)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert await _project_bug_count(client, tenant_a) == 1
        # Same key, different body: 422, nothing created.
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, title="other"), headers=h)
        assert_error(r, 422, "idempotency_key_reused")
        # Keys are scoped to the credential: another member's same key is a new request.
        other = {**tenant_a.admin.headers, "Idempotency-Key": "report-123"}
        r = await client.post("/v1/bugs", json=body, headers=other)
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        assert r.json()["key"] == "APP-2"
        assert await _project_bug_count(client, tenant_a) == 2
        # Without a key every POST creates.
        await create(client, tenant_a)
        assert await _project_bug_count(client, tenant_a) == 3

    async def test_failed_request_stores_nothing(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = {**tenant_a.member.headers, "Idempotency-Key": "retry-after-fix"}
        r = await client.post(
            "/v1/bugs", json=bug_body(tenant_a, assignee_id=tenant_a.invite_id), headers=h
        )
        assert_error(r, 422, "validation_error", "body.assignee_id")
        r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=h)
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers

    async def test_bad_key(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        h = {**tenant_a.member.headers, "Idempotency-Key": "x" * 256}
        r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=h)
        assert_error(r, 422, "validation_error", "header.Idempotency-Key")

    async def test_in_progress_is_409(
        self, client: httpx.AsyncClient, app: FastAPI, backend: str, tenant_a: Tenant
    ) -> None:
        if backend != "postgresql":
            pytest.skip("SQLite serialises request transactions (BEGIN IMMEDIATE): no overlap")
        scope = "user:" + tenant_a.member.id
        url = app.state.settings.resolved_database_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(url)
        try:
            # Stand-in for a first request still running: it holds the key's transaction lock.
            tx = conn.transaction()
            await tx.start()
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1)", lock_id(scope, "POST /v1/bugs", "busy")
            )
            h = {**tenant_a.member.headers, "Idempotency-Key": "busy"}
            r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=h)
            assert_error(r, 409, "idempotency_in_progress")
            await tx.rollback()
        finally:
            await conn.close()
        r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=h)
        assert r.status_code == 201


class TestAtomicity:
    async def test_invalid_assignee_after_captures_leaves_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        captures_before = await _count(app, "SELECT count(*) FROM bug_captures")
        r = await client.post(
            "/v1/bugs",
            json=bug_body(tenant_a, assignee_id=tenant_b.owner.id),
            headers=tenant_a.member.headers,
        )
        assert_error(r, 422, "validation_error", "body.assignee_id")
        assert await _project_bug_count(client, tenant_a) == 0
        assert await _count(app, "SELECT count(*) FROM bug_captures") == captures_before
        # The number went back with the rollback: no gap.
        assert (await create(client, tenant_a))["key"] == "APP-1"

    @pytest.mark.parametrize("failing", ["INSERT INTO BUG_CAPTURES", "INSERT INTO BUG_ACTIVITY"])
    async def test_database_failure_mid_create_leaves_nothing(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant, failing: str
    ) -> None:
        """A real failure injected at the captures' insert, or at the `created` entry's (on
        PostgreSQL the numbering statement, after every row is in): bug, logs, activity and the
        counter bump are all rolled back."""
        engine = app.state.engine.sync_engine

        def fail(
            conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
        ) -> None:
            # One statement may write several tables (kit/bulk_insert.py, bug/writer.py).
            if failing in statement.upper():
                raise RuntimeError("disk full (injected)")

        before = {
            t: await _count(app, f"SELECT count(*) FROM {t}")
            for t in ("bugs", "bug_captures", "bug_activity", "idempotency_keys")
        }
        event.listen(engine, "before_cursor_execute", fail)
        try:
            r = await client.post(
                "/v1/bugs", json=bug_body(tenant_a), headers=tenant_a.member.headers
            )
        finally:
            event.remove(engine, "before_cursor_execute", fail)
        assert_error(r, 500, "internal_error")
        after = {t: await _count(app, f"SELECT count(*) FROM {t}") for t in before}
        assert after == before
        assert (await create(client, tenant_a))["key"] == "APP-1"


class TestConcurrentWriters:
    async def test_rows_are_written_before_the_counter_lock_is_taken(
        self, client: httpx.AsyncClient, app: FastAPI, backend: str, tenant_a: Tenant
    ) -> None:
        """A writer still inserting its report's rows does not hold the project's counter: another
        report of the same project is stored meanwhile. Numbers are taken at the end, in commit
        order, still without gaps."""
        if backend != "postgresql":
            pytest.skip("SQLite serialises request transactions (BEGIN IMMEDIATE): no overlap")
        body = {k: v for k, v in bug_body(tenant_a).items() if k in ReportContent.model_fields}
        async with app.state.sessionmaker() as slow:
            project = await slow.get(Project, uuid.UUID(tenant_a.project_id))
            assert project is not None
            report = writer.prepare(
                project,
                ReportContent.model_validate(body),
                source="api",
                reporter=writer.Reporter(),
                actor=writer.Actor("system", None, "slow writer"),
            )
            inserted = await writer.insert(slow, [report])
            # The slow writer's rows are in, uncommitted. With the counter bumped first, this
            # request would wait for the slow writer's commit.
            fast = await asyncio.wait_for(create(client, tenant_a), timeout=10)
            assert fast["key"] == "APP-1"
            (written,) = await writer.number(slow, inserted)
            await slow.commit()
        assert written.key == "APP-2"
        r = await client.get(f"/v1/bugs/{written.id}", headers=tenant_a.member.headers)
        assert r.status_code == 200 and r.json()["key"] == "APP-2"
        assert r.json()["log_count"] == len(body["logs"])
        timeline = await client.get(
            f"/v1/bugs/{written.id}/activity", headers=tenant_a.member.headers
        )
        assert timeline.json()["data"][0]["payload"] == {"source": "api", "key": "APP-2"}


async def _capture_rows(app: FastAPI, bug_id: str) -> list[tuple[int, int]]:
    """The bug's bug_captures rows, as (console entries, network entries) each."""
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            select(BugCaptures.logs, BugCaptures.network).where(
                BugCaptures.bug_id == uuid.UUID(bug_id)
            )
        )
        return [(len(logs), len(network)) for logs, network in rows]


async def test_a_report_is_one_capture_row(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    """A report's console and network entries are one row (two documents), not a row each."""
    body = bug_body(tenant_a)
    bug = await create(client, tenant_a)
    assert await _capture_rows(app, bug["id"]) == [(len(body["logs"]), len(body["network"]))]
    bare = await create(client, tenant_a, logs=[], network=[])
    assert await _capture_rows(app, bare["id"]) == []


@pytest.mark.parametrize("deleted", ["bug", "project", "workspace"])
async def test_deleting_removes_the_captures(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant, tenant_b: Tenant, deleted: str
) -> None:
    """The bug's delete, or its project's or workspace's cascade, removes its captures row;
    nothing else's goes."""
    doomed, kept_a, kept_b = (
        (await create(client, tenant_a))["id"],
        (await create(client, tenant_a))["id"],
        (await create(client, tenant_b))["id"],
    )
    body = bug_body(tenant_a)
    per_bug = [(len(body["logs"]), len(body["network"]))]
    assert [await _capture_rows(app, b) for b in (doomed, kept_a, kept_b)] == [per_bug] * 3
    url = {
        "bug": f"/v1/bugs/{doomed}",
        "project": f"/v1/projects/{tenant_a.project_id}",
        "workspace": f"/v1/workspaces/{tenant_a.workspace_id}",
    }[deleted]
    r = await client.delete(url, headers=tenant_a.owner.headers)
    assert r.status_code == 204, r.text
    assert await _capture_rows(app, doomed) == []
    assert await _capture_rows(app, kept_a) == (per_bug if deleted == "bug" else [])
    assert await _capture_rows(app, kept_b) == per_bug
