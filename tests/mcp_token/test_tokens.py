from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from bugport.kit.crypto import token_is_well_formed
from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, expire_token, make_token
from tests.fixtures.users import Tenant


def _url(t: Tenant) -> str:
    return f"/v1/workspaces/{t.workspace_id}/mcp-tokens"


class TestCreate:
    async def test_no_credential(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post(_url(tenant_a), json={"name": "x", "scopes": ["bugs:read"]})
        assert_error(r, 401, "unauthorized")

    async def test_other_workspace(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await client.post(
            _url(tenant_a),
            json={"name": "x", "scopes": ["bugs:read"]},
            headers=tenant_b.owner.headers,
        )
        assert_error(r, 403, "workspace_forbidden")

    async def test_member_creates_for_self_shown_once(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await client.post(
            _url(tenant_a),
            json={"name": "claude", "scopes": ["bugs:read", "bugs:write"]},
            headers=tenant_a.member.headers,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert r.headers["location"] == f"{_url(tenant_a)}/{body['id']}"
        assert token_is_well_formed(body["token"], "bp_mcp_")
        assert body["token_hint"] == f"bp_mcp_…{body['token'][-4:]}"
        assert body["created_by_id"] == tenant_a.member.id
        assert body["scopes"] == ["bugs:read", "bugs:write"]
        assert body["status"] == "active" and body["project_ids"] is None
        assert body["last_used_at"] is None and body["expires_at"].endswith("Z")
        # Default expiry: 90 days.
        exp = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        assert timedelta(days=89) < exp - datetime.now(UTC) <= timedelta(days=90)
        r = await client.get(r.headers["location"], headers=tenant_a.member.headers)
        assert r.status_code == 200 and "token" not in r.json()
        assert r.json()["token_hint"] == body["token_hint"]

    async def test_viewer_gets_read_but_not_write(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = tenant_a.viewer.headers
        r = await client.post(
            _url(tenant_a), json={"name": "x", "scopes": ["bugs:write"]}, headers=h
        )
        err = assert_error(r, 403, "insufficient_role")
        assert "bugs:write" in err["message"]
        r = await client.post(
            _url(tenant_a), json={"name": "x", "scopes": ["bugs:read"]}, headers=h
        )
        assert r.status_code == 201, r.text

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"scopes": ["bugs:read"]}, "body.name"),
            ({"name": "x", "scopes": []}, "body.scopes"),
            ({"name": "x", "scopes": ["admin:all"]}, "body.scopes.0"),
            ({"name": "x", "scopes": ["bugs:read"], "project_ids": []}, "body.project_ids"),
            (
                {"name": "x", "scopes": ["bugs:read"], "expires_at": "2001-01-01T00:00:00Z"},
                "body.expires_at",
            ),
            (
                {"name": "x", "scopes": ["bugs:read"], "expires_at": "2999-01-01T00:00:00Z"},
                "body.expires_at",
            ),
            ({"name": "x", "scopes": ["bugs:read"], "role": "owner"}, "body.role"),
        ],
    )
    async def test_bad_input(
        self, client: httpx.AsyncClient, tenant_a: Tenant, body: dict[str, object], field: str
    ) -> None:
        r = await client.post(_url(tenant_a), json=body, headers=tenant_a.admin.headers)
        assert_error(r, 422, "validation_error", field)

    async def test_project_restriction_must_be_this_workspace(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await client.post(
            _url(tenant_a),
            json={"name": "x", "scopes": ["bugs:read"], "project_ids": [tenant_b.project_id]},
            headers=tenant_a.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.project_ids")
        tok = await make_token(
            client, tenant_a.admin, tenant_a.workspace_id, project_ids=[tenant_a.project_id]
        )
        assert tok["project_ids"] == [tenant_a.project_id]

    async def test_explicit_expiry_within_max(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        when = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
        tok = await make_token(
            client, tenant_a.member, tenant_a.workspace_id, expires_at=when.isoformat()
        )
        assert tok["expires_at"] == when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class TestListAndRevoke:
    async def test_admin_sees_all_member_sees_own(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        mine = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        theirs = await make_token(client, tenant_a.admin, tenant_a.workspace_id)
        r = await client.get(_url(tenant_a), headers=tenant_a.admin.headers)
        ids = [t["id"] for t in r.json()["data"]]
        assert mine["id"] in ids and theirs["id"] in ids
        assert all("token" not in t for t in r.json()["data"])
        r = await client.get(_url(tenant_a), headers=tenant_a.member.headers)
        assert [t["id"] for t in r.json()["data"]] == [mine["id"]]
        # Someone else's token: visible to the workspace, managed only by admins.
        r = await client.get(f"{_url(tenant_a)}/{theirs['id']}", headers=tenant_a.member.headers)
        assert_error(r, 403, "insufficient_role")
        r = await client.delete(f"{_url(tenant_a)}/{theirs['id']}", headers=tenant_a.member.headers)
        assert_error(r, 403, "insufficient_role")
        r = await client.get(f"{_url(tenant_a)}/{theirs['id']}", headers=tenant_a.owner.headers)
        assert r.json()["status"] == "active"
        r = await client.get(f"{_url(tenant_a)}/{uuid.uuid4()}", headers=tenant_a.admin.headers)
        assert_error(r, 404, "not_found")

    async def test_pagination(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        made = [await make_token(client, tenant_a.owner, tenant_a.workspace_id) for _ in range(3)]
        r = await client.get(_url(tenant_a), params={"limit": 2}, headers=tenant_a.owner.headers)
        page1 = r.json()
        assert len(page1["data"]) == 2 and page1["next_cursor"]
        r = await client.get(
            _url(tenant_a),
            params={"limit": 2, "cursor": page1["next_cursor"]},
            headers=tenant_a.owner.headers,
        )
        seen = [t["id"] for t in page1["data"] + r.json()["data"]]
        assert seen == [t["id"] for t in reversed(made)]  # newest first
        r = await client.get(
            _url(tenant_a), params={"cursor": "tampered.x"}, headers=tenant_a.owner.headers
        )
        assert_error(r, 400, "invalid_cursor")

    async def test_list_other_workspace_and_no_credential(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        assert_error(await client.get(_url(tenant_a)), 401, "unauthorized")
        r = await client.get(_url(tenant_a), headers=tenant_b.owner.headers)
        assert_error(r, 403, "workspace_forbidden")

    async def test_revoke_stops_token_at_once(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert r.status_code == 200, r.text
        r = await client.delete(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.admin.headers)
        assert r.status_code == 204
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert_error(r, 401, "invalid_token")
        assert r.headers["www-authenticate"].startswith("Bearer")
        r = await client.get(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.member.headers)
        assert r.json()["status"] == "revoked" and r.json()["revoked_at"]
        # Revoking again is harmless.
        r = await client.delete(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.member.headers)
        assert r.status_code == 204

    async def test_member_revokes_own(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.delete(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.member.headers)
        assert r.status_code == 204


class TestTokenLifecycle:
    async def test_expired_token(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        await expire_token(app, tok["id"])
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert_error(r, 401, "token_expired")
        r = await client.get(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.member.headers)
        assert r.json()["status"] == "expired"

    async def test_malformed_and_unknown(self, client: httpx.AsyncClient) -> None:
        from bugport.kit.crypto import generate_token

        for token in (
            "bp_mcp_short",
            generate_token("bp_mcp_")[:-1] + "x",
            generate_token("bp_mcp_"),
        ):
            r = await client.get("/v1/mcp/tools", headers=bearer(token))
            assert_error(r, 401, "invalid_token")

    async def test_removed_member_token_stops_at_once(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        assert (await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))).status_code == 200
        r = await client.delete(
            f"/v1/workspaces/{tenant_a.workspace_id}/members/{tenant_a.member.id}",
            headers=tenant_a.admin.headers,
        )
        assert r.status_code == 204
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert_error(r, 401, "invalid_token")

    async def test_demoted_creator_loses_write_scope(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert r.json()["scopes"] == ["bugs:read", "bugs:write"]
        r = await client.patch(
            f"/v1/workspaces/{tenant_a.workspace_id}/members/{tenant_a.member.id}",
            json={"role": "viewer"},
            headers=tenant_a.admin.headers,
        )
        assert r.status_code == 200
        r = await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        assert r.json()["scopes"] == ["bugs:read"]

    async def test_last_used_recorded(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        await client.get("/v1/mcp/tools", headers=bearer(tok["token"]))
        r = await client.get(f"{_url(tenant_a)}/{tok['id']}", headers=tenant_a.member.headers)
        assert r.json()["last_used_at"] and r.json()["last_used_ip"] == "127.0.0.1"


MANAGEMENT = [
    ("GET", "/v1/workspaces/{ws}", None),
    ("PATCH", "/v1/workspaces/{ws}", {"name": "by agent"}),
    ("DELETE", "/v1/workspaces/{ws}", None),
    ("GET", "/v1/workspaces/{ws}/members", None),
    ("PATCH", "/v1/workspaces/{ws}/members/{member}", {"role": "admin"}),
    ("DELETE", "/v1/workspaces/{ws}/members/{member}", None),
    ("POST", "/v1/workspaces/{ws}/invites", {"email": "x@example.com", "role": "admin"}),
    ("GET", "/v1/workspaces/{ws}/invites", None),
    ("DELETE", "/v1/workspaces/{ws}/invites/{invite}", None),
    ("GET", "/v1/workspaces/{ws}/storage", None),
    ("POST", "/v1/workspaces", {"name": "agent's"}),
    ("POST", "/v1/projects", {"workspace_id": "{ws}", "name": "P", "key": "AGT"}),
    ("PATCH", "/v1/projects/{project}", {"name": "renamed"}),
    ("DELETE", "/v1/projects/{project}", None),
    ("POST", "/v1/workspaces/{ws}/mcp-tokens", {"name": "child", "scopes": ["bugs:read"]}),
    ("GET", "/v1/workspaces/{ws}/mcp-tokens", None),
    ("DELETE", "/v1/workspaces/{ws}/mcp-tokens/{token}", None),
    ("GET", "/v1/workspaces/{ws}/audit-log", None),
    ("GET", "/v1/auth/me", None),
    ("GET", "/v1/workspaces/{ws}/billing", None),
    ("POST", "/v1/workspaces/{ws}/billing/portal", None),
    ("POST", "/v1/workspaces/{ws}/billing/storage-addons", {"quantity": 1}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), MANAGEMENT, ids=[f"{m} {p}" for m, p, _ in MANAGEMENT]
)
async def test_tokens_never_reach_management_routes(
    client: httpx.AsyncClient, tenant_a: Tenant, method: str, path: str, body: object
) -> None:
    # An owner's token with every scope is still refused: management is for people.
    tok = await make_token(client, tenant_a.owner, tenant_a.workspace_id)
    subs = {
        "{ws}": tenant_a.workspace_id,
        "{member}": tenant_a.member.id,
        "{invite}": tenant_a.invite_id,
        "{project}": tenant_a.project_id,
        "{token}": tok["id"],
    }

    def fill(s: str) -> str:
        for k, v in subs.items():
            s = s.replace(k, v)
        return s

    kwargs: dict[str, object] = {}
    if body is not None:
        kwargs["json"] = {k: fill(v) if isinstance(v, str) else v for k, v in body.items()}  # type: ignore[union-attr]
    r = await client.request(method, fill(path), headers=bearer(tok["token"]), **kwargs)  # type: ignore[arg-type]
    assert_error(r, 403, "forbidden")
    # Nothing changed: the workspace, the member and the token are all still there.
    h = tenant_a.owner.headers
    assert (
        await client.get(f"/v1/workspaces/{tenant_a.workspace_id}", headers=h)
    ).status_code == 200
    r = await client.get(f"/v1/workspaces/{tenant_a.workspace_id}/members", headers=h)
    assert {m["user_id"]: m["role"] for m in r.json()["data"]}[tenant_a.member.id] == "member"
    r = await client.get(
        f"/v1/workspaces/{tenant_a.workspace_id}/mcp-tokens/{tok['id']}", headers=h
    )
    assert r.json()["status"] == "active"
