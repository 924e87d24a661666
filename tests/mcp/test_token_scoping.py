"""The cross-workspace matrix again, with workspace B's MCP token (every scope, made by B's owner)
instead of B's owner: on every id-taking route, A's ids are 404 where tokens are accepted and 403
`forbidden` where they are not (management routes), and A's data is unchanged."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from bugport.app import create_app
from bugport.auth.dependencies import AUTH_MARKER
from bugport.config import Settings
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.scoping import ID_SOURCES, SAMPLE_BODIES
from tests.fixtures.users import Tenant
from tests.test_scoping_matrix import ROUTES, _snapshot


def _kinds(dependant: Any) -> frozenset[str] | None:
    marker = getattr(dependant.call, AUTH_MARKER, None)
    if marker is not None:
        return frozenset(marker[0])
    for d in dependant.dependencies:
        found = _kinds(d)
        if found is not None:
            return found
    return None


def _accepts_tokens() -> dict[tuple[str, str], bool]:
    """Per route: does it take MCP tokens? Public routes (no credential) count as taking any."""
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'x.db'}", data_dir=tmp, supabase_jwt_secret="x"
    )
    app = create_app(settings)
    out: dict[tuple[str, str], bool] = {}
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            kinds = _kinds(route.dependant)
            for m in route.methods:
                out[(m, ctx.path)] = kinds is None or "mcp_token" in kinds
    return out


ACCEPTS = _accepts_tokens()


@pytest.mark.parametrize(
    ("method", "path", "has_body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_other_workspace_token_cannot_reach(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    tenant_b: Tenant,
    method: str,
    path: str,
    has_body: bool,
) -> None:
    if "b_token" not in tenant_b.extra:
        tenant_b.extra["b_token"] = (
            await make_token(client, tenant_b.owner, tenant_b.workspace_id)
        )["token"]
    url = path
    for p in re.findall(r"{(\w+)}", path):
        url = url.replace("{" + p + "}", await ID_SOURCES[p](client, tenant_a))
    kwargs: dict[str, object] = {}
    if has_body:
        kwargs["json"] = SAMPLE_BODIES[(method, path)](tenant_a)
    before = await _snapshot(client, tenant_a)
    r = await client.request(method, url, headers=bearer(tenant_b.extra["b_token"]), **kwargs)  # type: ignore[arg-type]
    status, code = (404, "not_found") if ACCEPTS[(method, path)] else (403, "forbidden")
    assert r.status_code == status, f"{method} {url}: {r.status_code} {r.text}"
    assert r.json()["error"]["code"] == code
    assert await _snapshot(client, tenant_a) == before
