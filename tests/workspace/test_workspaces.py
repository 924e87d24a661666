from __future__ import annotations

import httpx

from tests.conftest import assert_error
from tests.fixtures.users import ApiUser, Tenant, make_user


async def test_create_list_get_rename_delete(client: httpx.AsyncClient, user: ApiUser) -> None:
    r = await client.post("/v1/workspaces", json={"name": "Acme"}, headers=user.headers)
    assert r.status_code == 201
    ws = r.json()
    assert ws["name"] == "Acme" and ws["role"] == "owner"
    assert r.headers["location"] == f"/v1/workspaces/{ws['id']}"
    assert ws["created_at"].endswith("Z")

    listed = (await client.get("/v1/workspaces", headers=user.headers)).json()
    assert {w["id"] for w in listed["data"]} == {ws["id"], user.personal_workspace_id}
    assert listed["next_cursor"] is None

    r = await client.patch(
        f"/v1/workspaces/{ws['id']}", json={"name": "Acme Inc"}, headers=user.headers
    )
    assert r.status_code == 200 and r.json()["name"] == "Acme Inc"
    assert (await client.get(f"/v1/workspaces/{ws['id']}", headers=user.headers)).json()[
        "name"
    ] == "Acme Inc"

    assert (
        await client.delete(f"/v1/workspaces/{ws['id']}", headers=user.headers)
    ).status_code == 204
    assert_error(
        await client.get(f"/v1/workspaces/{ws['id']}", headers=user.headers),
        403,
        "workspace_forbidden",
    )


async def test_delete_removes_everything_in_it(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    t = tenant_a
    assert (
        await client.delete(f"/v1/workspaces/{t.workspace_id}", headers=t.owner.headers)
    ).status_code == 204
    assert_error(
        await client.get(f"/v1/projects/{t.project_id}", headers=t.owner.headers), 404, "not_found"
    )
    me = (await client.get("/v1/auth/me", headers=t.member.headers)).json()
    assert t.workspace_id not in {m["workspace_id"] for m in me["memberships"]}


async def test_only_owner_deletes(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    r = await client.delete(
        f"/v1/workspaces/{tenant_a.workspace_id}", headers=tenant_a.admin.headers
    )
    assert_error(r, 403, "insufficient_role")
    assert (
        await client.get(f"/v1/workspaces/{tenant_a.workspace_id}", headers=tenant_a.owner.headers)
    ).status_code == 200


async def test_nonexistent_and_foreign_workspace_look_the_same(
    client: httpx.AsyncClient, tenant_a: Tenant, user: ApiUser
) -> None:
    foreign = await client.get(f"/v1/workspaces/{tenant_a.workspace_id}", headers=user.headers)
    missing = await client.get(
        "/v1/workspaces/00000000-0000-4000-8000-000000000000", headers=user.headers
    )
    assert foreign.status_code == missing.status_code == 403
    assert foreign.json()["error"]["message"] == missing.json()["error"]["message"]


async def test_name_validation(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert_error(
        await client.post("/v1/workspaces", json={"name": ""}, headers=user.headers),
        422,
        "validation_error",
        "body.name",
    )
    assert_error(
        await client.post("/v1/workspaces", json={"name": "x" * 101}, headers=user.headers),
        422,
        "validation_error",
        "body.name",
    )


async def test_bad_workspace_id_is_422(client: httpx.AsyncClient, user: ApiUser) -> None:
    assert_error(
        await client.get("/v1/workspaces/not-a-uuid", headers=user.headers),
        422,
        "validation_error",
        "path.workspace_id",
    )


async def test_storage_report(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    r = await client.get(
        f"/v1/workspaces/{tenant_a.workspace_id}/storage", headers=tenant_a.viewer.headers
    )
    assert r.status_code == 200
    body = r.json()
    assert body["workspace_id"] == tenant_a.workspace_id
    assert body["used_bytes"] == 0 and body["reserved_bytes"] == 0
    assert "quota_bytes" in body
    assert body["bug_count"] == 0


async def test_storage_counts_the_workspaces_bugs_only(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """`bug_count` (what deleting the workspace removes) counts this workspace's bugs, for any
    member; another workspace's owner gets the usual refusal and learns no number."""

    async def bug(t: Tenant, title: str) -> str:
        r = await client.post(
            "/v1/bugs", json={"project_id": t.project_id, "title": title}, headers=t.member.headers
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    first = await bug(tenant_a, "one")
    await bug(tenant_a, "two")
    await bug(tenant_b, "theirs")
    url = f"/v1/workspaces/{tenant_a.workspace_id}/storage"
    for role in ("viewer", "member", "admin", "owner"):
        r = await client.get(url, headers=tenant_a.user(role).headers)
        assert r.status_code == 200, r.text
        assert r.json()["bug_count"] == 2
    theirs = await client.get(
        f"/v1/workspaces/{tenant_b.workspace_id}/storage", headers=tenant_b.viewer.headers
    )
    assert theirs.json()["bug_count"] == 1
    assert_error(await client.get(url, headers=tenant_b.owner.headers), 403, "workspace_forbidden")
    r = await client.delete(f"/v1/bugs/{first}", headers=tenant_a.admin.headers)
    assert r.status_code == 204, r.text
    assert (await client.get(url, headers=tenant_a.viewer.headers)).json()["bug_count"] == 1


async def test_workspace_list_paginates(client: httpx.AsyncClient, settings: object) -> None:
    u = await make_user(client, settings)  # type: ignore[arg-type]
    for i in range(4):
        await client.post("/v1/workspaces", json={"name": f"w{i}"}, headers=u.headers)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/workspaces", params=params, headers=u.headers)).json()
        assert len(page["data"]) <= 2
        seen += [w["id"] for w in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
