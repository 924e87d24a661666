"""A project-restricted MCP token acts only inside its projects: the target project of a create is
resolved through authz like every read, so naming another project of the same workspace is a 404."""

from __future__ import annotations

import uuid

import httpx

from tests.bug.helpers import bug_body
from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.users import Tenant


async def _restricted(client: httpx.AsyncClient, t: Tenant) -> tuple[str, str]:
    """A second project OTR in tenant t and a read/write token restricted to it."""
    r = await client.post(
        "/v1/projects",
        json={
            "workspace_id": t.workspace_id,
            "name": "Other",
            "key": f"O{uuid.uuid4().hex[:4].upper()}",
        },
        headers=t.admin.headers,
    )
    assert r.status_code == 201, r.text
    other = r.json()["id"]
    tok = await make_token(client, t.admin, t.workspace_id, project_ids=[other])
    return other, tok["token"]


async def test_create_in_another_project_of_the_workspace_is_not_found(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    other, token = await _restricted(client, tenant_a)
    r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=bearer(token))
    assert_error(r, 404, "not_found")
    # Nothing was written in APP.
    r = await client.get(
        "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=tenant_a.admin.headers
    )
    assert r.status_code == 200 and r.json()["data"] == []
    # Its own project still works.
    r = await client.post(
        "/v1/bugs", json=bug_body(tenant_a, project_id=other), headers=bearer(token)
    )
    assert r.status_code == 201, r.text


async def test_rest_and_mcp_show_the_same_projects(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """The other project is invisible (404, not 403) to the restricted token; REST lists and the
    MCP tool list the same set: its own project only."""
    other, token = await _restricted(client, tenant_a)
    h = bearer(token)
    assert_error(
        await client.get(f"/v1/projects/{tenant_a.project_id}", headers=h), 404, "not_found"
    )
    r = await client.get(f"/v1/projects/{other}", headers=h)
    assert r.status_code == 200 and r.json()["id"] == other, r.text
    listed = await client.get(
        "/v1/projects", params={"workspace_id": tenant_a.workspace_id}, headers=h
    )
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()["data"]] == [other]
    everything = await client.get("/v1/projects", headers=h)
    assert [p["id"] for p in everything.json()["data"]] == [other]
    tool = await client.post(
        "/v1/mcp/tools/invoke", json={"name": "list_projects", "arguments": {}}, headers=h
    )
    assert [p["id"] for p in tool.json()["result"]["projects"]] == [other]
    # Writes to projects stay a person's job.
    r = await client.patch(f"/v1/projects/{other}", json={"name": "x"}, headers=h)
    assert r.status_code == 403, r.text


async def test_a_token_without_read_scope_lists_no_projects(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    tok = await make_token(client, tenant_a.admin, tenant_a.workspace_id, ("bugs:write",))
    r = await client.get(f"/v1/projects/{tenant_a.project_id}", headers=bearer(tok["token"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope", r.text


async def test_creates_naming_another_project_or_its_bug_are_not_found(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """Comments (REST and the tool) resolve their bug through authz: another project's bug is a
    404. Media uploads are not for MCP tokens at all (403 for the credential kind)."""
    other, token = await _restricted(client, tenant_a)
    h = bearer(token)
    r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=tenant_a.member.headers)
    theirs = r.json()["id"]
    upload = {
        "filename": "a.png",
        "content_type": "image/png",
        "size_bytes": 10,
        "kind": "screenshot",
    }
    for target in ({"project_id": tenant_a.project_id}, {"bug_id": theirs}, {"project_id": other}):
        r = await client.post("/v1/media/upload-url", json={**upload, **target}, headers=h)
        assert_error(r, 403, "forbidden")
    r = await client.post(f"/v1/bugs/{theirs}/comments", json={"body": "hi"}, headers=h)
    assert_error(r, 404, "not_found")
    r = await client.post(
        "/v1/mcp/tools/invoke",
        json={"name": "add_comment", "arguments": {"bug_id": theirs, "body": "hi"}},
        headers=h,
    )
    assert_error(r, 404, "not_found")
    comments = await client.get(f"/v1/bugs/{theirs}/comments", headers=tenant_a.member.headers)
    assert comments.json()["data"] == []
    # In its own project the same comment works.
    r = await client.post(
        "/v1/bugs", json=bug_body(tenant_a, project_id=other), headers=tenant_a.member.headers
    )
    mine = r.json()["id"]
    r = await client.post(
        "/v1/mcp/tools/invoke",
        json={"name": "add_comment", "arguments": {"bug_id": mine, "body": "hi"}},
        headers=h,
    )
    assert r.status_code == 200, r.text


async def test_every_refusal_is_in_the_audit_log(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """Refusals of a token (out of its projects, out of its scopes) are audited like its calls."""
    r = await client.post(
        "/v1/projects",
        json={"workspace_id": tenant_a.workspace_id, "name": "Audited", "key": "AUD"},
        headers=tenant_a.admin.headers,
    )
    other = r.json()["id"]
    tok = await make_token(client, tenant_a.admin, tenant_a.workspace_id, project_ids=[other])
    reader = await make_token(client, tenant_a.admin, tenant_a.workspace_id, ("bugs:read",))
    bug = (
        await client.post("/v1/bugs", json=bug_body(tenant_a), headers=tenant_a.member.headers)
    ).json()
    h = bearer(tok["token"])
    assert (await client.post("/v1/bugs", json=bug_body(tenant_a), headers=h)).status_code == 404
    assert (await client.get(f"/v1/projects/{tenant_a.project_id}", headers=h)).status_code == 404
    invoke = {"name": "get_bug", "arguments": {"bug_id": bug["id"]}}
    assert (await client.post("/v1/mcp/tools/invoke", json=invoke, headers=h)).status_code == 404
    write = {"name": "update_bug", "arguments": {"bug_id": bug["id"], "status": "closed"}}
    r = await client.post("/v1/mcp/tools/invoke", json=write, headers=bearer(reader["token"]))
    assert r.status_code == 403
    log = await client.get(
        f"/v1/workspaces/{tenant_a.workspace_id}/audit-log",
        params={"token_id": tok["id"]},
        headers=tenant_a.admin.headers,
    )
    rows = {(e["method"], e["route"], e["status"]) for e in log.json()["data"]}
    assert ("POST", "/v1/bugs", 404) in rows, rows
    assert ("GET", "/v1/projects/{project_id}", 404) in rows, rows
    assert ("POST", "/v1/mcp/tools/invoke", 404) in rows, rows
    log = await client.get(
        f"/v1/workspaces/{tenant_a.workspace_id}/audit-log",
        params={"token_id": reader["id"]},
        headers=tenant_a.admin.headers,
    )
    denied = [e for e in log.json()["data"] if e["tool"] == "update_bug"]
    assert denied and denied[0]["status"] == 403 and denied[0]["outcome"] == "denied", denied
