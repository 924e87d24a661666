"""The official MCP SDK client against both transports: stdio (`bugport mcp` spawned against a live
API server) and Streamable HTTP (/mcp on the live server)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import pytest_asyncio
from fastapi import FastAPI
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.fixtures.live import LiveServer
from tests.fixtures.live_browser import free_port
from tests.fixtures.mcp import bearer, expire_token, make_token
from tests.fixtures.users import Tenant
from tests.mcp.bug_seed import CONSOLE_ERROR, SECRET, planted_bug

BUGPORT = str(Path(sys.executable).with_name("bugport"))


@pytest_asyncio.fixture(scope="session")
async def live(backend_url: tuple[str, str], tmp_root: Path) -> AsyncIterator[LiveServer]:
    server = LiveServer(backend_url[1], tmp_root / "live-data").start()
    yield server
    server.stop()


def stdio(live: LiveServer, token: str) -> Client:
    env = {**os.environ, "BUGPORT_API_URL": f"{live.base_url}/v1", "BUGPORT_MCP_TOKEN": token}
    return Client(StdioServerParameters(command=BUGPORT, args=["mcp"], env=env))


def remote(live: LiveServer, token: str) -> Client:
    http = httpx2.AsyncClient(headers=bearer(token), timeout=30)
    return Client(streamable_http_client(f"{live.base_url}/mcp", http_client=http))


Connect = Callable[[LiveServer, str], Client]
TRANSPORTS = [pytest.param(stdio, id="stdio"), pytest.param(remote, id="http")]


ALL_TOOLS = {
    "list_projects",
    "get_project",
    "list_bugs",
    "search_bugs",
    "get_bug",
    "get_bug_context",
    "get_fix_prompt",
    "get_logs",
    "get_network",
    "update_bug",
    "add_comment",
    "find_similar_bugs",
}


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_lists_and_calls_every_tool(
    live: LiveServer, client: httpx.AsyncClient, tenant_a: Tenant, connect: Connect
) -> None:
    bug = await planted_bug(client, tenant_a)
    tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    async with connect(live, tok["token"]) as mcp:
        listed = await mcp.list_tools()
        assert {t.name for t in listed.tools} == ALL_TOOLS
        schema = next(t for t in listed.tools if t.name == "update_bug").input_schema
        assert "bug_id" in schema["required"] and "status" in schema["properties"]

        async def ok(name: str, **args: Any) -> dict[str, Any]:
            res = await mcp.call_tool(name, args)
            assert not res.is_error, (name, res.content)
            assert isinstance(res.structured_content, dict)
            return res.structured_content

        projects = await ok("list_projects")
        assert [p["id"] for p in projects["projects"]] == [tenant_a.project_id]
        assert (await ok("get_project", project_id=tenant_a.project_id))["key"] == "APP"
        assert bug["id"] in [b["id"] for b in (await ok("list_bugs"))["bugs"]]
        assert bug["id"] in [b["id"] for b in (await ok("search_bugs", q="Pay"))["bugs"]]
        assert (await ok("get_bug", bug_id=bug["id"]))["key"] == bug["key"]
        ctx = await ok("get_bug_context", bug_id=bug["id"])
        assert ctx["untrusted"]["console_errors"][0]["message"] == CONSOLE_ERROR
        res = await mcp.call_tool("get_fix_prompt", {"bug_id": bug["id"]})
        assert res.content[0].text.startswith(f"# Fix bug {bug['key']}")
        assert CONSOLE_ERROR in res.content[0].text and SECRET not in res.content[0].text
        logs = await ok("get_logs", bug_id=bug["id"], level=["error"])
        assert [e["message"] for e in logs["logs"]] == [CONSOLE_ERROR]
        net = await ok("get_network", bug_id=bug["id"], failed_only=True)
        assert [r["status"] for r in net["requests"]] == [500]
        assert (await ok("update_bug", bug_id=bug["id"], status="in_progress"))["status"] == (
            "in_progress"
        )
        assert (await ok("add_comment", bug_id=bug["id"], body="On it"))["body"] == "On it"
        alike = await ok("find_similar_bugs", bug_id=bug["id"])
        assert alike["same_failure_count"] == 1 and alike["similar"] == []
        assert ctx["bug"]["same_failure_count"] == 1
    r = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.owner.headers)
    assert r.json()["status"] == "in_progress"
    r = await client.get(f"/v1/bugs/{bug['id']}/comments", headers=tenant_a.owner.headers)
    assert [c["body"] for c in r.json()["data"]] == ["On it"]
    rows = await _audit(client, tenant_a, tok["id"])
    called = [e["tool"] for e in rows if e["tool"]]
    assert sorted(called) == sorted(ALL_TOOLS)
    assert all(e["outcome"] == "allowed" for e in rows)
    by_tool = {e["tool"]: e for e in rows if e["tool"]}
    assert by_tool["update_bug"]["bug_id"] == bug["id"]
    assert by_tool["update_bug"]["arguments"] == {"bug_id": bug["id"], "status": "in_progress"}


async def _audit(client: httpx.AsyncClient, t: Tenant, token_id: str) -> list[dict[str, Any]]:
    r = await client.get(
        f"/v1/workspaces/{t.workspace_id}/audit-log",
        params={"token_id": token_id},
        headers=t.admin.headers,
    )
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["data"]))


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_errors_and_audit(
    live: LiveServer,
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    tenant_b: Tenant,
    connect: Connect,
) -> None:
    bug = await planted_bug(client, tenant_a)
    mine = await planted_bug(client, tenant_b)
    tok = await make_token(client, tenant_b.member, tenant_b.workspace_id, ("bugs:read",))
    async with connect(live, tok["token"]) as mcp:
        # Another workspace's bug: not found, as if it did not exist.
        res = await mcp.call_tool("get_bug", {"bug_id": bug["id"]})
        assert res.is_error and "404 not_found" in res.content[0].text
        # Arguments that don't match the schema.
        res = await mcp.call_tool("get_bug", {"bug_id": "nope"})
        assert res.is_error and "422 validation_error" in res.content[0].text
        assert "body.arguments.bug_id" in res.content[0].text
        res = await mcp.call_tool("get_bug", {"bug_id": mine["id"]})
        assert not res.is_error and res.structured_content["id"] == mine["id"]
    rows = await _audit(client, tenant_b, tok["id"])
    calls = [(e["tool"], e["bug_id"], e["status"], e["outcome"]) for e in rows if e["tool"]]
    assert calls == [
        ("get_bug", bug["id"], 404, "failed"),
        ("get_bug", "nope", 422, "failed"),
        ("get_bug", mine["id"], 200, "allowed"),
    ]
    assert {e["route"] for e in rows} == {"/v1/mcp/tools/invoke", "/v1/mcp/tools"} or {
        e["route"] for e in rows
    } == {"/v1/mcp/tools/invoke"}
    assert all(e["user_agent"] and e["client_ip"] == "127.0.0.1" for e in rows)
    assert all(e["mcp_client"] for e in rows if e["tool"]), rows


@pytest.mark.parametrize("connect", TRANSPORTS)
async def test_missing_scope(
    live: LiveServer, client: httpx.AsyncClient, tenant_a: Tenant, connect: Connect
) -> None:
    tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:write",))
    async with connect(live, tok["token"]) as mcp:
        listed = await mcp.list_tools()
        assert {t.name for t in listed.tools} == {"update_bug", "add_comment"}
        res = await mcp.call_tool("list_projects", {})
        assert res.is_error and "403 insufficient_scope" in res.content[0].text
        assert "bugs:read" in res.content[0].text
    rows = await _audit(client, tenant_a, tok["id"])
    assert [(e["tool"], e["error_code"]) for e in rows if e["tool"]] == [
        ("list_projects", "insufficient_scope")
    ]


async def test_stdio_revoked_and_expired(
    live: LiveServer, app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    revoked = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    expired = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    await client.delete(
        f"/v1/workspaces/{tenant_a.workspace_id}/mcp-tokens/{revoked['id']}",
        headers=tenant_a.member.headers,
    )
    await expire_token(app, expired["id"])
    for tok, code in ((revoked, "invalid_token"), (expired, "token_expired")):
        # Checked before any MCP is spoken: one line on stderr naming the API and the cause.
        r = await run_stdio(live, tok["token"], b"")
        assert r.returncode == 1, r
        (line,) = r.stderr.decode().strip().splitlines()
        assert f"{live.base_url}/v1" in line and "refused BUGPORT_MCP_TOKEN" in line, line
        assert code in line, line
        rows = await _audit(client, tenant_a, tok["id"])
        assert rows and all((e["status"], e["error_code"]) == (401, code) for e in rows)


async def run_stdio(
    live: LiveServer | None, token: str, stdin: bytes, *args: str, api_url: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "BUGPORT_API_URL": api_url or f"{live.base_url}/v1",  # type: ignore[union-attr]
        "BUGPORT_MCP_TOKEN": token,
    }
    proc = await asyncio.create_subprocess_exec(
        BUGPORT,
        "mcp",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout=60)
    assert proc.returncode is not None
    return subprocess.CompletedProcess(["bugport", "mcp"], proc.returncode, out, err)


def _rpc(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


async def test_stdio_unreachable_api_is_one_line() -> None:
    from bugport.kit.crypto import generate_token

    dead = f"http://127.0.0.1:{free_port()}/v1"
    r = await run_stdio(None, generate_token("bp_mcp_"), _rpc(INIT), api_url=dead)
    assert r.returncode == 1 and r.stdout == b"", r
    (line,) = r.stderr.decode().strip().splitlines()
    assert dead in line and "unreachable" in line and "could not connect" in line, line


async def test_stdio_is_quiet_on_success_and_verbose_on_request(
    live: LiveServer, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    session = _rpc(
        INIT,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "list_projects", "arguments": {}},
        },
    )
    r = await run_stdio(live, tok["token"], session)
    assert b'"id":2' in r.stdout.replace(b" ", b""), r
    assert r.stderr.decode().strip() == "", r.stderr.decode()
    loud = await run_stdio(live, tok["token"], session, "--verbose")
    assert "HTTP Request" in loud.stderr.decode(), loud.stderr.decode()


async def test_http_revoked_and_expired(
    live: LiveServer, app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    revoked = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    expired = await make_token(client, tenant_a.member, tenant_a.workspace_id)
    await client.delete(
        f"/v1/workspaces/{tenant_a.workspace_id}/mcp-tokens/{revoked['id']}",
        headers=tenant_a.member.headers,
    )
    await expire_token(app, expired["id"])
    for tok, code in ((revoked, "invalid_token"), (expired, "token_expired")):
        with pytest.raises(Exception):  # noqa: B017  the SDK refuses to connect
            async with remote(live, tok["token"]) as mcp:
                await mcp.list_tools()
        # What the SDK saw: the API's own 401.
        async with httpx.AsyncClient(base_url=live.base_url) as raw:
            r = await raw.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={**bearer(tok["token"]), "Accept": "application/json, text/event-stream"},
            )
        assert r.status_code == 401 and r.json()["error"]["code"] == code
        assert r.headers["www-authenticate"].startswith("Bearer")
        rows = await _audit(client, tenant_a, tok["id"])
        assert rows and all(
            (e["route"], e["status"], e["error_code"]) == ("/mcp", 401, code) for e in rows
        )


async def test_http_endpoint_refuses_other_credentials(live: LiveServer, tenant_a: Tenant) -> None:
    async with httpx.AsyncClient(base_url=live.base_url) as raw:
        msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        r = await raw.post("/mcp", json=msg)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        r = await raw.post("/mcp", json=msg, headers=tenant_a.owner.headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
