"""Workspace B's highest-privilege user against every id-taking route with workspace A's ids.

Generated from the OpenAPI schema: a new route with a path id and no registry entry fails here."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import httpx
import pytest

from bugport.app import create_app
from bugport.config import Settings
from tests.fixtures.scoping import EXPECTED, ID_SOURCES, SAMPLE_BODIES
from tests.fixtures.users import Tenant


def _routes() -> list[tuple[str, str, bool]]:
    tmp = Path(tempfile.mkdtemp())
    schema = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp / 'x.db'}",
            data_dir=tmp,
            supabase_jwt_secret="x",
        )
    ).openapi()
    out = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if "{" in path and isinstance(op, dict):
                out.append((method.upper(), path, "requestBody" in op))
    return sorted(out)


ROUTES = _routes()


@pytest.mark.parametrize(
    ("method", "path", "has_body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_other_workspace_cannot_reach(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    tenant_b: Tenant,
    method: str,
    path: str,
    has_body: bool,
) -> None:
    params = re.findall(r"{(\w+)}", path)
    missing = [p for p in params if p not in ID_SOURCES]
    assert not missing, f"add an ID_SOURCE for {missing} in tests/fixtures/scoping.py"
    url = path
    for p in params:
        url = url.replace("{" + p + "}", await ID_SOURCES[p](client, tenant_a))
    kwargs: dict[str, object] = {}
    if has_body:
        assert (method, path) in SAMPLE_BODIES, f"add a SAMPLE_BODY for {method} {path}"
        kwargs["json"] = SAMPLE_BODIES[(method, path)](tenant_a)
    before = await _snapshot(client, tenant_a)
    r = await client.request(method, url, headers=tenant_b.owner.headers, **kwargs)  # type: ignore[arg-type]
    if (method, path) in EXPECTED:
        status, code = EXPECTED[(method, path)]
    elif "workspace_id" in params:
        status, code = 403, "workspace_forbidden"
    else:
        status, code = 404, "not_found"
    assert r.status_code == status, f"{method} {url}: {r.status_code} {r.text}"
    assert r.json()["error"]["code"] == code
    # Nothing of A changed.
    assert await _snapshot(client, tenant_a) == before


async def _snapshot(client: httpx.AsyncClient, t: Tenant) -> list[object]:
    h = t.owner.headers
    out: list[object] = []
    for url in (
        f"/v1/workspaces/{t.workspace_id}",
        f"/v1/workspaces/{t.workspace_id}/members",
        f"/v1/workspaces/{t.workspace_id}/invites",
        f"/v1/projects/{t.project_id}",
    ) + tuple(t.extra.get("snapshot_urls", ())):
        r = await client.get(url, headers=h)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out
