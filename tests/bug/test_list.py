"""GET /v1/bugs: filters, sorts, keyset pagination, full-text search, a fixed query count."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from tests.bug.helpers import create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


async def _list(client: httpx.AsyncClient, t: Tenant, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(
        "/v1/bugs", params={"project_id": t.project_id, **params}, headers=t.viewer.headers
    )
    assert r.status_code == 200, r.text
    return r.json()["data"]


def keys(rows: list[dict[str, Any]]) -> list[str]:
    return [b["key"] for b in rows]


class TestListFilters:
    async def test_auth_and_scope(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        await create(client, tenant_a)
        assert_error(await client.get("/v1/bugs"), 401, "unauthorized")
        r = await client.get(
            "/v1/bugs",
            params={"workspace_id": tenant_a.workspace_id},
            headers=tenant_b.owner.headers,
        )
        assert_error(r, 403, "workspace_forbidden")
        r = await client.get(
            "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=tenant_b.owner.headers
        )
        assert_error(r, 404, "not_found")
        # Unfiltered: B sees only its own bugs.
        r = await client.get("/v1/bugs", headers=tenant_b.owner.headers)
        assert all(b["workspace_id"] == tenant_b.workspace_id for b in r.json()["data"])
        r = await client.get("/v1/bugs", params={"status": "nope"}, headers=tenant_a.owner.headers)
        assert_error(r, 422, "validation_error", "query.status.0")
        r = await client.get("/v1/bugs", params={"sort": "random"}, headers=tenant_a.owner.headers)
        assert_error(r, 422, "validation_error", "query.sort")

    async def test_filters(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        t = tenant_a
        b1 = await create(client, t, title="Login fails", severity="critical", labels=["auth"])
        b2 = await create(
            client,
            t,
            as_user=t.admin,
            title="Slow page",
            severity="low",
            labels=["perf", "auth"],
            assignee_id=t.member.id,
        )
        b3 = await create(
            client, t, title="Typo in footer", severity="medium", labels=[], source="api"
        )
        await client.patch(
            f"/v1/bugs/{b3['id']}", json={"status": "resolved"}, headers=t.member.headers
        )
        assert keys(await _list(client, t)) == ["APP-3", "APP-2", "APP-1"]
        assert keys(await _list(client, t, workspace_id=t.workspace_id)) == [
            "APP-3",
            "APP-2",
            "APP-1",
        ]
        assert keys(await _list(client, t, status=["open"])) == ["APP-2", "APP-1"]
        assert keys(
            await _list(client, t, status=["open", "resolved"], severity=["critical", "medium"])
        ) == ["APP-3", "APP-1"]
        assert keys(await _list(client, t, assignee_id=t.member.id)) == ["APP-2"]
        assert keys(await _list(client, t, label="auth")) == ["APP-2", "APP-1"]
        assert keys(await _list(client, t, label="perf")) == ["APP-2"]
        assert keys(await _list(client, t, source="api")) == ["APP-3"]
        assert keys(await _list(client, t, reporter=t.admin.id)) == ["APP-2"]
        assert keys(await _list(client, t, reporter=t.member.email.upper())) == ["APP-3", "APP-1"]
        assert keys(await _list(client, t, created_after=b2["created_at"])) == ["APP-3", "APP-2"]
        assert keys(await _list(client, t, created_before=b2["created_at"])) == ["APP-1"]
        assert b1["key"] == "APP-1"

    async def test_sorts(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        t = tenant_a
        for sev in ("low", "critical", "medium", "critical"):
            await create(client, t, severity=sev)
        assert keys(await _list(client, t, sort="oldest")) == ["APP-1", "APP-2", "APP-3", "APP-4"]
        assert keys(await _list(client, t, sort="severity")) == ["APP-4", "APP-2", "APP-3", "APP-1"]
        bugs = await _list(client, t)
        first = next(b for b in bugs if b["key"] == "APP-1")
        await client.patch(
            f"/v1/bugs/{first['id']}", json={"priority": "high"}, headers=t.member.headers
        )
        assert keys(await _list(client, t, sort="updated"))[0] == "APP-1"


class TestSearch:
    async def test_full_text(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        t = tenant_a
        await create(
            client, t, title="Checkout crashes on Safari", description="Payment form freezes"
        )
        await create(client, t, title="Avatar upload", description="The image is rotated")
        await create(client, t, title="Another checkout problem", description=None)
        assert keys(await _list(client, t, q="checkout")) == ["APP-3", "APP-1"]
        assert keys(await _list(client, t, q="payment")) == ["APP-1"]  # description, stemmed
        assert keys(await _list(client, t, q="checkout safari")) == ["APP-1"]  # AND
        assert keys(await _list(client, t, q="APP-2")) == ["APP-2"]  # the human key
        assert keys(await _list(client, t, q="nothing-like-this")) == []
        # Search syntax from users is data, never a 500 on either engine.
        for q in ('"unbalanced', "a AND (", "NEAR(x y", "* OR -", "title:x", "'); drop", '""'):
            r = await client.get(
                "/v1/bugs", params={"project_id": t.project_id, "q": q}, headers=t.viewer.headers
            )
            assert r.status_code == 200, (q, r.text)
        # Edits are searchable at once (trigger / generated column).
        bug = (await _list(client, t, q="avatar"))[0]
        await client.patch(
            f"/v1/bugs/{bug['id']}",
            json={"title": "Profile picture sideways"},
            headers=t.member.headers,
        )
        assert keys(await _list(client, t, q="avatar")) == []
        assert keys(await _list(client, t, q="sideways")) == ["APP-2"]
        # Search combines with filters and sorts.
        assert keys(await _list(client, t, q="checkout", sort="oldest")) == ["APP-1", "APP-3"]


class TestPagination:
    async def test_keyset_pages_and_cursor_integrity(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        t = tenant_a
        for i in range(7):
            await create(client, t, severity=("high", "low")[i % 2], logs=[], network=[])
        for sort in ("newest", "oldest", "updated", "severity"):
            seen: list[str] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"project_id": t.project_id, "limit": 3, "sort": sort}
                if cursor:
                    params["cursor"] = cursor
                r = await client.get("/v1/bugs", params=params, headers=t.viewer.headers)
                body = r.json()
                seen += keys(body["data"])
                cursor = body["next_cursor"]
                if not cursor:
                    break
            full = keys(await _list(client, t, sort=sort))
            assert seen == full and len(set(seen)) == 7, sort
        r = await client.get(
            "/v1/bugs", params={"project_id": t.project_id, "limit": 3}, headers=t.viewer.headers
        )
        cursor = r.json()["next_cursor"]
        tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
        r = await client.get(
            "/v1/bugs",
            params={"project_id": t.project_id, "cursor": tampered},
            headers=t.viewer.headers,
        )
        assert_error(r, 400, "invalid_cursor")
        # A cursor from one sort is refused by another.
        r = await client.get(
            "/v1/bugs",
            params={"project_id": t.project_id, "cursor": cursor, "sort": "oldest"},
            headers=t.viewer.headers,
        )
        assert_error(r, 400, "invalid_cursor")
        r = await client.get(
            "/v1/bugs", params={"project_id": t.project_id, "limit": 1000}, headers=t.viewer.headers
        )
        assert r.status_code == 200 and len(r.json()["data"]) == 7
        r = await client.get("/v1/bugs", params={"limit": 0}, headers=t.viewer.headers)
        assert_error(r, 422, "validation_error", "query.limit")


class TestNoNPlusOne:
    async def test_statement_count_does_not_grow_with_page_size(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
    ) -> None:
        t = tenant_a
        for i in range(100):
            await create(
                client,
                t,
                title=f"bug {i}",
                assignee_id=t.admin.id,
                labels=["a", "b"],
                logs=[],
                network=[],
            )
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        engine = app.state.engine.sync_engine
        counts = {}
        for limit in (1, 10, 100):
            statements.clear()
            event.listen(engine, "before_cursor_execute", count)
            try:
                r = await client.get(
                    "/v1/bugs",
                    params={"project_id": t.project_id, "limit": limit, "sort": "severity"},
                    headers=t.viewer.headers,
                )
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert r.status_code == 200 and len(r.json()["data"]) == limit
            counts[limit] = len(statements)
        assert counts[1] == counts[10] == counts[100], counts
        assert counts[100] <= 6, statements
