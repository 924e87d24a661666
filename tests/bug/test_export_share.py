"""Export, share links and the public share page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from bugport.auth.credentials import RESOLVERS, register_resolver
from bugport.auth.principal import Principal
from tests.bug.helpers import create
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.users import Tenant

PRIVACY = {
    "cache-control": "no-store",
    "x-robots-tag": "noindex",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class TestExport:
    async def test_json_and_markdown(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a, repro_steps="1. Add to cart\n2. Pay")
        await client.post(
            f"/v1/bugs/{bug['id']}/comments",
            json={"body": "seen it"},
            headers=tenant_a.member.headers,
        )
        url = f"/v1/bugs/{bug['id']}/export"
        assert_error(await client.get(url), 401, "unauthorized")
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        assert_error(
            await client.get(url, params={"format": "pdf"}, headers=tenant_a.viewer.headers),
            422,
            "validation_error",
            "query.format",
        )
        r = await client.get(url, headers=tenant_a.viewer.headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        e = r.json()
        assert e["key"] == "APP-1" and e["title"] == bug["title"]
        assert [x["message"] for x in e["logs"]] == ["TypeError: x is undefined", "cart loaded"]
        assert [x["status"] for x in e["network"]] == [200, 500]
        assert [x["body"] for x in e["comments"]] == ["seen it"]
        assert [x["type"] for x in e["activity"]] == ["created", "commented"]
        assert e["media"] == []
        r = await client.get(url, params={"format": "markdown"}, headers=tenant_a.viewer.headers)
        assert r.headers["content-type"].startswith("text/markdown")
        md = r.text
        assert md.startswith("# APP-1: Checkout button does nothing")
        assert "## Environment" in md and "| browser | Firefox |" in md
        assert "## Steps to reproduce" in md and "2. Pay" in md
        assert "## Failing requests" in md and "| POST | https://api.example.com/pay | 500 |" in md
        assert "https://api.example.com/cart" not in md  # only failing requests
        assert "## Console errors" in md and "TypeError: x is undefined" in md
        assert "cart loaded" not in md
        assert f"/v1/bugs/{bug['id']}" in md


class TestShareLinks:
    async def test_create_list_revoke(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        url = f"/v1/bugs/{bug['id']}/share-links"
        assert_error(await client.post(url, json={}), 401, "unauthorized")
        assert_error(
            await client.post(url, json={}, headers=tenant_b.owner.headers), 404, "not_found"
        )
        assert_error(
            await client.post(url, json={}, headers=tenant_a.viewer.headers),
            403,
            "insufficient_role",
        )
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        r = await client.post(url, json={"expires_at": past}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.expires_at")
        r = await client.post(url, json={"share_id": "mine"}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.share_id")
        r = await client.post(url, json={}, headers=tenant_a.member.headers)
        assert r.status_code == 201, r.text
        link = r.json()
        assert r.headers["location"] == f"{url}/{link['id']}"
        assert len(link["share_id"]) >= 32 and bug["id"] not in link["share_id"]
        assert link["share_id"] not in (link["id"], bug["id"]) and link["active"]
        # The dashboard's readable page, not the raw JSON route.
        assert link["url"] == f"http://test/s/{link['share_id']}"
        assert link["view_count"] == 0 and link["expires_at"] is None
        other = (await client.post(url, json={}, headers=tenant_a.member.headers)).json()
        assert other["share_id"] != link["share_id"]
        r = await client.get(url, headers=tenant_a.member.headers)
        assert [x["id"] for x in r.json()["data"]] == [other["id"], link["id"]]
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        public = f"/v1/public/share/bug/{link['share_id']}"
        assert (await client.get(public)).status_code == 200
        assert (await client.get(public)).status_code == 200
        r = await client.get(url, headers=tenant_a.member.headers)
        assert next(x for x in r.json()["data"] if x["id"] == link["id"])["view_count"] == 2
        d = f"{url}/{link['id']}"
        assert_error(await client.delete(d, headers=tenant_b.owner.headers), 404, "not_found")
        assert_error(
            await client.delete(d, headers=tenant_a.viewer.headers), 403, "insufficient_role"
        )
        assert (await client.delete(d, headers=tenant_a.member.headers)).status_code == 204
        assert_error(await client.get(public), 404, "not_found")
        r = await client.get(url, headers=tenant_a.member.headers)
        revoked = next(x for x in r.json()["data"] if x["id"] == link["id"])
        assert revoked["revoked_at"] is not None and not revoked["active"]
        acts = (
            await client.get(f"/v1/bugs/{bug['id']}/activity", headers=tenant_a.member.headers)
        ).json()["data"]
        assert [a["type"] for a in acts][-3:] == [
            "share_link_created",
            "share_link_created",
            "share_link_revoked",
        ]
        assert acts[-1]["payload"] == {"share_link_id": link["id"]}


class TestPublicShare:
    async def test_display_rules_and_headers(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await create(
            client, tenant_a, metadata={"internal": "plan"}, assignee_id=tenant_a.admin.id
        )
        await client.post(
            f"/v1/bugs/{bug['id']}/comments",
            json={"body": "internal note"},
            headers=tenant_a.member.headers,
        )
        link = (
            await client.post(
                f"/v1/bugs/{bug['id']}/share-links", json={}, headers=tenant_a.member.headers
            )
        ).json()
        r = await client.get(f"/v1/public/share/bug/{link['share_id']}")
        assert r.status_code == 200, r.text
        for k, v in PRIVACY.items():
            assert r.headers[k] == v
        view = r.json()
        assert set(view) == {
            "key",
            "title",
            "description",
            "status",
            "severity",
            "priority",
            "labels",
            "page_url",
            "environment",
            "repro_steps",
            "created_at",
            "updated_at",
            "logs",
            "network",
            "media",
        }
        assert view["key"] == bug["key"] and len(view["logs"]) == 2 and len(view["network"]) == 2
        for hidden in (
            tenant_a.member.email,
            tenant_a.member.id,
            tenant_a.admin.id,
            "internal note",
            "plan",
            tenant_a.workspace_id,
            bug["id"],
        ):
            assert hidden not in r.text

    async def test_unknown_expired_revoked_are_the_same_404(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
        link = (
            await client.post(
                f"/v1/bugs/{bug['id']}/share-links",
                json={"expires_at": soon},
                headers=tenant_a.member.headers,
            )
        ).json()
        assert (await client.get(f"/v1/public/share/bug/{link['share_id']}")).status_code == 200
        # Expire it for real in the database (no clock mocking).
        from sqlalchemy import text

        async with app.state.engine.begin() as conn:
            await conn.execute(
                text("UPDATE bug_share_links SET expires_at = :t WHERE id = :i"),
                {
                    "t": datetime.now(UTC) - timedelta(seconds=1),
                    "i": link["id"].replace("-", "")
                    if app.state.settings.is_sqlite
                    else link["id"],
                },
            )
        bodies = []
        for share_id in (link["share_id"], "x" * 32, "nonexistent"):
            r = await client.get(f"/v1/public/share/bug/{share_id}")
            err = assert_error(r, 404, "not_found")
            for k, v in PRIVACY.items():
                assert r.headers[k] == v
            bodies.append(err["message"])
        assert len(set(bodies)) == 1
        r = await client.get(f"/v1/public/share/bug/{'y' * 65}")
        assert r.status_code in (404, 422)

    async def test_probing_is_rate_limited(
        self, tmp_path: object, backend_url: tuple[str, str], tenant_a: Tenant
    ) -> None:
        _, url = backend_url
        from pathlib import Path

        application = create_limited(url, Path(str(tmp_path)))
        async with client_for(application) as c:
            codes = []
            for i in range(4):
                r = await c.get(f"/v1/public/share/bug/probe{i}")
                codes.append(r.status_code)
            assert codes == [404, 404, 404, 429]
            assert_error(r, 429, "rate_limited")
            assert int(r.headers["retry-after"]) >= 1 and r.headers["cache-control"] == "no-store"
        await application.state.engine.dispose()


def create_limited(url: str, data_dir: object) -> FastAPI:
    from bugport.app import create_app

    return create_app(make_settings(url, data_dir, share_rate_limit="3/minute"))  # type: ignore[arg-type]


class TestWidgetKeysReadNothing:
    async def test_widget_key_is_refused_on_every_bug_route(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        """A stand-in resolver for `bp_pub_` (the widget feature registers the real one): the
        bug routes' own declarations must refuse that kind of credential."""
        import uuid

        bug = await create(client, tenant_a)
        previous = RESOLVERS.get("bp_pub_")

        async def resolver(token: str, request: object, session: object) -> Principal:
            pid = uuid.UUID(tenant_a.project_id)
            return Principal(
                kind="widget_key",
                workspace_id=uuid.UUID(tenant_a.workspace_id),
                project_ids=frozenset({pid}),
            )

        register_resolver("bp_pub_", resolver)  # type: ignore[arg-type]
        try:
            h = {"Authorization": "Bearer bp_pub_standin"}
            b = bug["id"]
            for method, url in (
                ("GET", "/v1/bugs"),
                ("GET", f"/v1/bugs/{b}"),
                ("GET", f"/v1/bugs/{b}/logs"),
                ("GET", f"/v1/bugs/{b}/network"),
                ("GET", f"/v1/bugs/{b}/comments"),
                ("GET", f"/v1/bugs/{b}/activity"),
                ("GET", f"/v1/bugs/{b}/export"),
                ("GET", f"/v1/bugs/{b}/share-links"),
            ):
                assert_error(await client.request(method, url, headers=h), 403, "forbidden")
            r = await client.post(
                "/v1/bugs", json={"project_id": tenant_a.project_id, "title": "x"}, headers=h
            )
            assert_error(r, 403, "forbidden")
        finally:
            if previous is None:
                RESOLVERS.pop("bp_pub_", None)
            else:
                RESOLVERS["bp_pub_"] = previous


