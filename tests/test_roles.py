"""The role table (authz.POLICY) walked over HTTP for every role, and docs/roles.md kept true."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from bugport.authz import POLICY, ROLES, allows
from tests.fixtures.users import ApiUser, Tenant

Probe = Callable[[httpx.AsyncClient, Tenant, ApiUser], Awaitable[httpx.Response]]


def _key() -> str:
    return "K" + uuid.uuid4().hex[:6].upper()


async def _new_bug(c: httpx.AsyncClient, t: Tenant) -> str:
    r = await c.post(
        "/v1/bugs", json={"project_id": t.project_id, "title": "probe"}, headers=t.owner.headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _bug(c: httpx.AsyncClient, t: Tenant) -> str:
    if "role_probe_bug" not in t.extra:
        t.extra["role_probe_bug"] = await _new_bug(c, t)
    return str(t.extra["role_probe_bug"])


async def _delete_fresh_bug(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    return await c.delete(f"/v1/bugs/{await _new_bug(c, t)}", headers=u.headers)


async def _delete_owners_comment(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    bug = await _bug(c, t)
    r = await c.post(
        f"/v1/bugs/{bug}/comments", json={"body": "by the owner"}, headers=t.owner.headers
    )
    assert r.status_code == 201, r.text
    return await c.delete(f"/v1/bugs/{bug}/comments/{r.json()['id']}", headers=u.headers)


async def _read_bug(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    return await c.get(f"/v1/bugs/{await _bug(c, t)}", headers=u.headers)


async def _write_bug(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    return await c.patch(
        f"/v1/bugs/{await _bug(c, t)}", json={"severity": "high"}, headers=u.headers
    )


async def _comment(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    return await c.post(
        f"/v1/bugs/{await _bug(c, t)}/comments", json={"body": "hi"}, headers=u.headers
    )


async def _share(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    return await c.post(f"/v1/bugs/{await _bug(c, t)}/share-links", json={}, headers=u.headers)


def _upload_body(t: Tenant) -> dict[str, object]:
    return {
        "filename": "a.png",
        "content_type": "image/png",
        "size_bytes": 10,
        "kind": "screenshot",
        "project_id": t.project_id,
    }


async def _read_media(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    if "media_id" not in t.extra:
        r = await c.post("/v1/media/upload-url", json=_upload_body(t), headers=t.owner.headers)
        t.extra["media_id"] = r.json()["media_id"]
    return await c.get(f"/v1/media/{t.extra['media_id']}", headers=u.headers)


async def _someone_elses_mcp_token(c: httpx.AsyncClient, t: Tenant, u: ApiUser) -> httpx.Response:
    """Read an MCP token the owner made: only admins manage other people's tokens."""
    if "owner_mcp_token" not in t.extra:
        r = await c.post(
            f"/v1/workspaces/{t.workspace_id}/mcp-tokens",
            json={"name": "owner's", "scopes": ["bugs:read"]},
            headers=t.owner.headers,
        )
        t.extra["owner_mcp_token"] = r.json()["id"]
    url = f"/v1/workspaces/{t.workspace_id}/mcp-tokens/{t.extra['owner_mcp_token']}"
    return await c.get(url, headers=u.headers)


