"""PATCH /v1/bugs: bulk triage — scoping per id, roles, one transaction, per-bug activity."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.bug.helpers import create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


async def _activity_types(client: httpx.AsyncClient, t: Tenant, bug_id: str) -> list[str]:
    r = await client.get(f"/v1/bugs/{bug_id}/activity", headers=t.member.headers)
    assert r.status_code == 200, r.text
    return [a["type"] for a in r.json()["data"]]


async def _bug(client: httpx.AsyncClient, t: Tenant, bug_id: str) -> dict[str, Any]:
    r = await client.get(f"/v1/bugs/{bug_id}", headers=t.owner.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestBulkUpdate:
    async def test_changes_every_bug_with_its_own_activity(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        one = await create(client, tenant_a, labels=["checkout"])
        two = await create(client, tenant_a, labels=["ui", "old"], status="in_progress")
        r = await client.patch(
            "/v1/bugs",
            json={
                "ids": [one["id"], two["id"]],
                "changes": {
                    "status": "in_progress",
                    "severity": "critical",
                    "assignee_id": tenant_a.admin.id,
                    "labels": {"add": ["triaged"], "remove": ["old"]},
                },
            },
            headers=tenant_a.member.headers,
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["not_found"] == []
        assert [b["id"] for b in out["data"]] == [one["id"], two["id"]]
        for b in out["data"]:
            assert b["status"] == "in_progress" and b["severity"] == "critical"
            assert b["assignee_id"] == tenant_a.admin.id
        assert out["data"][0]["labels"] == ["checkout", "triaged"]
        assert out["data"][1]["labels"] == ["ui", "triaged"]
        # What a follow-up read returns is what the bulk answer said.
        assert await _bug(client, tenant_a, one["id"]) == out["data"][0]
        # Per-bug activity, like the single PATCH: `two` was already in progress.
        acts_one = await _activity_types(client, tenant_a, one["id"])
        acts_two = await _activity_types(client, tenant_a, two["id"])
        for t in ("status_changed", "severity_changed", "assignee_changed", "labels_changed"):
            assert t in acts_one
        assert "status_changed" not in acts_two and "labels_changed" in acts_two
        r = await client.get(f"/v1/bugs/{two['id']}/activity", headers=tenant_a.member.headers)
        labels = [a["payload"] for a in r.json()["data"] if a["type"] == "labels_changed"]
        assert labels == [{"added": ["triaged"], "removed": ["old"]}]
        # `set` replaces; `null` unassigns.
        r = await client.patch(
            "/v1/bugs",
            json={"ids": [one["id"]], "changes": {"labels": {"set": []}, "assignee_id": None}},
            headers=tenant_a.member.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["data"][0]["labels"] == [] and r.json()["data"][0]["assignee_id"] is None

    async def test_other_workspace_ids_are_reported_and_untouched(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        mine = await create(client, tenant_a)
        theirs = await create(client, tenant_b)
        ghost = str(uuid.uuid4())
        r = await client.patch(
            "/v1/bugs",
            json={"ids": [theirs["id"], mine["id"], ghost], "changes": {"status": "closed"}},
            headers=tenant_a.owner.headers,
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert [b["id"] for b in out["data"]] == [mine["id"]]
        # An id of another workspace reads exactly like one that doesn't exist.
        assert out["not_found"] == [theirs["id"], ghost]
        assert (await _bug(client, tenant_b, theirs["id"]))["status"] == "open"
        assert "status_changed" not in await _activity_types(client, tenant_b, theirs["id"])
        assert (await _bug(client, tenant_a, mine["id"]))["status"] == "closed"
        # Only invisible ids: nothing changes, nothing is revealed.
        r = await client.patch(
            "/v1/bugs",
            json={"ids": [theirs["id"]], "changes": {"severity": "low"}},
            headers=tenant_a.owner.headers,
        )
        assert r.status_code == 200 and r.json() == {"data": [], "not_found": [theirs["id"]]}
        assert (await _bug(client, tenant_b, theirs["id"]))["severity"] == "high"

    async def test_label_removal_only_touches_visible_bugs_that_carry_it(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        carries = await create(client, tenant_a, labels=["flaky", "ui"])
        lacks = await create(client, tenant_a, labels=["ui"])
        theirs = await create(client, tenant_b, labels=["flaky"])
        r = await client.patch(
            "/v1/bugs",
            json={
                "ids": [carries["id"], theirs["id"], lacks["id"]],
                "changes": {"labels": {"remove": ["flaky"]}},
            },
            headers=tenant_a.member.headers,
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["not_found"] == [theirs["id"]]
        assert [b["labels"] for b in out["data"]] == [["ui"], ["ui"]]
        assert (await _bug(client, tenant_a, carries["id"]))["labels"] == ["ui"]
        # Another workspace's bug keeps its label and gets no activity.
        assert (await _bug(client, tenant_b, theirs["id"]))["labels"] == ["flaky"]
        assert "labels_changed" not in await _activity_types(client, tenant_b, theirs["id"])
        # Activity only where something changed.
        r = await client.get(f"/v1/bugs/{carries['id']}/activity", headers=tenant_a.member.headers)
        payloads = [a["payload"] for a in r.json()["data"] if a["type"] == "labels_changed"]
        assert payloads == [{"added": [], "removed": ["flaky"]}]
        assert "labels_changed" not in await _activity_types(client, tenant_a, lacks["id"])
        # B's own credential on A's bug: reported back, A's bug untouched.
        r = await client.patch(
            "/v1/bugs",
            json={"ids": [lacks["id"]], "changes": {"labels": {"remove": ["ui"]}}},
            headers=tenant_b.owner.headers,
        )
        assert r.status_code == 200 and r.json() == {"data": [], "not_found": [lacks["id"]]}
        assert (await _bug(client, tenant_a, lacks["id"]))["labels"] == ["ui"]

    async def test_viewer_refused_and_nothing_half_applies(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        body = {"ids": [bug["id"]], "changes": {"status": "closed"}}
        assert_error(await client.patch("/v1/bugs", json=body), 401, "unauthorized")
        r = await client.patch("/v1/bugs", json=body, headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")
        assert (await _bug(client, tenant_a, bug["id"]))["status"] == "open"
        # A bad assignee refuses the whole batch (one transaction): the first bug is unchanged.
        other = await create(client, tenant_a)
        r = await client.patch(
            "/v1/bugs",
            json={
                "ids": [bug["id"], other["id"]],
                "changes": {"status": "closed", "assignee_id": str(uuid.uuid4())},
            },
            headers=tenant_a.member.headers,
        )
        assert_error(r, 422, "validation_error", "body.changes.assignee_id")
        for b in (bug, other):
            assert (await _bug(client, tenant_a, b["id"]))["status"] == "open"

    async def test_bad_input(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        h = tenant_a.member.headers
        bug = await create(client, tenant_a)
        too_many = [str(uuid.uuid4()) for _ in range(101)]
        for body, field in (
            ({"ids": too_many, "changes": {"status": "closed"}}, "body.ids"),
            ({"ids": [], "changes": {"status": "closed"}}, "body.ids"),
            ({"ids": ["nope"], "changes": {}}, "body.ids.0"),
            ({"ids": [bug["id"]], "changes": {"title": "x"}}, "body.changes.title"),
            ({"ids": [bug["id"]], "changes": {"status": "done"}}, "body.changes.status"),
            ({"ids": [bug["id"]], "changes": {"status": None}}, "body.changes.status"),
            (
                {"ids": [bug["id"]], "changes": {"labels": {"set": ["a"], "add": ["b"]}}},
                "body.changes.labels",
            ),
            ({"ids": [bug["id"]]}, "body.changes"),
        ):
            r = await client.patch("/v1/bugs", json=body, headers=h)
            assert_error(r, 422, "validation_error", field)
        r = await client.patch(
            "/v1/bugs",
            json={
                "ids": [bug["id"]],
                "changes": {"labels": {"add": [f"l{i}" for i in range(20)]}},
            },
            headers=h,
        )
        assert_error(r, 422, "validation_error", "body.changes.labels")
        assert (await _bug(client, tenant_a, bug["id"]))["labels"] == ["checkout"]
        # Exactly 100 ids is allowed.
        r = await client.patch(
            "/v1/bugs", json={"ids": [bug["id"], *too_many[:99]], "changes": {}}, headers=h
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["not_found"]) == 99

    async def test_documented_in_openapi(self, client: httpx.AsyncClient) -> None:
        schema = (await client.get("/v1/openapi.json")).json()
        op = schema["paths"]["/v1/bugs"]["patch"]
        assert "not_found" in op["description"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert body["properties"]["ids"]["maxItems"] == 100
        assert "403" in op["responses"] and "422" in op["responses"]
