"""PUT/GET/DELETE /v1/projects/{project_id}/tracker-target."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.connector.conftest import Stubs, connect
from tests.fixtures.users import Tenant

BODIES: dict[str, dict[str, Any]] = {
    "github": {"repo": "acme/web-app"},
    "linear": {"team_id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d"},
    "jira": {"project_key": "WEB", "issue_type": "Bug"},
}


def url(t: Tenant) -> str:
    return f"/v1/projects/{t.project_id}/tracker-target"


class TestPut:
    @pytest.mark.parametrize("provider", ["github", "linear", "jira"])
    async def test_set_and_read_back(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs, provider: str
    ) -> None:
        conn = await connect(cc, stubs, ta, provider)
        body = {"connector_id": conn["id"], **BODIES[provider], "auto_push": True}
        r = await cc.put(url(ta), json=body, headers=ta.admin.headers)
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["provider"] == provider and got["auto_push"] is True
        assert got["project_id"] == ta.project_id and got["workspace_id"] == ta.workspace_id
        for k, v in BODIES[provider].items():
            assert got[k] == v
        assert got["updated_by_id"] == ta.admin.id
        r = await cc.get(url(ta), headers=ta.viewer.headers)
        assert r.status_code == 200 and r.json() == got

    async def test_replace_switches_provider_and_clears_fields(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        gh = await connect(cc, stubs, ta, "github")
        jira = await connect(cc, stubs, ta, "jira")
        await cc.put(
            url(ta), json={"connector_id": gh["id"], "repo": "a/b"}, headers=ta.admin.headers
        )
        r = await cc.put(
            url(ta),
            json={"connector_id": jira["id"], "project_key": "OPS"},
            headers=ta.admin.headers,
        )
        got = r.json()
        assert got["provider"] == "jira" and got["repo"] is None
        assert got["project_key"] == "OPS" and got["issue_type"] == "Bug"  # the default type
        assert got["auto_push"] is False

    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.put(url(ta), json={"connector_id": ta.workspace_id, "repo": "a/b"})
        assert_error(r, 401, "unauthorized")

    async def test_member_cannot(self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs) -> None:
        conn = await connect(cc, stubs, ta, "github")
        r = await cc.put(
            url(ta), json={"connector_id": conn["id"], "repo": "a/b"}, headers=ta.member.headers
        )
        assert_error(r, 403, "insufficient_role")

    async def test_other_workspace_project(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        b_conn = await connect(cc, stubs, tb, "github")
        r = await cc.put(
            url(ta), json={"connector_id": b_conn["id"], "repo": "a/b"}, headers=tb.owner.headers
        )
        assert_error(r, 404, "not_found")
        r = await cc.get(url(ta), headers=ta.owner.headers)
        assert_error(r, 404, "not_found")

    async def test_connector_of_another_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        """A's admin can't point A's project at B's connection (it is invisible to them)."""
        b_conn = await connect(cc, stubs, tb, "github")
        r = await cc.put(
            url(ta), json={"connector_id": b_conn["id"], "repo": "a/b"}, headers=ta.admin.headers
        )
        assert_error(r, 422, "validation_error", "body.connector_id")

    async def test_connector_of_another_own_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        """Even when the admin belongs to both workspaces, the connection must be the project's."""
        other_ws = ta.admin.personal_workspace_id
        assert other_ws and other_ws != ta.workspace_id
        fake = Tenant(other_ws, "", ta.admin, ta.admin, ta.admin, ta.admin, "", "")
        conn = await connect(cc, stubs, fake, "github")
        r = await cc.put(
            url(ta), json={"connector_id": conn["id"], "repo": "a/b"}, headers=ta.admin.headers
        )
        assert_error(r, 422, "validation_error", "body.connector_id")

    @pytest.mark.parametrize(
        ("provider", "body", "field"),
        [
            ("github", {}, "body.repo"),
            ("github", {"repo": "not a repo"}, "body.repo"),
            ("github", {"repo": "acme/web", "team_id": "x"}, "body.team_id"),
            ("linear", {}, "body.team_id"),
            ("linear", {"team_id": "t", "project_key": "WEB"}, "body.project_key"),
            ("jira", {}, "body.project_key"),
            ("jira", {"project_key": "web"}, "body.project_key"),
            ("jira", {"project_key": "WEB", "repo": "a/b"}, "body.repo"),
            ("jira", {"project_key": "WEB", "auto_push": "sometimes"}, "body.auto_push"),
            ("jira", {"project_key": "WEB", "labels": []}, "body.labels"),
        ],
    )
    async def test_bad_input(
        self,
        cc: httpx.AsyncClient,
        ta: Tenant,
        stubs: Stubs,
        provider: str,
        body: dict[str, Any],
        field: str,
    ) -> None:
        conn = await connect(cc, stubs, ta, provider)
        r = await cc.put(
            url(ta), json={"connector_id": conn["id"], **body}, headers=ta.admin.headers
        )
        assert_error(r, 422, "validation_error", field)

    async def test_missing_connector_id(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.put(url(ta), json={"repo": "a/b"}, headers=ta.admin.headers)
        assert_error(r, 422, "validation_error", "body.connector_id")


class TestGetDelete:
    async def test_none_set(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        assert_error(await cc.get(url(ta), headers=ta.admin.headers), 404, "not_found")
        assert_error(await cc.delete(url(ta), headers=ta.admin.headers), 404, "not_found")

    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        assert_error(await cc.get(url(ta)), 401, "unauthorized")
        assert_error(await cc.delete(url(ta)), 401, "unauthorized")

    async def test_delete(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "linear")
        await cc.put(
            url(ta), json={"connector_id": conn["id"], "team_id": "t1"}, headers=ta.admin.headers
        )
        assert_error(await cc.delete(url(ta), headers=ta.member.headers), 403, "insufficient_role")
        assert_error(await cc.delete(url(ta), headers=tb.owner.headers), 404, "not_found")
        assert (await cc.get(url(ta), headers=ta.admin.headers)).status_code == 200
        r = await cc.delete(url(ta), headers=ta.admin.headers)
        assert r.status_code == 204
        assert_error(await cc.get(url(ta), headers=ta.admin.headers), 404, "not_found")

    async def test_disconnect_removes_mapping(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "jira")
        await cc.put(
            url(ta),
            json={"connector_id": conn["id"], "project_key": "WEB"},
            headers=ta.admin.headers,
        )
        assert (
            await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        ).status_code == 204
        assert_error(await cc.get(url(ta), headers=ta.admin.headers), 404, "not_found")

    async def test_mcp_token_refused(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.get(url(ta), headers={"Authorization": "Bearer bp_mcp_" + "a" * 46})
        assert r.status_code in (401, 403)