PROBES: dict[str, Probe] = {
    "workspace.read": lambda c, t, u: c.get(f"/v1/workspaces/{t.workspace_id}", headers=u.headers),
    "workspace.update": lambda c, t, u: c.patch(
        f"/v1/workspaces/{t.workspace_id}", json={"name": "renamed"}, headers=u.headers
    ),
    "workspace.delete": lambda c, t, u: c.delete(
        f"/v1/workspaces/{t.workspace_id}", headers=u.headers
    ),
    "member.list": lambda c, t, u: c.get(
        f"/v1/workspaces/{t.workspace_id}/members", headers=u.headers
    ),
    "member.manage": lambda c, t, u: c.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.member.id}",
        json={"role": "member"},
        headers=u.headers,
    ),
    "invite.manage": lambda c, t, u: c.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": f"{uuid.uuid4().hex[:6]}@example.com"},
        headers=u.headers,
    ),
    "storage.read": lambda c, t, u: c.get(
        f"/v1/workspaces/{t.workspace_id}/storage", headers=u.headers
    ),
    "project.read": lambda c, t, u: c.get(f"/v1/projects/{t.project_id}", headers=u.headers),
    "mcp_token.create": lambda c, t, u: c.post(
        f"/v1/workspaces/{t.workspace_id}/mcp-tokens",
        json={"name": "agent", "scopes": ["bugs:read"]},
        headers=u.headers,
    ),
    "mcp_token.manage": lambda c, t, u: _someone_elses_mcp_token(c, t, u),
    "audit.read": lambda c, t, u: c.get(
        f"/v1/workspaces/{t.workspace_id}/audit-log", headers=u.headers
    ),
    "project.manage": lambda c, t, u: c.post(
        "/v1/projects",
        json={"workspace_id": t.workspace_id, "name": "p", "key": _key()},
        headers=u.headers,
    ),
    "billing.read": lambda c, t, u: c.get(
        f"/v1/workspaces/{t.workspace_id}/billing", headers=u.headers
    ),
    # Without Stripe settings an allowed caller gets 409 billing_disabled: past the role check.
    "billing.manage": lambda c, t, u: c.post(
        f"/v1/workspaces/{t.workspace_id}/billing/portal", json={}, headers=u.headers
    ),
    "bug.read": _read_bug,
    "bug.write": _write_bug,
    "bug.delete": _delete_fresh_bug,
    "comment.write": _comment,
    "comment.moderate": _delete_owners_comment,
    "share.manage": _share,
    "media.read": _read_media,
    "media.write": lambda c, t, u: c.post(
        "/v1/media/upload-url", json=_upload_body(t), headers=u.headers
    ),
    "connector.read": lambda c, t, u: c.get(
        "/v1/connectors", params={"workspace_id": t.workspace_id}, headers=u.headers
    ),
    # The default test app has no provider credentials: the test answers a 200 "error" verdict.
    "connector.use": lambda c, t, u: _with_connector(
        c, t, lambda cid: c.post(f"/v1/connectors/{cid}/test", headers=u.headers)
    ),
    "connector.manage": lambda c, t, u: _with_connector(
        c,
        t,
        lambda cid: c.put(
            f"/v1/projects/{t.project_id}/tracker-target",
            json={"connector_id": cid, "repo": "acme/web"},
            headers=u.headers,
        ),
    ),
    "widget_key.manage": lambda c, t, u: c.post(
        f"/v1/projects/{t.project_id}/widget-keys",
        json={"label": "site", "allowed_origins": ["https://app.example.com"]},
        headers=u.headers,
    ),
    "webhook.manage": lambda c, t, u: c.get(
        f"/v1/workspaces/{t.workspace_id}/webhooks", headers=u.headers
    ),
}


async def _with_connector(
    c: httpx.AsyncClient, t: Tenant, call: Callable[[str], Awaitable[httpx.Response]]
) -> httpx.Response:
    from tests.fixtures.connectors import seed_connector

    return await call(await seed_connector(c, t.workspace_id))


def test_every_policy_action_has_a_probe() -> None:
    missing = set(POLICY) - set(PROBES)
    assert not missing, f"add an HTTP probe for {missing} to PROBES"


@pytest.mark.parametrize("action", sorted(PROBES))
async def test_role_table_over_http(
    client: httpx.AsyncClient, tenant_a: Tenant, action: str
) -> None:
    probe = PROBES[action]
    for role in ROLES:  # lowest first, so a destructive probe runs last (by the owner)
        r = await probe(client, tenant_a, tenant_a.user(role))
        if allows(role, action):
            assert r.status_code != 403 and r.status_code < 500, (
                f"{role} should be allowed {action}: {r.status_code} {r.text}"
            )
        else:
            assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_role", (
                f"{role} must not {action}: {r.status_code}"
            )


def test_docs_role_table_matches_policy() -> None:
    text = (Path(__file__).parents[1] / "docs" / "roles.md").read_text()
    rows = dict(re.findall(r"^\|\s*`([a-z_.]+)`\s*\|\s*(\w+)\s*\|", text, re.M))
    assert rows == POLICY, "docs/roles.md must list every authz.POLICY action with its minimum role"
