from __future__ import annotations

import httpx
import pytest

from tests.conftest import assert_error
from tests.fixtures.mcp import bearer, make_token
from tests.fixtures.users import Tenant

INVOKE = "/v1/mcp/tools/invoke"


class TestListTools:
    async def test_no_credential(self, client: httpx.AsyncClient) -> None:
        assert_error(await client.get("/v1/mcp/tools"), 401, "unauthorized")

    async def test_filtered_by_token_scopes(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        read = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:read",))
        r = await client.get("/v1/mcp/tools", headers=bearer(read["token"]))
        assert r.status_code == 200, r.text
        tools = {t["name"]: t for t in r.json()["data"]}
        assert r.json()["scopes"] == ["bugs:read"]
        assert {"list_projects", "get_project"} <= set(tools)
        assert all(t["scope"] == "bugs:read" for t in tools.values())
        schema = tools["get_project"]["input_schema"]
        assert schema["required"] == ["project_id"]
        assert schema["additionalProperties"] is False
        write = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:write",))
        r = await client.get("/v1/mcp/tools", headers=bearer(write["token"]))
        assert "list_projects" not in {t["name"] for t in r.json()["data"]}

    async def test_signed_in_user_sees_all(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await client.get("/v1/mcp/tools", headers=tenant_a.viewer.headers)
        assert r.status_code == 200
        assert {"list_projects", "get_project"} <= {t["name"] for t in r.json()["data"]}


class TestInvoke:
    async def test_no_credential(self, client: httpx.AsyncClient) -> None:
        r = await client.post(INVOKE, json={"name": "list_projects", "arguments": {}})
        assert_error(r, 401, "unauthorized")

    async def test_missing_scope(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id, ("bugs:write",))
        r = await client.post(
            INVOKE, json={"name": "list_projects", "arguments": {}}, headers=bearer(tok["token"])
        )
        err = assert_error(r, 403, "insufficient_scope")
        assert "bugs:read" in err["message"]
        assert (
            r.headers["www-authenticate"] == 'Bearer error="insufficient_scope", scope="bugs:read"'
        )

    async def test_other_workspace_is_not_found(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        tok = await make_token(client, tenant_b.owner, tenant_b.workspace_id)
        r = await client.post(
            INVOKE,
            json={"name": "get_project", "arguments": {"project_id": tenant_a.project_id}},
            headers=bearer(tok["token"]),
        )
        assert_error(r, 404, "not_found")
        # And B's user (JWT) through the bridge alike.
        r = await client.post(
            INVOKE,
            json={"name": "get_project", "arguments": {"project_id": tenant_a.project_id}},
            headers=tenant_b.owner.headers,
        )
        assert_error(r, 404, "not_found")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "get_project", "arguments": {}}, "body.arguments.project_id"),
            (
                {"name": "get_project", "arguments": {"project_id": "nope"}},
                "body.arguments.project_id",
            ),
            ({"name": "list_projects", "arguments": {"limit": 0}}, "body.arguments.limit"),
            ({"name": "list_projects", "arguments": {"sql": "drop"}}, "body.arguments.sql"),
            ({"arguments": {}}, "body.name"),
            ({"name": "list_projects", "arguments": []}, "body.arguments"),
        ],
    )
    async def test_bad_arguments(
        self, client: httpx.AsyncClient, tenant_a: Tenant, body: dict[str, object], field: str
    ) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.post(INVOKE, json=body, headers=bearer(tok["token"]))
        assert_error(r, 422, "validation_error", field)

    async def test_unknown_tool(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        tok = await make_token(client, tenant_a.member, tenant_a.workspace_id)
        r = await client.post(INVOKE, json={"name": "rm_rf"}, headers=bearer(tok["token"]))
        assert_error(r, 404, "not_found")

    async def test_project_restriction(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post(
            "/v1/projects",
            json={"workspace_id": tenant_a.workspace_id, "name": "Other", "key": "OTH"},
            headers=tenant_a.owner.headers,
        )
        assert r.status_code == 201, r.text
        other = r.json()["id"]
        tok = await make_token(
            client, tenant_a.member, tenant_a.workspace_id, project_ids=[tenant_a.project_id]
        )
        h = bearer(tok["token"])
        r = await client.post(INVOKE, json={"name": "list_projects"}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["tool"] == "list_projects"
        assert [p["id"] for p in r.json()["result"]["projects"]] == [tenant_a.project_id]
        r = await client.post(
            INVOKE, json={"name": "get_project", "arguments": {"project_id": other}}, headers=h
        )
        assert_error(r, 404, "not_found")
        # The member themself (signed in) sees both, plus their personal workspace's project.
        r = await client.post(
            INVOKE, json={"name": "list_projects"}, headers=tenant_a.member.headers
        )
        assert {tenant_a.project_id, other} <= {p["id"] for p in r.json()["result"]["projects"]}


class TestConfig:
    async def test_no_credential(self, client: httpx.AsyncClient) -> None:
        assert_error(await client.get("/v1/mcp/config"), 401, "unauthorized")

    async def test_ready_to_paste(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        for headers in (
            tenant_a.viewer.headers,
            bearer(
                (await make_token(client, tenant_a.viewer, tenant_a.workspace_id, ("bugs:read",)))[
                    "token"
                ]
            ),
        ):
            r = await client.get("/v1/mcp/config", headers=headers)
            assert r.status_code == 200, r.text
            cfg = r.json()
            assert cfg["api_url"] == "http://test/v1" and cfg["mcp_url"] == "http://test/mcp"
            ph = cfg["token_placeholder"]
            assert set(cfg["clients"]) == {"claude_desktop", "claude_code", "cursor", "vscode"}
            desktop = cfg["clients"]["claude_desktop"]["stdio"]["mcpServers"]["bugport"]
            assert desktop["command"] == "bugport" and desktop["args"] == ["mcp"]
            assert desktop["env"] == {"BUGPORT_API_URL": "http://test/v1", "BUGPORT_MCP_TOKEN": ph}
            vs = cfg["clients"]["vscode"]["http"]["servers"]["bugport"]
            assert vs == {
                "type": "http",
                "url": "http://test/mcp",
                "headers": {"Authorization": f"Bearer {ph}"},
            }
            cursor = cfg["clients"]["cursor"]["http"]["mcpServers"]["bugport"]
            assert cursor["url"] == "http://test/mcp"
            code = cfg["clients"]["claude_code"]
            assert "--transport http bugport http://test/mcp" in code["http"]
            assert code["stdio"].endswith("-- bugport mcp")
