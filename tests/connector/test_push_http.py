"""POST /v1/bugs/{bug_id}/push and GET /v1/bugs/{bug_id}/pushes over HTTP: connect → test →
map → push for each provider, auto-push of new bugs, and the refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bugport.connector.tasks import drain
from tests.bug.helpers import create as create_bug
from tests.conftest import assert_error
from tests.connector.conftest import Stubs, connect
from tests.connector.test_targets import BODIES
from tests.fixtures.users import Tenant


async def _map(
    cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs, provider: str, auto_push: bool = False
) -> dict[str, Any]:
    conn = await connect(cc, stubs, ta, provider)
    r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
    assert r.json()["ok"], r.text
    r = await cc.put(
        f"/v1/projects/{ta.project_id}/tracker-target",
        json={"connector_id": conn["id"], **BODIES[provider], "auto_push": auto_push},
        headers=ta.admin.headers,
    )
    assert r.status_code == 200, r.text
    return conn


@pytest.mark.parametrize("provider", ["github", "linear", "jira"])
async def test_connect_test_map_push(
    cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs, provider: str
) -> None:
    await _map(cc, ta, stubs, provider)
    bug = await create_bug(cc, ta)
    n = len(stubs[provider].issues)
    r = await cc.post(f"/v1/bugs/{bug['id']}/push", json={}, headers=ta.member.headers)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["provider"] == provider
    await drain(conn_app.state)
    assert len(stubs[provider].issues) == n + 1
    r = await cc.get(f"/v1/bugs/{bug['id']}/pushes", headers=ta.viewer.headers)
    (push,) = r.json()
    assert push["status"] == "succeeded" and push["external_key"] and push["external_url"]
    r = await cc.get(f"/v1/bugs/{bug['id']}", headers=ta.viewer.headers)
    ext = r.json()["external_issue"]
    assert ext["provider"] == provider and ext["key"] == push["external_key"]
    assert ext["url"] == push["external_url"]
    r = await cc.get(f"/v1/bugs/{bug['id']}/activity", headers=ta.viewer.headers)
    entries = [e for e in r.json()["data"] if e["type"] == "tracker_pushed"]
    assert len(entries) == 1 and entries[0]["payload"]["key"] == push["external_key"]
    # Asking again: the same push, no second issue.
    r = await cc.post(f"/v1/bugs/{bug['id']}/push", headers=ta.member.headers)
    assert r.status_code == 200 and r.json()["id"] == push["id"]
    await drain(conn_app.state)
    assert len(stubs[provider].issues) == n + 1


async def test_auto_push_on_new_bug(
    cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
) -> None:
    await _map(cc, ta, stubs, "jira", auto_push=True)
    n = len(stubs.jira.issues)
    bug = await create_bug(cc, ta)
    await drain(conn_app.state)
    assert len(stubs.jira.issues) == n + 1
    r = await cc.get(f"/v1/bugs/{bug['id']}", headers=ta.member.headers)
    assert r.json()["external_issue"]["key"] == stubs.jira.issues[-1]["key"]


async def test_auto_push_of_widget_reports(
    cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
) -> None:
    """Widget reports are stored in batches by their own writer: they are pushed all the same."""
    from tests.fixtures.widget import make_key, widget_headers

    await _map(cc, ta, stubs, "jira", auto_push=True)
    n = len(stubs.jira.issues)
    key = (await make_key(cc, ta))["key"]
    r = await cc.post(
        "/v1/widget/bugs", json={"title": "From a visitor"}, headers=widget_headers(key)
    )
    assert r.status_code == 201, r.text
    await drain(conn_app.state)
    assert len(stubs.jira.issues) == n + 1
    r = await cc.get(f"/v1/bugs/{r.json()['id']}", headers=ta.member.headers)
    assert r.json()["external_issue"]["key"] == stubs.jira.issues[-1]["key"]


async def test_no_auto_push_when_off(
    cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
) -> None:
    await _map(cc, ta, stubs, "github", auto_push=False)
    n = len(stubs.github.issues)
    bug = await create_bug(cc, ta)
    await drain(conn_app.state)
    assert len(stubs.github.issues) == n
    r = await cc.get(f"/v1/bugs/{bug['id']}/pushes", headers=ta.member.headers)
    assert r.json() == []


async def test_provider_failure_is_visible_on_the_push(
    cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
) -> None:
    await _map(cc, ta, stubs, "github")
    bug = await create_bug(cc, ta)
    stubs.github.fail["issue"] = [(410, {"message": "Issues are disabled for this repo"})]
    r = await cc.post(f"/v1/bugs/{bug['id']}/push", headers=ta.member.headers)
    assert r.status_code == 202
    await drain(conn_app.state)
    (push,) = (await cc.get(f"/v1/bugs/{bug['id']}/pushes", headers=ta.member.headers)).json()
    assert push["status"] == "failed"
    assert push["last_error"] == (
        "GitHub refused the request (410) while creating an issue in acme/web-app."
    )
    assert "disabled" not in push["last_error"]


class TestRefusals:
    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        bug = await create_bug(cc, ta)
        assert_error(await cc.post(f"/v1/bugs/{bug['id']}/push"), 401, "unauthorized")
        assert_error(await cc.get(f"/v1/bugs/{bug['id']}/pushes"), 401, "unauthorized")

    async def test_other_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        await _map(cc, ta, stubs, "github")
        bug = await create_bug(cc, ta)
        n = len(stubs.github.issues)
        r = await cc.post(f"/v1/bugs/{bug['id']}/push", headers=tb.owner.headers)
        assert_error(r, 404, "not_found")
        assert_error(
            await cc.get(f"/v1/bugs/{bug['id']}/pushes", headers=tb.owner.headers),
            404,
            "not_found",
        )
        assert len(stubs.github.issues) == n

    async def test_viewer_cannot_push(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        await _map(cc, ta, stubs, "github")
        bug = await create_bug(cc, ta)
        r = await cc.post(f"/v1/bugs/{bug['id']}/push", headers=ta.viewer.headers)
        assert_error(r, 403, "insufficient_role")

    async def test_no_target(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        bug = await create_bug(cc, ta)
        r = await cc.post(f"/v1/bugs/{bug['id']}/push", headers=ta.member.headers)
        assert_error(r, 409, "conflict")

    async def test_wrong_connector(self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs) -> None:
        await _map(cc, ta, stubs, "github")
        other = await connect(cc, stubs, ta, "linear")
        bug = await create_bug(cc, ta)
        r = await cc.post(
            f"/v1/bugs/{bug['id']}/push",
            json={"connector_id": other["id"]},
            headers=ta.member.headers,
        )
        assert_error(r, 422, "validation_error", "body.connector_id")
        r = await cc.post(
            f"/v1/bugs/{bug['id']}/push", json={"connector_id": "x"}, headers=ta.member.headers
        )
        assert_error(r, 422, "validation_error", "body.connector_id")
