from __future__ import annotations

import httpx

from tests.conftest import assert_error
from tests.fixtures.users import Tenant


async def test_create_get_update_delete(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.post(
        "/v1/projects",
        json={"workspace_id": t.workspace_id, "name": "Web", "key": "WEB"},
        headers=t.admin.headers,
    )
    assert r.status_code == 201
    p = r.json()
    assert p["key"] == "WEB" and r.headers["location"] == f"/v1/projects/{p['id']}"
    assert (await client.get(f"/v1/projects/{p['id']}", headers=t.viewer.headers)).json()[
        "name"
    ] == "Web"
    r = await client.patch(
        f"/v1/projects/{p['id']}", json={"description": "the site"}, headers=t.admin.headers
    )
    assert r.json()["description"] == "the site" and r.json()["name"] == "Web"
    assert (
        await client.delete(f"/v1/projects/{p['id']}", headers=t.admin.headers)
    ).status_code == 204
    assert_error(
        await client.get(f"/v1/projects/{p['id']}", headers=t.admin.headers), 404, "not_found"
    )


async def test_key_is_unique_per_workspace(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    body = {"workspace_id": tenant_a.workspace_id, "name": "Web", "key": "DUP"}
    assert (
        await client.post("/v1/projects", json=body, headers=tenant_a.admin.headers)
    ).status_code == 201
    assert_error(
        await client.post("/v1/projects", json=body, headers=tenant_a.admin.headers),
        409,
        "conflict",
    )
    other = {**body, "workspace_id": tenant_b.workspace_id}
    assert (
        await client.post("/v1/projects", json=other, headers=tenant_b.admin.headers)
    ).status_code == 201


async def test_key_format(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    for bad in ("web", "1AB", "A", "TOOLONGKEY1", "W-B"):
        r = await client.post(
            "/v1/projects",
            json={"workspace_id": tenant_a.workspace_id, "name": "x", "key": bad},
            headers=tenant_a.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.key")


async def test_key_is_not_writable_after_creation(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    r = await client.patch(
        f"/v1/projects/{tenant_a.project_id}", json={"key": "NEW"}, headers=tenant_a.admin.headers
    )
    assert_error(r, 422, "validation_error", "body.key")


async def test_name_cannot_be_nulled(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    r = await client.patch(
        f"/v1/projects/{tenant_a.project_id}", json={"name": None}, headers=tenant_a.admin.headers
    )
    assert_error(r, 422, "validation_error", "body.name")


async def test_members_cannot_manage_projects(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    r = await client.post(
        "/v1/projects",
        json={"workspace_id": t.workspace_id, "name": "x", "key": "MEM"},
        headers=t.member.headers,
    )
    assert_error(r, 403, "insufficient_role")
    assert_error(
        await client.delete(f"/v1/projects/{t.project_id}", headers=t.member.headers),
        403,
        "insufficient_role",
    )


async def test_create_in_foreign_workspace_is_403(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    r = await client.post(
        "/v1/projects",
        json={"workspace_id": tenant_a.workspace_id, "name": "x", "key": "EVIL"},
        headers=tenant_b.owner.headers,
    )
    assert_error(r, 403, "workspace_forbidden")


async def test_list_filters_and_scopes(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    mine = (await client.get("/v1/projects", headers=tenant_a.viewer.headers)).json()["data"]
    assert {p["workspace_id"] for p in mine} == {
        tenant_a.workspace_id,
        tenant_a.viewer.personal_workspace_id,
    }
    assert tenant_b.project_id not in {p["id"] for p in mine}
    r = await client.get(
        "/v1/projects",
        params={"workspace_id": tenant_b.workspace_id},
        headers=tenant_a.viewer.headers,
    )
    assert_error(r, 403, "workspace_forbidden")
