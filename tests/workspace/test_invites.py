from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from bugport.models import Invite
from bugport.models.base import utcnow
from tests.conftest import assert_error
from tests.fixtures.users import Tenant, make_user


async def _invite(client: httpx.AsyncClient, t: Tenant, email: str, role: str = "member") -> dict:
    r = await client.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": email, "role": role},
        headers=t.admin.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_invite_shown_once_then_hinted(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    inv = await _invite(client, tenant_a, "new@example.com")
    assert inv["token"].startswith("bp_inv_") and len(inv["token"]) > 40
    assert inv["status"] == "pending"
    listed = (
        await client.get(
            f"/v1/workspaces/{tenant_a.workspace_id}/invites", headers=tenant_a.admin.headers
        )
    ).json()["data"]
    row = next(i for i in listed if i["id"] == inv["id"])
    assert "token" not in row and row["token_hint"].endswith(inv["token"][-4:])
    assert inv["token"] not in str(listed)


async def test_accept_by_matching_email_once(
    client: httpx.AsyncClient, tenant_a: Tenant, settings: object
) -> None:
    invitee = await make_user(client, settings)  # type: ignore[arg-type]
    inv = await _invite(client, tenant_a, invitee.email.upper(), "viewer")
    r = await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers)
    assert r.status_code == 200 and r.json() == {
        "workspace_id": tenant_a.workspace_id,
        "role": "viewer",
    }
    # Asking again (the invite page after a sign-in that already accepted it): the same answer,
    # nothing changes.
    r = await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers)
    assert r.status_code == 200 and r.json() == {
        "workspace_id": tenant_a.workspace_id,
        "role": "viewer",
    }
    assert (
        await client.get(f"/v1/workspaces/{tenant_a.workspace_id}", headers=invitee.headers)
    ).json()["role"] == "viewer"
    # Someone else with the spent token, or the invitee after leaving: spent.
    other = await make_user(client, settings)  # type: ignore[arg-type]
    r = await client.post(f"/v1/invites/{inv['token']}/accept", headers=other.headers)
    assert r.status_code in (403, 409), r.text
    r = await client.delete(
        f"/v1/workspaces/{tenant_a.workspace_id}/members/{invitee.id}", headers=invitee.headers
    )
    assert r.status_code == 204, r.text
    assert_error(
        await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers),
        409,
        "conflict",
    )


async def test_accept_with_other_email_is_refused(
    client: httpx.AsyncClient, tenant_a: Tenant, settings: object
) -> None:
    inv = await _invite(client, tenant_a, "someone-else@example.com")
    stranger = await make_user(client, settings)  # type: ignore[arg-type]
    assert_error(
        await client.post(f"/v1/invites/{inv['token']}/accept", headers=stranger.headers),
        403,
        "forbidden",
    )


async def test_revoked_and_unknown_invites_are_404(
    client: httpx.AsyncClient, tenant_a: Tenant, settings: object
) -> None:
    invitee = await make_user(client, settings)  # type: ignore[arg-type]
    inv = await _invite(client, tenant_a, invitee.email)
    assert (
        await client.delete(
            f"/v1/workspaces/{tenant_a.workspace_id}/invites/{inv['id']}",
            headers=tenant_a.admin.headers,
        )
    ).status_code == 204
    assert_error(
        await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers),
        404,
        "not_found",
    )
    assert_error(
        await client.post("/v1/invites/bp_inv_nope/accept", headers=invitee.headers),
        404,
        "not_found",
    )
    listed = (
        await client.get(
            f"/v1/workspaces/{tenant_a.workspace_id}/invites", headers=tenant_a.admin.headers
        )
    ).json()["data"]
    assert next(i for i in listed if i["id"] == inv["id"])["status"] == "revoked"


async def test_invites_expire_after_seven_days(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant, settings: object
) -> None:
    invitee = await make_user(client, settings)  # type: ignore[arg-type]
    inv = await _invite(client, tenant_a, invitee.email)
    assert inv["expires_at"][:10] == (utcnow() + timedelta(days=7)).strftime("%Y-%m-%d")
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(
            update(Invite)
            .where(Invite.id == uuid.UUID(inv["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_error(
        await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers),
        404,
        "not_found",
    )


async def test_pending_invites_attach_on_first_sync(
    client: httpx.AsyncClient, tenant_a: Tenant, settings: object
) -> None:
    email = "arrives-later@example.com".replace("@", f"-{tenant_a.workspace_id[:8]}@")
    inv = await _invite(client, tenant_a, email, "member")
    newcomer = await make_user(client, settings, email=email)  # type: ignore[arg-type]
    me = (await client.get("/v1/auth/me", headers=newcomer.headers)).json()
    assert {m["workspace_id"]: m["role"] for m in me["memberships"]}[
        tenant_a.workspace_id
    ] == "member"
    listed = (
        await client.get(
            f"/v1/workspaces/{tenant_a.workspace_id}/invites", headers=tenant_a.admin.headers
        )
    ).json()["data"]
    assert next(i for i in listed if i["id"] == inv["id"])["status"] == "accepted"


async def test_only_admins_invite_and_only_owners_invite_owners(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    t = tenant_a
    r = await client.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": "x@example.com"},
        headers=t.member.headers,
    )
    assert_error(r, 403, "insufficient_role")
    r = await client.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": "x@example.com", "role": "owner"},
        headers=t.admin.headers,
    )
    assert_error(r, 403, "insufficient_role")
    r = await client.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": "x@example.com", "role": "owner"},
        headers=t.owner.headers,
    )
    assert r.status_code == 201


async def test_invite_email_is_validated(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    r = await client.post(
        f"/v1/workspaces/{tenant_a.workspace_id}/invites",
        json={"email": "not-an-email"},
        headers=tenant_a.admin.headers,
    )
    assert_error(r, 422, "validation_error", "body.email")


async def test_accepted_invite_cannot_be_revoked(
    client: httpx.AsyncClient, tenant_a: Tenant, settings: object
) -> None:
    invitee = await make_user(client, settings)  # type: ignore[arg-type]
    inv = await _invite(client, tenant_a, invitee.email)
    await client.post(f"/v1/invites/{inv['token']}/accept", headers=invitee.headers)
    r = await client.delete(
        f"/v1/workspaces/{tenant_a.workspace_id}/invites/{inv['id']}",
        headers=tenant_a.admin.headers,
    )
    assert_error(r, 409, "conflict")
