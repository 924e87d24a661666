from __future__ import annotations

import httpx

from tests.conftest import assert_error
from tests.fixtures.users import Tenant


async def test_list_members_with_roles(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.get(f"/v1/workspaces/{t.workspace_id}/members", headers=t.viewer.headers)
    roles = {m["user_id"]: m["role"] for m in r.json()["data"]}
    assert roles == {
        t.owner.id: "owner",
        t.admin.id: "admin",
        t.member.id: "member",
        t.viewer.id: "viewer",
    }


async def test_admin_changes_role(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.viewer.id}",
        json={"role": "member"},
        headers=t.admin.headers,
    )
    assert r.status_code == 200 and r.json()["role"] == "member"
    # The change is effective at once: the former viewer can now do member things (read back).
    me = (await client.get("/v1/auth/me", headers=t.viewer.headers)).json()
    assert {m["workspace_id"]: m["role"] for m in me["memberships"]}[t.workspace_id] == "member"


async def test_member_cannot_change_roles(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.viewer.id}",
        json={"role": "admin"},
        headers=t.member.headers,
    )
    assert_error(r, 403, "insufficient_role")


async def test_admin_cannot_grant_or_take_owner(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.member.id}",
        json={"role": "owner"},
        headers=t.admin.headers,
    )
    assert_error(r, 403, "insufficient_role")
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.owner.id}",
        json={"role": "viewer"},
        headers=t.admin.headers,
    )
    assert_error(r, 403, "insufficient_role")


async def test_last_owner_cannot_be_demoted_or_removed(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.owner.id}",
        json={"role": "admin"},
        headers=t.owner.headers,
    )
    assert_error(r, 409, "conflict")
    r = await client.delete(
        f"/v1/workspaces/{t.workspace_id}/members/{t.owner.id}", headers=t.owner.headers
    )
    assert_error(r, 409, "conflict")
    # With a second owner, the first may step down.
    await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.admin.id}",
        json={"role": "owner"},
        headers=t.owner.headers,
    )
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.owner.id}",
        json={"role": "admin"},
        headers=t.owner.headers,
    )
    assert r.status_code == 200 and r.json()["role"] == "admin"


async def test_remove_member_stops_access_at_once(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    t = tenant_a
    assert (
        await client.get(f"/v1/projects/{t.project_id}", headers=t.member.headers)
    ).status_code == 200
    r = await client.delete(
        f"/v1/workspaces/{t.workspace_id}/members/{t.member.id}", headers=t.admin.headers
    )
    assert r.status_code == 204
    assert_error(
        await client.get(f"/v1/projects/{t.project_id}", headers=t.member.headers), 404, "not_found"
    )
    assert_error(
        await client.get(f"/v1/workspaces/{t.workspace_id}", headers=t.member.headers),
        403,
        "workspace_forbidden",
    )


async def test_member_can_leave(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    assert (
        await client.delete(
            f"/v1/workspaces/{t.workspace_id}/members/{t.viewer.id}", headers=t.viewer.headers
        )
    ).status_code == 204
    members = (
        await client.get(f"/v1/workspaces/{t.workspace_id}/members", headers=t.owner.headers)
    ).json()["data"]
    assert t.viewer.id not in {m["user_id"] for m in members}


async def test_unknown_member_is_404(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{tenant_b.member.id}",
        json={"role": "viewer"},
        headers=t.owner.headers,
    )
    assert_error(r, 404, "not_found")


async def test_role_must_be_known(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{t.member.id}",
        json={"role": "god"},
        headers=t.owner.headers,
    )
    assert_error(r, 422, "validation_error", "body.role")