class TestSharedCreateApi:
    async def test_widget_intake_through_service(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        """The widget feature calls service.create_bug with its key's principal: source, reporter
        and actor come from the caller; the key only reaches its own project."""
        import uuid

        import pytest

        from bugport.bug.schemas import BugData
        from bugport.bug.service import create_bug
        from bugport.bug.writer import Reporter
        from bugport.errors import NotFound

        pid = uuid.UUID(tenant_a.project_id)
        widget = Principal(
            kind="widget_key",
            workspace_id=uuid.UUID(tenant_a.workspace_id),
            project_ids=frozenset({pid}),
            credential_id=uuid.uuid4(),
        )
        data = BugData(title="From the widget", page_url="https://shop.example.com/?token=abc")
        async with app.state.sessionmaker() as session:
            bug = await create_bug(
                session,
                widget,
                data,
                source="widget",
                project_id=pid,
                reporter=Reporter(name="Ann Visitor", email="Ann@Example.com"),
                actor_label="Ann Visitor <ann@example.com>",
            )
            await session.commit()
        async with app.state.sessionmaker() as session:
            with pytest.raises(NotFound):
                await create_bug(
                    session,
                    widget,
                    data,
                    source="widget",
                    project_id=uuid.UUID(tenant_b.project_id),
                )
            await session.rollback()
        r = await client.get(f"/v1/bugs/{bug.id}", headers=tenant_a.viewer.headers)
        out = r.json()
        assert out["source"] == "widget" and out["key"] == "APP-1"
        assert out["reporter"] == {
            "user_id": None,
            "name": "Ann Visitor",
            "email": "ann@example.com",
        }
        assert out["page_url"] == "https://shop.example.com/?token=[REDACTED]"
        acts = (
            await client.get(f"/v1/bugs/{bug.id}/activity", headers=tenant_a.viewer.headers)
        ).json()["data"]
        assert acts[0]["actor"] == {
            "kind": "widget_key",
            "user_id": None,
            "label": "Ann Visitor <ann@example.com>",
        }
        assert acts[0]["payload"] == {"source": "widget", "key": "APP-1"}


class TestMcpTokenRules:
    async def test_scopes_role_ceiling_and_no_share_links(
        self, client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
    ) -> None:
        """A stand-in resolver for `bp_mcp_` (the MCP-token feature registers the real one): the
        bug routes' declarations and authz do the rest. Reads need bugs:read, writes bugs:write,
        a token never exceeds member (no delete) and never creates share links."""
        import uuid

        from bugport.models import User

        bug = await create(client, tenant_a)
        async with app.state.sessionmaker() as session:
            owner = await session.get(User, uuid.UUID(tenant_a.owner.id))
        previous = RESOLVERS.get("bp_mcp_")

        async def resolver(token: str, request: object, session: object) -> Principal:
            scopes = frozenset(token.removeprefix("bp_mcp_").split("+"))
            return Principal(
                kind="mcp_token",
                user=owner,
                scopes=frozenset(f"bugs:{s}" for s in scopes),
                workspace_id=uuid.UUID(tenant_a.workspace_id),
                credential_id=uuid.uuid4(),
            )

        register_resolver("bp_mcp_", resolver)  # type: ignore[arg-type]
        try:
            read = {"Authorization": "Bearer bp_mcp_read"}
            write = {"Authorization": "Bearer bp_mcp_read+write"}
            b = f"/v1/bugs/{bug['id']}"
            assert (await client.get(b, headers=read)).status_code == 200
            assert (await client.get(f"{b}/logs", headers=read)).status_code == 200
            r = await client.patch(b, json={"status": "closed"}, headers=read)
            assert_error(r, 403, "insufficient_scope")
            r = await client.patch(b, json={"status": "resolved"}, headers=write)
            assert r.status_code == 200 and r.json()["status"] == "resolved"
            r = await client.post(
                "/v1/bugs",
                json={"project_id": tenant_a.project_id, "title": "via MCP"},
                headers=write,
            )
            assert r.status_code == 201 and r.json()["source"] == "mcp"
            acts = (await client.get(f"/v1/bugs/{r.json()['id']}/activity", headers=read)).json()
            assert acts["data"][0]["actor"]["kind"] == "mcp_token"
            assert acts["data"][0]["actor"]["user_id"] == tenant_a.owner.id
            # The owner's token acts as a member at most: no delete.
            assert_error(await client.delete(b, headers=write), 403, "insufficient_role")
            r = await client.post(f"{b}/share-links", json={}, headers=write)
            assert_error(r, 403, "forbidden")
            assert_error(await client.get(f"{b}/share-links", headers=write), 403, "forbidden")
        finally:
            if previous is None:
                RESOLVERS.pop("bp_mcp_", None)
            else:
                RESOLVERS["bp_mcp_"] = previous
