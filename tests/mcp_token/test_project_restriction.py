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
