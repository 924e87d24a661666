from __future__ import annotations

import httpx

from bugport.auth.jwt import mint_dev_token
from tests.fixtures.users import make_user


async def test_me_lists_memberships(client: httpx.AsyncClient, settings: object) -> None:
    u = await make_user(client, settings, name="Ada")  # type: ignore[arg-type]
    me = (await client.get("/v1/auth/me", headers=u.headers)).json()
    assert me["email"] == u.email and me["name"] == "Ada"
    assert me["memberships"] == [
        {
            "workspace_id": u.personal_workspace_id,
            "workspace_name": "Ada's workspace",
            "role": "owner",
        }
    ]


async def test_first_sync_creates_personal_workspace_with_default_project(
    client: httpx.AsyncClient, settings: object
) -> None:
    u = await make_user(client, settings)  # type: ignore[arg-type]
    projects = (
        await client.get(
            "/v1/projects", params={"workspace_id": u.personal_workspace_id}, headers=u.headers
        )
    ).json()["data"]
    assert [p["key"] for p in projects] == ["APP"]


async def test_sync_is_idempotent_and_updates_profile(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    u = await make_user(client, settings)
    again = await client.post("/v1/auth/sync-profile", headers=u.headers)
    assert again.json()["created_workspace_id"] is None
    assert len(again.json()["memberships"]) == 1
    renamed = mint_dev_token(settings, u.email, "New Name")
    r = await client.post("/v1/auth/sync-profile", headers={"Authorization": f"Bearer {renamed}"})
    assert r.json()["name"] == "New Name" and len(r.json()["memberships"]) == 1


async def test_sync_takes_no_body_fields(client: httpx.AsyncClient, settings: object) -> None:
    u = await make_user(client, settings)  # type: ignore[arg-type]
    r = await client.post(
        "/v1/auth/sync-profile",
        json={"role": "owner", "id": "x", "is_admin": True},
        headers=u.headers,
    )
    # Nothing in a body can set roles or ids: the body is not read at all.
    assert r.status_code == 200 and r.json()["id"] == u.id and len(r.json()["memberships"]) == 1
