"""Every credential kind against every route that names a target, aimed at objects it must not
touch. Generated from the OpenAPI schema and the MCP tool registry: a new route or tool without a
row in TABLE fails here, so scoping is decided for it before it ships.

The targets are workspace A's objects in its project APP (tests/fixtures/scoping.py builds them).
The six callers:
  other    the owner of another workspace B (the highest role there)
  viewer   a viewer of A itself: reads succeed, every write is refused
  tok_b    an MCP token of B with every scope
  restr    an MCP token of A with every scope, restricted to A's other project OTR
  ro       an MCP token of A with read scope only, unrestricted: reads succeed, writes refused
  wkey     a widget key of OTR (another project of the same workspace), from an allowed origin

After every call that is not a GET, A's objects read back unchanged (`_snapshot`). Runs on
SQLite and PostgreSQL like every API test."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bugport.app import create_app
from bugport.config import Settings
from bugport.mcp.registry import REGISTRY
from tests.conftest import client_for
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.scoping import ID_SOURCES, SAMPLE_BODIES
from tests.fixtures.users import Tenant, make_tenant
from tests.fixtures.widget import ORIGIN, widget_headers

KINDS = ("other", "viewer", "tok_b", "restr", "ro", "wkey")

# What a caller gets back. `hid`: 2xx, and none of the objects aimed at appear in the body (a
# list filtered down to what the caller may see). `ok`: 2xx (the caller may do it).
OUTCOMES: dict[str, tuple[int, str | None]] = {
    "nf": (404, "not_found"),
    "wsf": (403, "workspace_forbidden"),
    "fb": (403, "forbidden"),  # this kind of credential can't use the route (or: not yours)
    "role": (403, "insufficient_role"),
    "scope": (403, "insufficient_scope"),
    "val": (422, "validation_error"),
    "401": (401, "unauthorized"),
    "ok": (200, None),
    "hid": (200, None),
    "nfl": (200, None),  # a bulk call: the id comes back under `not_found`, nothing changed
}

# One row per route (METHOD path) or MCP tool (TOOL name); columns in KINDS order.
# fmt: off
TABLE = """
# route                                                          other  viewer tok_b  restr  ro     wkey
# workspaces: members, invites, billing, storage, MCP tokens, audit log
GET    /v1/workspaces                                            hid    ok     fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}                             wsf    ok     fb     fb     fb     fb
PATCH  /v1/workspaces/{workspace_id}                             wsf    role   fb     fb     fb     fb
DELETE /v1/workspaces/{workspace_id}                             wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/audit-log                   wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/billing                     wsf    role   fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/billing/checkout            wsf    role   fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/billing/portal              wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/billing/storage-addons      wsf    role   fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/billing/storage-addons      wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/invites                     wsf    role   fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/invites                     wsf    role   fb     fb     fb     fb
DELETE /v1/workspaces/{workspace_id}/invites/{invite_id}         wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/mcp-tokens                  wsf    ok     fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/mcp-tokens                  wsf    ok     fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/mcp-tokens/{token_id}       wsf    role   fb     fb     fb     fb
DELETE /v1/workspaces/{workspace_id}/mcp-tokens/{token_id}       wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/members                     wsf    ok     fb     fb     fb     fb
PATCH  /v1/workspaces/{workspace_id}/members/{user_id}           wsf    role   fb     fb     fb     fb
DELETE /v1/workspaces/{workspace_id}/members/{user_id}           wsf    role   fb     fb     fb     fb
GET    /v1/workspaces/{workspace_id}/storage                     wsf    ok     fb     fb     fb     fb
# the invite token is the secret; its email is not the caller's (A's invite stays pending)
POST   /v1/invites/{token}/accept                                fb     fb     fb     fb     fb     fb
# projects, widget keys, tracker targets
GET    /v1/projects                                              hid    ok     hid    hid    ok     fb
GET    /v1/projects#workspace                                    wsf    ok     wsf    hid    ok     fb
POST   /v1/projects                                              wsf    role   fb     fb     fb     fb
GET    /v1/projects/{project_id}                                 nf     ok     nf     nf     ok     fb
PATCH  /v1/projects/{project_id}                                 nf     role   fb     fb     fb     fb
DELETE /v1/projects/{project_id}                                 nf     role   fb     fb     fb     fb
GET    /v1/projects/{project_id}/tracker-target                  nf     ok     fb     fb     fb     fb
PUT    /v1/projects/{project_id}/tracker-target                  nf     role   fb     fb     fb     fb
DELETE /v1/projects/{project_id}/tracker-target                  nf     role   fb     fb     fb     fb
GET    /v1/projects/{project_id}/widget-keys                     nf     role   fb     fb     fb     fb
POST   /v1/projects/{project_id}/widget-keys                     nf     role   fb     fb     fb     fb
GET    /v1/projects/{project_id}/widget-keys/{key_id}            nf     role   fb     fb     fb     fb
PATCH  /v1/projects/{project_id}/widget-keys/{key_id}            nf     role   fb     fb     fb     fb
DELETE /v1/projects/{project_id}/widget-keys/{key_id}            nf     role   fb     fb     fb     fb
POST   /v1/projects/{project_id}/widget-keys/{key_id}/rotate     nf     role   fb     fb     fb     fb
# bugs, comments, share links, pushes
GET    /v1/bugs                                                  hid    ok     hid    hid    ok     fb
GET    /v1/bugs#project                                          nf     ok     nf     nf     ok     fb
GET    /v1/bugs#workspace                                        wsf    ok     wsf    hid    ok     fb
POST   /v1/bugs                                                  nf     role   nf     nf     scope  fb
PATCH  /v1/bugs                                                  nfl    role   nfl    nfl    scope  fb
GET    /v1/bugs/{bug_id}                                         nf     ok     nf     nf     ok     fb
PATCH  /v1/bugs/{bug_id}                                         nf     role   nf     nf     scope  fb
DELETE /v1/bugs/{bug_id}                                         nf     role   nf     nf     scope  fb
GET    /v1/bugs/{bug_id}/activity                                nf     ok     nf     nf     ok     fb
GET    /v1/bugs/{bug_id}/comments                                nf     ok     nf     nf     ok     fb
GET    /v1/bugs#grouped                                          nf     ok     nf     nf     ok     fb
POST   /v1/bugs/similar                                          nf     ok     nf     nf     ok     fb
GET    /v1/bugs/{bug_id}/similar                                 nf     ok     nf     nf     ok     fb
GET    /v1/bugs/{bug_id}/duplicates                              nf     ok     nf     nf     ok     fb
POST   /v1/bugs/{bug_id}/duplicate-of                            nf     role   nf     nf     scope  fb
DELETE /v1/bugs/{bug_id}/duplicate-of                            nf     role   nf     nf     scope  fb
POST   /v1/bugs/{bug_id}/comments                                nf     role   nf     nf     scope  fb
PATCH  /v1/bugs/{bug_id}/comments/{comment_id}                   nf     role   nf     nf     scope  fb
DELETE /v1/bugs/{bug_id}/comments/{comment_id}                   nf     role   nf     nf     scope  fb
GET    /v1/bugs/{bug_id}/export                                  nf     ok     nf     nf     ok     fb
GET    /v1/bugs/{bug_id}/logs                                    nf     ok     nf     nf     ok     fb
GET    /v1/bugs/{bug_id}/media                                   nf     ok     fb     fb     fb     fb
GET    /v1/bugs/{bug_id}/network                                 nf     ok     nf     nf     ok     fb
POST   /v1/bugs/{bug_id}/push                                    nf     role   fb     fb     fb     fb
GET    /v1/bugs/{bug_id}/pushes                                  nf     ok     fb     fb     fb     fb
GET    /v1/bugs/{bug_id}/share-links                             nf     role   fb     fb     fb     fb
POST   /v1/bugs/{bug_id}/share-links                             nf     role   fb     fb     fb     fb
DELETE /v1/bugs/{bug_id}/share-links/{link_id}                   nf     role   fb     fb     fb     fb
# watching a bug (people only; a viewer may watch what they can read)
GET    /v1/bugs/{bug_id}/watch                                   nf     ok     fb     fb     fb     fb
PUT    /v1/bugs/{bug_id}/watch                                   nf     ok     fb     fb     fb     fb
DELETE /v1/bugs/{bug_id}/watch                                   nf     ok     fb     fb     fb     fb
# MCP REST routes
GET    /v1/mcp/bugs/{bug_id}/context                             nf     ok     nf     nf     ok     fb
GET    /v1/mcp/bugs/{bug_id}/prompt                              nf     ok     nf     nf     ok     fb
# media
POST   /v1/media/complete                                        nf     role   fb     fb     fb     fb
POST   /v1/media/upload-url                                      nf     role   fb     fb     fb     fb
POST   /v1/media/upload-url#bug                                  nf     role   fb     fb     fb     fb
GET    /v1/media/{media_id}                                      nf     ok     fb     fb     fb     fb
DELETE /v1/media/{media_id}                                      nf     role   fb     fb     fb     fb
POST   /v1/media/{media_id}/fail                                 nf     role   fb     fb     fb     fb
# extension (plugin) routes
POST   /v1/plugin/captures                                       nf     role   fb     fb     fb     fb
POST   /v1/plugin/media/complete                                 nf     role   fb     fb     fb     fb
POST   /v1/plugin/media/upload-url                               nf     role   fb     fb     fb     fb
POST   /v1/plugin/media/upload-url#bug                           nf     role   fb     fb     fb     fb
POST   /v1/plugin/media/{media_id}/fail                          nf     role   fb     fb     fb     fb
# connectors
# without ?workspace_id= the list has no scope to answer for: 422 asks for it
GET    /v1/connectors                                            val    val    fb     fb     fb     fb
GET    /v1/connectors#workspace                                  wsf    ok     fb     fb     fb     fb
GET    /v1/connectors/{connector_id}                             nf     ok     fb     fb     fb     fb
DELETE /v1/connectors/{connector_id}                             nf     role   fb     fb     fb     fb
POST   /v1/connectors/{connector_id}/test                        nf     role   fb     fb     fb     fb
# nothing to find by path: the signed state is checked (tests/connector/test_oauth.py replays A's)
POST   /v1/connectors/{provider}/oauth/callback                  val    val    fb     fb     fb     fb
POST   /v1/connectors/{provider}/oauth/start                     wsf    role   fb     fb     fb     fb
POST   /v1/connectors/{connector_id}/webhook-secret              nf     role   fb     fb     fb     fb
# a tracker's webhook is public: its signature is the credential (none set for A's connection)
POST   /v1/trackers/{connector_id}/webhook                       401    401    401    401    401    401
# widget routes (the widget key's own kind)
# media_ids naming another project's upload: 422 on that field (the list is input, not a lookup)
POST   /v1/widget/bugs                                           fb     fb     fb     fb     fb     val
POST   /v1/widget/media/complete                                 fb     fb     fb     fb     fb     nf
# public share: the id is the secret, a guessed one is 404 for everyone
GET    /v1/public/share/bug/{share_id}                           nf     nf     nf     nf     nf     nf
GET    /v1/public/share/bug/{share_id}/media/{index}             nf     nf     nf     nf     nf     nf
GET    /v1/public/share/bug/{share_id}/media/{index}/thumbnail   nf     nf     nf     nf     nf     nf
# outbound webhooks (admin only, people only)
GET    /v1/workspaces/{workspace_id}/webhooks                    wsf    role   fb     fb     fb     fb
POST   /v1/workspaces/{workspace_id}/webhooks                    wsf    role   fb     fb     fb     fb
GET    /v1/webhooks/{endpoint_id}                                nf     role   fb     fb     fb     fb
PATCH  /v1/webhooks/{endpoint_id}                                nf     role   fb     fb     fb     fb
DELETE /v1/webhooks/{endpoint_id}                                nf     role   fb     fb     fb     fb
GET    /v1/webhooks/{endpoint_id}/deliveries                     nf     role   fb     fb     fb     fb
POST   /v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver nf  role   fb     fb     fb     fb
POST   /v1/webhooks/{endpoint_id}/rotate-secret                  nf     role   fb     fb     fb     fb
POST   /v1/webhooks/{endpoint_id}/test                           nf     role   fb     fb     fb     fb
# MCP tools through POST /v1/mcp/tools/invoke, arguments naming A's objects
TOOL   add_comment                                               nf     role   nf     nf     scope  fb
TOOL   find_similar_bugs                                         nf     ok     nf     nf     ok     fb
TOOL   get_bug                                                   nf     ok     nf     nf     ok     fb
TOOL   get_bug_context                                           nf     ok     nf     nf     ok     fb
TOOL   get_fix_prompt                                            nf     ok     nf     nf     ok     fb
TOOL   get_logs                                                  nf     ok     nf     nf     ok     fb
TOOL   get_network                                               nf     ok     nf     nf     ok     fb
TOOL   get_project                                               nf     ok     nf     nf     ok     fb
TOOL   list_bugs                                                 nf     ok     nf     nf     ok     fb
TOOL   list_projects                                             hid    ok     hid    hid    ok     fb
TOOL   search_bugs                                               nf     ok     nf     nf     ok     fb
TOOL   update_bug                                                nf     role   nf     nf     scope  fb
"""
# fmt: on

# Routes that name no target: nothing of A's to aim at (or, for the public share routes, the id
# is the secret: a guessed one is 404 for everyone, tested with the id-taking routes above).
UNTARGETED = {
    "GET /v1/health",
    "GET /v1/version",
    "GET /v1/auth/me",
    "POST /v1/auth/sync-profile",
    "POST /v1/workspaces",
    "GET /v1/plans",
    "POST /v1/billing/webhooks/stripe",
    "GET /v1/public/config",
    "POST /v1/auth/local-signin",
    "GET /v1/mcp/tools",
    "GET /v1/mcp/config",
    "POST /v1/widget/check",
    "POST /v1/widget/media/upload-url",  # a widget key uploads only into its own project
    "POST /v1/mcp/tools/invoke",  # one row per tool below instead
    "GET /v1/auth/me/notifications",  # the caller's own preferences
    "PATCH /v1/auth/me/notifications",
    # An email's unsubscribe link: its HMAC signature over (user, categories) is the credential;
    # a wrong one is 403 (tests/notify/test_email.py).
    "GET /v1/notifications/unsubscribe",
    "POST /v1/notifications/unsubscribe",
}


@dataclass
class World:
    client: httpx.AsyncClient
    a: Tenant
    b: Tenant
    other_project: str
    ids: dict[str, str]  # path parameter -> A's object
    headers: dict[str, dict[str, str]]
    hidden: dict[str, tuple[str, ...]]  # per kind: ids that must not appear in its lists
    baseline: list[object]


# Bodies and queries for routes that name their target outside the path.
Target = Callable[[World], dict[str, Any]]


def _media_body(w: World, **target: str) -> dict[str, Any]:
    return {
        "filename": "x.png",
        "content_type": "image/png",
        "size_bytes": 64,
        "kind": "screenshot",
        **target,
    }


def _a(w: World, key: str) -> str:
    return w.ids[key]


TARGETS: dict[str, Target] = {
    "GET /v1/workspaces": lambda w: {},
    "GET /v1/projects": lambda w: {},
    "GET /v1/projects#workspace": lambda w: {"params": {"workspace_id": w.a.workspace_id}},
    "POST /v1/projects": lambda w: {
        "json": {"workspace_id": w.a.workspace_id, "name": "Intruder", "key": "INTR"}
    },
    "GET /v1/bugs": lambda w: {},
    "GET /v1/bugs#project": lambda w: {"params": {"project_id": w.a.project_id}},
    "GET /v1/bugs#workspace": lambda w: {"params": {"workspace_id": w.a.workspace_id}},
    "GET /v1/bugs#grouped": lambda w: {
        "params": {"project_id": w.a.project_id, "group": "fingerprint"}
    },
    "POST /v1/bugs/similar": lambda w: {"json": {"project_id": w.a.project_id, "title": "A's"}},
    "POST /v1/bugs": lambda w: {"json": {"project_id": w.a.project_id, "title": "intruder"}},
    "PATCH /v1/bugs": lambda w: {
        "json": {"ids": [_a(w, "bug_id")], "changes": {"status": "closed"}}
    },
    "GET /v1/connectors": lambda w: {},
    "GET /v1/connectors#workspace": lambda w: {"params": {"workspace_id": w.a.workspace_id}},
    "POST /v1/media/upload-url": lambda w: {"json": _media_body(w, project_id=w.a.project_id)},
    "POST /v1/media/upload-url#bug": lambda w: {"json": _media_body(w, bug_id=_a(w, "bug_id"))},
    "POST /v1/media/complete": lambda w: {"json": {"media_id": _a(w, "media_id")}},
    "POST /v1/plugin/captures": lambda w: {
        "json": {"project_id": w.a.project_id, "title": "intruder"}
    },
    "POST /v1/plugin/media/upload-url": lambda w: {
        "json": _media_body(w, project_id=w.a.project_id)
    },
    "POST /v1/plugin/media/upload-url#bug": lambda w: {
        "json": _media_body(w, bug_id=_a(w, "bug_id"))
    },
    "POST /v1/plugin/media/complete": lambda w: {"json": {"media_id": _a(w, "media_id")}},
    "POST /v1/widget/bugs": lambda w: {
        "json": {"title": "intruder", "media_ids": [_a(w, "media_id")]}
    },
    "POST /v1/widget/media/complete": lambda w: {"json": {"media_id": _a(w, "media_id")}},
}

TOOL_ARGS: dict[str, Target] = {
    "list_bugs": lambda w: {"project_id": w.a.project_id},
    "search_bugs": lambda w: {"project_id": w.a.project_id, "q": "bug"},
    "get_bug": lambda w: {"bug_id": _a(w, "bug_id")},
    "find_similar_bugs": lambda w: {"bug_id": _a(w, "bug_id")},
    "get_bug_context": lambda w: {"bug_id": _a(w, "bug_id")},
    "get_fix_prompt": lambda w: {"bug_id": _a(w, "bug_id")},
    "get_logs": lambda w: {"bug_id": _a(w, "bug_id")},
    "get_network": lambda w: {"bug_id": _a(w, "bug_id")},
    "update_bug": lambda w: {"bug_id": _a(w, "bug_id"), "status": "closed"},
    "add_comment": lambda w: {"bug_id": _a(w, "bug_id"), "body": "intruder"},
    "list_projects": lambda w: {},
    "get_project": lambda w: {"project_id": w.a.project_id},
}


def _schema_routes() -> list[tuple[str, str, bool]]:
    tmp = Path(tempfile.mkdtemp())
    schema = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp / 'x.db'}",
            data_dir=tmp,
            supabase_jwt_secret="x",
        )
    ).openapi()
    return sorted(
        (method.upper(), path, "requestBody" in op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    )


SCHEMA_ROUTES = _schema_routes()
HAS_BODY = {f"{m} {p}": b for m, p, b in SCHEMA_ROUTES}
ROUTES = [(m, p, b) for m, p, b in SCHEMA_ROUTES if "{" in p]  # also used by other tests


def _cases() -> list[str]:
    """Every route with a path id, every body/query target variant, every tool."""
    out = [f"{m} {p}" for m, p, _ in ROUTES]
    out += list(TARGETS)
    out += [f"TOOL {name}" for name in sorted(REGISTRY)]
    return out


def _table() -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for line in TABLE.strip().splitlines():
        if line.startswith("#"):
            continue
        method, path, *cells = line.split()
        assert len(cells) == len(KINDS), f"row {method} {path}: one cell per kind {KINDS}"
        assert all(c in OUTCOMES for c in cells), f"row {method} {path}: unknown outcome"
        assert f"{method} {path}" not in rows, f"row {method} {path} appears twice"
        rows[f"{method} {path}"] = tuple(cells)
    return rows


ROWS = _table()
CASES = _cases()


def test_every_route_and_tool_has_a_row() -> None:
    routes = {f"{m} {p}" for m, p, _ in SCHEMA_ROUTES}
    unplaced = sorted(
        r for r in routes if "{" not in r and r not in TARGETS and r not in UNTARGETED
    )
    assert not unplaced, (
        f"name these routes' targets in TARGETS or list them as UNTARGETED: {unplaced}"
    )
    missing = [c for c in CASES if c not in ROWS]
    assert not missing, f"add rows to TABLE for: {missing}"
    stale = sorted(set(ROWS) - set(CASES))
    assert not stale, f"TABLE rows for routes or tools that no longer exist: {stale}"
    no_tool_args = sorted(set(REGISTRY) - set(TOOL_ARGS))
    assert not no_tool_args, f"add TOOL_ARGS for {no_tool_args}"


async def _snapshot(client: httpx.AsyncClient, t: Tenant) -> list[object]:
    h = t.owner.headers
    out: list[object] = []
    for url in (
        f"/v1/workspaces/{t.workspace_id}",
        f"/v1/workspaces/{t.workspace_id}/members",
        f"/v1/workspaces/{t.workspace_id}/invites",
        f"/v1/projects/{t.project_id}",
        f"/v1/projects?workspace_id={t.workspace_id}",
    ) + tuple(t.extra.get("snapshot_urls", ())):
        r = await client.get(url, headers=h)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


async def _project(client: httpx.AsyncClient, t: Tenant, name: str) -> str:
    r = await client.post(
        "/v1/projects",
        json={"workspace_id": t.workspace_id, "name": name, "key": name[:4].upper()},
        headers=t.admin.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest_asyncio.fixture(scope="module")
async def world(app: FastAPI) -> AsyncIterator[World]:
    async with client_for(app) as c:
        a = await make_tenant(c, app.state.settings)
        b = await make_tenant(c, app.state.settings)
        # Every target of A exists before the baseline is read.
        ids = {param: await source(c, a) for param, source in ID_SOURCES.items()}
        r = await c.put(
            f"/v1/projects/{a.project_id}/tracker-target",
            json={"connector_id": ids["connector_id"], "repo": "acme/web"},
            headers=a.admin.headers,
        )
        assert r.status_code == 200, r.text
        a.extra["snapshot_urls"].append(f"/v1/projects/{a.project_id}/tracker-target")
        other = await _project(c, a, "Other")
        r = await c.post(
            f"/v1/projects/{other}/widget-keys",
            json={"label": "other site", "allowed_origins": [ORIGIN]},
            headers=a.admin.headers,
        )
        assert r.status_code == 201, r.text
        wkey = r.json()["key"]
        tok_b = await make_token(c, b.owner, b.workspace_id)
        restr = await make_token(c, a.admin, a.workspace_id, project_ids=[other])
        ro = await make_token(c, a.admin, a.workspace_id, scopes=("bugs:read",))
        app_ids = tuple(ids[k] for k in ("bug_id", "comment_id", "link_id", "media_id", "key_id"))
        app_ids += (ids["endpoint_id"],)
        app_ids += (a.project_id,)
        foreign = app_ids + (a.workspace_id, ids["connector_id"], ids["token_id"])
        yield World(
            client=c,
            a=a,
            b=b,
            other_project=other,
            ids=ids,
            headers={
                "other": b.owner.headers,
                "viewer": a.viewer.headers,
                "tok_b": bearer(tok_b["token"]),
                "restr": bearer(restr["token"]),
                "ro": bearer(ro["token"]),
                "wkey": widget_headers(wkey),
            },
            hidden={
                "other": foreign,
                "viewer": (),
                "tok_b": foreign,
                "restr": app_ids,
                "ro": (),
                "wkey": foreign,
            },
            baseline=await _snapshot(c, a),
        )


async def call(w: World, case: str, kind: str) -> httpx.Response:
    """Make `kind`'s call for one case of the matrix, aimed at A's objects."""
    headers = w.headers[kind]
    if case.startswith("TOOL "):
        name = case.removeprefix("TOOL ")
        body = {"name": name, "arguments": TOOL_ARGS[name](w)}
        return await w.client.post("/v1/mcp/tools/invoke", json=body, headers=headers)
    route = case.split("#")[0]
    method, path = route.split(" ", 1)
    if case in TARGETS:
        kwargs: dict[str, Any] = TARGETS[case](w)
    else:
        kwargs = {}
        if HAS_BODY[route]:
            assert (method, path) in SAMPLE_BODIES, f"add a SAMPLE_BODY for {route}"
            kwargs["json"] = SAMPLE_BODIES[(method, path)](w.a)
    url = path
    for p in re.findall(r"{(\w+)}", path):
        assert p in ID_SOURCES, f"add an ID_SOURCE for {p} in tests/fixtures/scoping.py"
        url = url.replace("{" + p + "}", w.ids[p])
    if method != "GET":
        kwargs.setdefault("headers", {})["Idempotency-Key"] = uuid.uuid4().hex
        kwargs["headers"] = {**headers, **kwargs["headers"]}
    else:
        kwargs["headers"] = headers
    return await w.client.request(method, url, **kwargs)


def observed(w: World, kind: str, r: httpx.Response) -> str:
    """The TABLE cell this response matches (`?<status> <code>` when it matches none)."""
    if r.is_success:
        body = r.json()
        if isinstance(body, dict) and body.get("not_found") and not body.get("data"):
            return "nfl"
        hidden = w.hidden[kind]
        return "hid" if hidden and not any(i in r.text for i in hidden) else "ok"
    code = r.json().get("error", {}).get("code")
    for cell, (status, expected_code) in OUTCOMES.items():
        if status == r.status_code and expected_code == code:
            return cell
    return f"?{r.status_code} {code}"


@pytest.mark.parametrize("case", CASES)
async def test_every_credential_reaches_only_its_scope(world: World, case: str) -> None:
    """One route or tool, called by each of the six kinds in turn; all mismatches reported."""
    expected = ROWS.get(case)
    if expected is None:
        pytest.fail(f"no TABLE row for {case}", pytrace=False)
    wrong = []
    for kind, want in zip(KINDS, expected, strict=True):
        r = await call(world, case, kind)
        got = observed(world, kind, r)
        if not (r.is_success if want == "ok" else got == want):
            wrong.append(f"{kind}: expected {want}, got {got}: {r.text[:300]}")
    assert not wrong, f"{case}:\n" + "\n".join(wrong)
    if not case.startswith("GET "):
        assert await _snapshot(world.client, world.a) == world.baseline, f"{case} changed A"
