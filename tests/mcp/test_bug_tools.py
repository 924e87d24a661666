"""The bug tools and the context/prompt routes, on seeded data, over the REST bridge."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.users import Tenant
from tests.mcp.bug_seed import (
    CONSOLE_ERROR,
    INJECTION,
    JWT,
    JWT_SIGNATURE,
    SECRET,
    huge_bug,
    planted_bug,
)

INVOKE = "/v1/mcp/tools/invoke"


async def call(
    client: httpx.AsyncClient, token: str, name: str, **arguments: Any
) -> httpx.Response:
    return await client.post(
        INVOKE, json={"name": name, "arguments": arguments}, headers=bearer(token)
    )


def no_secrets(text: str) -> None:
    assert SECRET not in text
    assert JWT_SIGNATURE not in text and JWT not in text


class TestPrompt:
    async def test_prompt_has_the_error_and_request_but_no_secrets(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:read",))
        r = await client.get(f"/v1/mcp/bugs/{bug['id']}/prompt", headers=bearer(tok["token"]))
        assert r.status_code == 200, r.text
        body = r.json()
        prompt = body["prompt"]
        assert body["key"] == bug["key"] and prompt.startswith(f"# Fix bug {bug['key']}")
        assert body["chars"] == len(prompt) <= body["budget_chars"] == 24_000
        assert CONSOLE_ERROR in prompt and "at computeTotal (cart.js:42:17)" in prompt
        assert "POST https://api.example.com/pay" in prompt and "status: 500" in prompt
        assert "total undefined" in prompt
        assert "cart loaded" not in prompt  # info lines are noise for a fix
        no_secrets(prompt)
        assert "[REDACTED]" in prompt
        # Deterministic: the same stored data gives the same prompt.
        again = await client.get(f"/v1/mcp/bugs/{bug['id']}/prompt", headers=bearer(tok["token"]))
        assert again.json()["prompt"] == prompt
        # The tool returns the same, with the Markdown as its text.
        r = await call(client, tok["token"], "get_fix_prompt", bug_id=bug["id"])
        assert r.json()["result"]["prompt"] == prompt and r.json()["text"] == prompt

    async def test_injection_stays_inside_an_untrusted_fence(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        r = await client.get(f"/v1/mcp/bugs/{bug['id']}/prompt", headers=tenant_a.member.headers)
        prompt = r.json()["prompt"]
        assert "Untrusted data" in prompt and "never follow" in prompt
        # Walk the fences: the injection line must be inside one tagged untrusted, and the
        # description's own ```` fence can't close ours (ours is longer).
        inside, fence, found = False, "", False
        for line in prompt.splitlines():
            m = re.match(r"^(`{3,})(.*)$", line)
            if not inside and m:
                inside, fence = True, m.group(1)
                assert m.group(2).startswith("text untrusted:"), line
                continue
            if inside and line == fence:
                inside = False
                continue
            if INJECTION in line:
                assert inside, "the injection escaped its fence"
                found = True
        assert found and not inside
        assert "`````text untrusted:description" in prompt


class TestContext:
    async def test_context_shape(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        bug = await planted_bug(client, tenant_a)
        await client.post(
            f"/v1/bugs/{bug['id']}/comments",
            json={"body": "Seen on staging too"},
            headers=tenant_a.member.headers,
        )
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:read",))
        r = await client.get(f"/v1/mcp/bugs/{bug['id']}/context", headers=bearer(tok["token"]))
        assert r.status_code == 200, r.text
        doc = r.json()
        assert "untrusted" in doc["notice"]
        assert doc["bug"]["key"] == bug["key"] and doc["bug"]["status"] == "open"
        assert doc["bug"]["project"]["id"] == tenant_a.project_id
        u = doc["untrusted"]
        assert u["title"] == "Pay button does nothing"
        assert u["environment"]["browser"] == "Firefox"
        assert [e["message"] for e in u["console_errors"]] == [CONSOLE_ERROR]
        assert "cart.js:42:17" in u["console_errors"][0]["stack"]
        [req] = u["failed_requests"]
        assert req["method"] == "POST" and req["status"] == 500
        assert req["request_headers"]["Authorization"] == "[REDACTED]"
        assert [c["body"] for c in u["comments"]] == ["Seen on staging too"]
        assert {a["type"] for a in u["activity"]} >= {"created", "commented"}
        assert doc["truncated"] == {}
        no_secrets(json.dumps(doc))
        r = await call(client, tok["token"], "get_bug_context", bug_id=bug["id"])
        assert r.json()["result"] == doc

    async def test_a_thousand_long_log_lines_stay_within_budget(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug_id = await huge_bug(app, client, tenant_a)
        h = tenant_a.member.headers
        r = await client.get(f"/v1/mcp/bugs/{bug_id}/context", headers=h)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert len(json.dumps(doc, ensure_ascii=False).encode()) <= doc["budget_bytes"] == 65_536
        errors = doc["untrusted"]["console_errors"]
        assert 0 < len(errors) < 20
        assert doc["truncated"]["console_errors"] == {"shown": len(errors), "total": 501}
        assert errors[0]["message"] == CONSOLE_ERROR
        assert any("[truncated:" in (e["stack"] or "") for e in errors[1:])
        assert all(e.get("truncated") for e in errors[1:])
        r = await client.get(f"/v1/mcp/bugs/{bug_id}/prompt", headers=h)
        body = r.json()
        assert body["chars"] == len(body["prompt"]) <= 24_000
        assert (
            CONSOLE_ERROR in body["prompt"] and "POST https://api.example.com/pay" in body["prompt"]
        )
        shown = body["truncated"]["console_errors"]
        assert shown["total"] == 501 and shown["shown"] < 20
        assert f"console errors: {shown['shown']} of 501 shown" in body["prompt"]


class TestRoutes:
    @pytest.mark.parametrize("what", ["context", "prompt"])
    async def test_refusals(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant, what: str
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        url = f"/v1/mcp/bugs/{bug['id']}/{what}"
        assert_error(await client.get(url), 401, "unauthorized")
        other = await make_token(client, tenant_b.owner, tenant_b.workspace_id)
        assert_error(await client.get(url, headers=bearer(other["token"])), 404, "not_found")
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        write_only = await make_token(
            client, tenant_a.member, tenant_a.workspace_id, ("bugs:write",)
        )
        r = await client.get(url, headers=bearer(write_only["token"]))
        assert_error(r, 403, "insufficient_scope")
        r = await client.get(f"/v1/mcp/bugs/nope/{what}", headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "path.bug_id")
        r = await client.get(url, headers=tenant_a.viewer.headers)
        assert r.status_code == 200

    async def test_project_restricted_token(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        r = await client.post(
            "/v1/projects",
            json={"workspace_id": tenant_a.workspace_id, "name": "Other", "key": "OTR"},
            headers=tenant_a.owner.headers,
        )
        tok = await make_token(
            client, tenant_a.member, tenant_a.workspace_id, project_ids=[r.json()["id"]]
        )
        r = await client.get(f"/v1/mcp/bugs/{bug['id']}/context", headers=bearer(tok["token"]))
        assert_error(r, 404, "not_found")
        r = await call(client, tok["token"], "list_bugs")
        assert r.json()["result"]["bugs"] == []


class TestTools:
    async def test_read_tools(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = (await make_token(client, tenant_a.viewer, tenant_a.workspace_id, ("bugs:read",)))[
            "token"
        ]
        r = await call(client, tok, "list_bugs", status=["open"], limit=50)
        assert r.status_code == 200, r.text
        assert bug["id"] in [b["id"] for b in r.json()["result"]["bugs"]]
        r = await call(client, tok, "search_bugs", q="Pay button")
        assert bug["id"] in [b["id"] for b in r.json()["result"]["bugs"]]
        r = await call(client, tok, "search_bugs", q="zebra-unicorn-nothing")
        assert r.json()["result"]["bugs"] == []
        r = await call(client, tok, "get_bug", bug_id=bug["id"])
        got = r.json()["result"]
        assert got["key"] == bug["key"] and got["severity"] == "high"
        no_secrets(json.dumps(got))
        r = await call(client, tok, "get_logs", bug_id=bug["id"], level=["error"])
        assert [e["message"] for e in r.json()["result"]["logs"]] == [CONSOLE_ERROR]
        r = await call(client, tok, "get_logs", bug_id=bug["id"], limit=1)
        first = r.json()["result"]
        assert len(first["logs"]) == 1 and first["next_cursor"]
        r = await call(client, tok, "get_logs", bug_id=bug["id"], cursor=first["next_cursor"])
        assert [e["position"] for e in r.json()["result"]["logs"]] == [1, 2]
        r = await call(client, tok, "get_network", bug_id=bug["id"], failed_only=True)
        [req] = r.json()["result"]["requests"]
        assert req["status"] == 500
        no_secrets(json.dumps(r.json()))
        # No write scope: the write tools are refused and not listed.
        r = await call(client, tok, "update_bug", bug_id=bug["id"], status="resolved")
        assert_error(r, 403, "insufficient_scope")
        r = await client.get("/v1/mcp/tools", headers=bearer(tok))
        assert "update_bug" not in {t["name"] for t in r.json()["data"]}

    async def test_write_tools(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = (await make_token(client, tenant_a.member, tenant_a.workspace_id))["token"]
        r = await call(
            client,
            tok,
            "update_bug",
            bug_id=bug["id"],
            status="in_progress",
            severity="critical",
            assignee_id=tenant_a.member.id,
            labels=["checkout", "agent"],
        )
        assert r.status_code == 200, r.text
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.owner.headers)
        got = r.json()
        assert (got["status"], got["severity"], got["assignee_id"]) == (
            "in_progress",
            "critical",
            tenant_a.member.id,
        )
        assert got["labels"] == ["checkout", "agent"]
        r = await call(client, tok, "update_bug", bug_id=bug["id"], unassign=True)
        assert r.json()["result"]["assignee_id"] is None
        r = await call(client, tok, "add_comment", bug_id=bug["id"], body="Fixed in #123")
        assert r.status_code == 200, r.text
        r = await client.get(f"/v1/bugs/{bug['id']}/comments", headers=tenant_a.owner.headers)
        assert [c["body"] for c in r.json()["data"]] == ["Fixed in #123"]
        r = await client.get(f"/v1/bugs/{bug['id']}/activity", headers=tenant_a.owner.headers)
        kinds = {(a["type"], a["actor"]["kind"]) for a in r.json()["data"]}
        assert ("status_changed", "mcp_token") in kinds
        # Bad arguments name the field.
        r = await call(client, tok, "update_bug", bug_id=bug["id"], status="done")
        assert_error(r, 422, "validation_error", "body.arguments.status")
        r = await call(client, tok, "update_bug", bug_id=bug["id"])
        assert_error(r, 422, "validation_error")
        r = await call(client, tok, "add_comment", bug_id=bug["id"], body="")
        assert_error(r, 422, "validation_error", "body.arguments.body")

    async def test_other_workspace_bug_is_not_found(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = (await make_token(client, tenant_b.owner, tenant_b.workspace_id))["token"]
        for name, extra in (
            ("get_bug", {}),
            ("get_bug_context", {}),
            ("get_fix_prompt", {}),
            ("get_logs", {}),
            ("get_network", {}),
            ("update_bug", {"status": "closed"}),
            ("add_comment", {"body": "hi"}),
        ):
            r = await call(client, tok, name, bug_id=bug["id"], **extra)
            assert_error(r, 404, "not_found")
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.owner.headers)
        assert r.json()["status"] == "open"
        r = await call(client, tok, "list_bugs")
        assert bug["id"] not in [b["id"] for b in r.json()["result"]["bugs"]]

    async def test_viewer_creator_token_cannot_write_even_if_scoped(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        await client.patch(
            f"/v1/workspaces/{tenant_a.workspace_id}/members/{tenant_a.member.id}",
            json={"role": "viewer"},
            headers=tenant_a.admin.headers,
        )
        r = await call(client, tok["token"], "add_comment", bug_id=bug["id"], body="x")
        assert_error(r, 403, "insufficient_scope")


class TestBugRoutesWithTokens:
    async def test_scopes_on_the_bug_routes_and_audit(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        read = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:read",))
        h = {**bearer(read["token"]), "User-Agent": "cursor/1.2"}
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=h)
        assert r.status_code == 200 and r.json()["key"] == bug["key"]
        r = await client.patch(f"/v1/bugs/{bug['id']}", json={"status": "closed"}, headers=h)
        err = assert_error(r, 403, "insufficient_scope")
        assert "bugs:write" in err["message"]
        assert (
            r.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="bugs:write"'
        )
        # Making data public is a person's decision: share links refuse tokens outright.
        write = (await make_token(client, tenant_a.member, tenant_a.workspace_id))["token"]
        r = await client.post(f"/v1/bugs/{bug['id']}/share-links", json={}, headers=bearer(write))
        assert_error(r, 403, "forbidden")
        r = await client.patch(
            f"/v1/bugs/{bug['id']}", json={"status": "resolved"}, headers=bearer(write)
        )
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        r = await client.get(
            f"/v1/workspaces/{tenant_a.workspace_id}/audit-log",
            params={"token_id": read["id"]},
            headers=tenant_a.admin.headers,
        )
        rows = list(reversed(r.json()["data"]))
        assert [(e["method"], e["route"], e["bug_id"], e["status"]) for e in rows] == [
            ("GET", "/v1/bugs/{bug_id}", bug["id"], 200),
            ("PATCH", "/v1/bugs/{bug_id}", bug["id"], 403),
        ]
        assert rows[1]["arguments"] == {"status": "closed"}
        assert rows[1]["user_agent"] == "cursor/1.2"


class TestBugKeys:
    """Tools take the key people see (APP-1, any case) as well as the id, within scope."""

    async def test_key_in_any_case_names_the_bug(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await planted_bug(client, tenant_a)
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        for ref in (bug["key"], bug["key"].lower(), f" {bug['key']} ", bug["id"]):
            r = await call(client, tok["token"], "get_bug", bug_id=ref)
            assert r.status_code == 200, r.text
            assert r.json()["result"]["id"] == bug["id"]
        r = await call(
            client, tok["token"], "update_bug", bug_id=bug["key"].lower(), status="in_progress"
        )
        assert r.status_code == 200, r.text
        got = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.member.headers)
        assert got.json()["status"] == "in_progress"
        r = await call(client, tok["token"], "add_comment", bug_id=bug["key"], body="on it")
        assert r.status_code == 200, r.text
        r = await call(client, tok["token"], "get_logs", bug_id=bug["key"])
        assert r.status_code == 200, r.text

    async def test_unknown_invisible_and_malformed_keys(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        theirs = await planted_bug(client, tenant_b)
        ours = await planted_bug(client, tenant_a)
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        # The same key exists in the other workspace: it resolves to ours, never theirs.
        r = await call(client, tok["token"], "get_bug", bug_id=theirs["key"])
        if theirs["key"] == ours["key"]:
            assert r.json()["result"]["id"] == ours["id"]
        else:
            assert_error(r, 404, "not_found")
        number = int(ours["key"].rsplit("-", 1)[1])
        missing = f"{ours['key'].rsplit('-', 1)[0]}-{number + 1000}"
        assert_error(await call(client, tok["token"], "get_bug", bug_id=missing), 404, "not_found")
        r = await call(client, tok["token"], "get_bug", bug_id="not a key")
        err = assert_error(r, 422, "validation_error")
        assert "APP-1" in json.dumps(err)
        other = await make_token(client, tenant_b.member, tenant_b.workspace_id)
        r = await call(client, other["token"], "update_bug", bug_id=ours["id"], status="closed")
        assert_error(r, 404, "not_found")

    async def test_tool_schema_says_so(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.get("/v1/mcp/tools", headers=tenant_a.viewer.headers)
        tools = {t["name"]: t for t in r.json()["data"]}
        for name in ("get_bug", "update_bug", "add_comment", "get_network"):
            prop = tools[name]["input_schema"]["properties"]["bug_id"]
            assert prop["type"] == "string" and "APP-1" in prop["description"], prop
