from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, expire_token, make_token
from tests.fixtures.users import Tenant


def _url(t: Tenant) -> str:
    return f"/v1/workspaces/{t.workspace_id}/audit-log"


async def _entries(
    client: httpx.AsyncClient, t: Tenant, token_id: str, **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(_url(t), params={"token_id": token_id, **params}, headers=t.admin.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


class TestRecording:
    async def test_allowed_call_recorded(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.post(
            "/v1/mcp/tools/invoke",
            json={"name": "get_project", "arguments": {"project_id": tenant_a.project_id}},
            headers={
                **bearer(tok["token"]),
                "User-Agent": "agent-test/1.0",
                "X-MCP-Client": "claude-code/2.1",
            },
        )
        assert r.status_code == 200, r.text
        [e] = await _entries(client, tenant_a, tok["id"])
        assert e["token_id"] == tok["id"] and e["workspace_id"] == tenant_a.workspace_id
        assert e["method"] == "POST" and e["route"] == "/v1/mcp/tools/invoke"
        assert e["tool"] == "get_project" and e["status"] == 200 and e["outcome"] == "allowed"
        assert e["error_code"] is None
        assert e["client_ip"] == "127.0.0.1" and e["user_agent"] == "agent-test/1.0"
        assert e["mcp_client"] == "claude-code/2.1"
        assert e["arguments"] == {"project_id": tenant_a.project_id}
        assert e["request_id"] == r.headers["x-request-id"]
        assert e["created_at"].endswith("Z")

    async def test_denials_recorded(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:write",))
        h = bearer(tok["token"])
        # Missing scope on the bridge.
        r = await client.post("/v1/mcp/tools/invoke", json={"name": "list_projects"}, headers=h)
        assert r.status_code == 403
        # A management route.
        r = await client.get(f"/v1/workspaces/{tenant_a.workspace_id}/members", headers=h)
        assert r.status_code == 403
        # Bad arguments, and an unknown route.
        r = await client.post("/v1/mcp/tools/invoke", json={"arguments": {"q": 1}}, headers=h)
        assert r.status_code == 422
        r = await client.get("/v1/nowhere", headers=h)
        assert r.status_code == 404
        # Expired, then revoked: still recorded against the token.
        await expire_token(app, tok["id"])
        assert (await client.get("/v1/mcp/tools", headers=h)).status_code == 401
        await client.delete(
            f"/v1/workspaces/{tenant_a.workspace_id}/mcp-tokens/{tok['id']}",
            headers=tenant_a.admin.headers,
        )
        assert (await client.get("/v1/mcp/config", headers=h)).status_code == 401
        got = [
            (e["route"], e["status"], e["outcome"], e["error_code"], e["tool"])
            for e in reversed(await _entries(client, tenant_a, tok["id"]))
        ]
        assert got == [
            ("/v1/mcp/tools/invoke", 403, "denied", "insufficient_scope", "list_projects"),
            ("/v1/workspaces/{workspace_id}/members", 403, "denied", "forbidden", None),
            ("/v1/mcp/tools/invoke", 422, "failed", "validation_error", None),
            ("/v1/nowhere", 404, "failed", "route_not_found", None),
            ("/v1/mcp/tools", 401, "denied", "token_expired", None),
            ("/v1/mcp/config", 401, "denied", "invalid_token", None),
        ]

    async def test_no_secrets_in_arguments(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        r = await client.post(
            "/v1/mcp/tools/invoke",
            json={
                "name": "get_project",
                "arguments": {
                    "project_id": tenant_a.project_id,
                    "note": f"use Bearer {jwt_like} and {tok['token']}",
                    "password": "hunter2",
                    "long": "x" * 5000,
                    "nested": {"a": 1, "b": 2},
                },
            },
            headers=bearer(tok["token"]),
        )
        assert r.status_code == 422  # unknown fields; recorded all the same
        [e] = await _entries(client, tenant_a, tok["id"])
        text = str(e)
        assert tok["token"] not in text and jwt_like not in text and "hunter2" not in text
        args = e["arguments"]
        assert args["password"] == "[REDACTED]" and "[REDACTED]" in args["note"]
        assert args["long"].endswith("(5000 chars)") and len(args["long"]) < 120
        assert args["nested"] == "{2 keys}"

    async def test_user_calls_and_unknown_tokens_not_recorded(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        from bugport.kit.crypto import generate_token

        await client.get("/v1/mcp/tools", headers=tenant_a.member.headers)
        await client.get("/v1/mcp/tools", headers=bearer(generate_token("bp_mcp_")))
        r = await client.get(_url(tenant_a), headers=tenant_a.admin.headers)
        assert r.json()["data"] == []


class TestListing:
    async def test_no_credential(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        assert_error(await client.get(_url(tenant_a)), 401, "unauthorized")

    async def test_other_workspace(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await client.get(_url(tenant_a), headers=tenant_b.owner.headers)
        assert_error(r, 403, "workspace_forbidden")

    async def test_admins_only(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.get(_url(tenant_a), headers=tenant_a.member.headers)
        assert_error(r, 403, "insufficient_role")

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"outcome": "maybe"}, "query.outcome"),
            ({"token_id": "nope"}, "query.token_id"),
            ({"since": "yesterday"}, "query.since"),
            ({"since": "2026-11-28T10:00:00"}, "query.since"),
            ({"limit": 0}, "query.limit"),
            ({"tool": "x" * 101}, "query.tool"),
            ({"route": "/" * 301}, "query.route"),
        ],
    )
    async def test_bad_filters(
        self, client: httpx.AsyncClient, tenant_a: Tenant, params: dict[str, object], field: str
    ) -> None:
        r = await client.get(_url(tenant_a), params=params, headers=tenant_a.admin.headers)
        assert_error(r, 422, "validation_error", field)

    async def test_filters_and_pagination(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        t1 = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        t2 = await make_token(client, tenant_a.admin, tenant_a.workspace_id, ("bugs:write",))
        start = datetime.now(UTC) - timedelta(seconds=1)
        for _ in range(3):
            await client.get("/v1/mcp/tools", headers=bearer(t1["token"]))
        await client.post(
            "/v1/mcp/tools/invoke", json={"name": "list_projects"}, headers=bearer(t2["token"])
        )
        h = tenant_a.admin.headers
        r = await client.get(_url(tenant_a), params={"limit": 2}, headers=h)
        page = r.json()
        assert len(page["data"]) == 2 and page["next_cursor"]
        r = await client.get(_url(tenant_a), params={"cursor": page["next_cursor"]}, headers=h)
        rest = r.json()
        assert len(rest["data"]) == 2 and rest["next_cursor"] is None
        all_ids = [e["id"] for e in page["data"] + rest["data"]]
        assert len(set(all_ids)) == 4
        assert [e["token_id"] for e in page["data"] + rest["data"]] == [t2["id"]] + [t1["id"]] * 3
        assert len(await _entries(client, tenant_a, t1["id"])) == 3
        denied = (await client.get(_url(tenant_a), params={"outcome": "denied"}, headers=h)).json()
        assert [e["token_id"] for e in denied["data"]] == [t2["id"]]
        by_tool = await client.get(_url(tenant_a), params={"tool": "list_projects"}, headers=h)
        assert [e["tool"] for e in by_tool.json()["data"]] == ["list_projects"]
        by_route = await client.get(_url(tenant_a), params={"route": "/v1/mcp/tools"}, headers=h)
        assert [e["token_id"] for e in by_route.json()["data"]] == [t1["id"]] * 3
        r = await client.get(
            _url(tenant_a), params={"route": "/v1/mcp/tools", "limit": 2}, headers=h
        )
        tail = await client.get(
            _url(tenant_a),
            params={"route": "/v1/mcp/tools", "cursor": r.json()["next_cursor"]},
            headers=h,
        )
        assert len(r.json()["data"]) == 2 and len(tail.json()["data"]) == 1
        r = await client.get(_url(tenant_a), params={"tool": "get_bug"}, headers=h)
        assert r.json()["data"] == []
        r = await client.get(
            _url(tenant_a), params={"tool": "list_projects", "route": "/v1/mcp/tools"}, headers=h
        )
        assert r.json()["data"] == []
        r = await client.get(
            _url(tenant_a),
            params={"since": (start - timedelta(hours=1)).isoformat(), "until": start.isoformat()},
            headers=h,
        )
        assert r.json()["data"] == []
        r = await client.get(_url(tenant_a), params={"since": start.isoformat()}, headers=h)
        assert len(r.json()["data"]) == 4
        r = await client.get(_url(tenant_a), params={"cursor": "x.y"}, headers=h)
        assert_error(r, 400, "invalid_cursor")

    async def test_entries_cannot_be_edited_or_deleted(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        for method in ("DELETE", "PATCH", "PUT", "POST"):
            r = await client.request(method, _url(tenant_a), headers=tenant_a.owner.headers)
            assert_error(r, 405, "method_not_allowed")
