"""POST/GET/PATCH/DELETE /v1/bugs: auth, roles, validation, human keys, activity."""

from __future__ import annotations

import asyncio

import httpx

from tests.bug.helpers import bug_body, create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


class TestCreate:
    async def test_no_credential(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post("/v1/bugs", json=bug_body(tenant_a))
        assert_error(r, 401, "unauthorized")

    async def test_other_workspace_project_is_not_found(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await client.get(
            "/v1/bugs", params={"project_id": tenant_a.project_id}, headers=tenant_a.owner.headers
        )
        assert r.json()["data"] == []

    async def test_viewer_cannot_report(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post("/v1/bugs", json=bug_body(tenant_a), headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")

    async def test_server_owned_fields_rejected(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        for field, value in (
            ("key", "APP-99"),
            ("number", 99),
            ("redactions", []),
            ("reporter", {}),
        ):
            r = await client.post(
                "/v1/bugs",
                json=bug_body(tenant_a, **{field: value}),
                headers=tenant_a.member.headers,
            )
            assert_error(r, 422, "validation_error", f"body.{field}")

    async def test_bad_input_names_the_field(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        body = bug_body(tenant_a)
        del body["title"]
        assert_error(
            await client.post("/v1/bugs", json=body, headers=h),
            422,
            "validation_error",
            "body.title",
        )
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, severity="urgent"), headers=h)
        assert_error(r, 422, "validation_error", "body.severity")
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, status="done"), headers=h)
        assert_error(r, 422, "validation_error", "body.status")
        r = await client.post(
            "/v1/bugs", json=bug_body(tenant_a, environment={"gpu": "x"}), headers=h
        )
        assert_error(r, 422, "validation_error", "body.environment.gpu")
        deep = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, metadata=deep), headers=h)
        assert_error(r, 422, "validation_error", "body.metadata")
        r = await client.post("/v1/bugs", json=bug_body(tenant_a, labels=["x" * 51]), headers=h)
        assert_error(r, 422, "validation_error", "body.labels")

    async def test_creates_with_key_reporter_and_activity(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await client.post(
            "/v1/bugs",
            json=bug_body(tenant_a, metadata={"plan": "pro"}, repro_steps="1. open\n2. click"),
            headers=tenant_a.member.headers,
        )
        assert r.status_code == 201, r.text
        bug = r.json()
        assert r.headers["location"] == f"/v1/bugs/{bug['id']}"
        assert bug["key"] == "APP-1" and bug["number"] == 1
        assert bug["status"] == "open" and bug["severity"] == "high" and bug["priority"] == "none"
        assert bug["source"] == "dashboard"
        assert bug["reporter"] == {
            "user_id": tenant_a.member.id,
            "name": "Member",
            "email": tenant_a.member.email,
        }
        assert bug["log_count"] == 2 and bug["network_count"] == 2
        assert bug["failed_request_count"] == 1
        assert bug["environment"] == {"browser": "Firefox", "os": "Linux", "viewport_width": 1280}
        assert bug["metadata"] == {"plan": "pro"}
        assert bug["external_issue"] is None
        assert bug["created_at"].endswith("Z")
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.viewer.headers)
        assert r.status_code == 200 and r.json() == bug
        r = await client.get(f"/v1/bugs/{bug['id']}/activity", headers=tenant_a.viewer.headers)
        [entry] = r.json()["data"]
        assert entry["type"] == "created"
        assert entry["payload"] == {"source": "dashboard", "key": "APP-1"}
        assert entry["actor"]["kind"] == "user" and entry["actor"]["user_id"] == tenant_a.member.id

    async def test_keys_are_sequential_per_project(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        keys = [(await create(client, tenant_a))["key"] for _ in range(3)]
        assert keys == ["APP-1", "APP-2", "APP-3"]
        assert (await create(client, tenant_b))["key"] == "APP-1"

    async def test_concurrent_creates_get_keys_without_gaps_or_duplicates(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        async def one(i: int) -> httpx.Response:
            return await client.post(
                "/v1/bugs",
                json=bug_body(tenant_a, title=f"concurrent {i}"),
                headers=tenant_a.member.headers,
            )

        responses = await asyncio.gather(*(one(i) for i in range(20)))
        assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
        numbers = sorted(r.json()["number"] for r in responses)
        assert numbers == list(range(1, 21))
        assert len({r.json()["key"] for r in responses}) == 20


class TestGet:
    async def test_auth_and_scope(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        assert_error(await client.get(f"/v1/bugs/{bug['id']}"), 401, "unauthorized")
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await client.get("/v1/bugs/not-a-uuid", headers=tenant_a.owner.headers)
        assert_error(r, 422, "validation_error", "path.bug_id")


class TestUpdate:
    async def test_changes_fields_and_records_activity(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        h = tenant_a.member.headers
        r = await client.patch(
            f"/v1/bugs/{bug['id']}",
            json={
                "status": "in_progress",
                "severity": "critical",
                "assignee_id": tenant_a.admin.id,
                "labels": ["checkout", "payments"],
                "title": "Pay button broken",
                "description": None,
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["status"] == "in_progress" and out["severity"] == "critical"
        assert out["assignee_id"] == tenant_a.admin.id and out["description"] is None
        assert out["title"] == "Pay button broken" and out["updated_at"] >= bug["updated_at"]
        assert out["key"] == bug["key"]
        r = await client.get(f"/v1/bugs/{bug['id']}", headers=h)
        assert r.json() == out
        acts = (await client.get(f"/v1/bugs/{bug['id']}/activity", headers=h)).json()["data"]
        by_type = {a["type"]: a["payload"] for a in acts}
        assert by_type["status_changed"] == {"from": "open", "to": "in_progress"}
        assert by_type["severity_changed"] == {"from": "high", "to": "critical"}
        assert by_type["assignee_changed"] == {"from": None, "to": tenant_a.admin.id}
        assert by_type["labels_changed"] == {"added": ["payments"], "removed": []}
        assert by_type["title_edited"]["to"] == "Pay button broken"
        assert "description_edited" in by_type
        # Clearing the assignee is allowed (nullable); a no-op PATCH records nothing.
        r = await client.patch(f"/v1/bugs/{bug['id']}", json={"assignee_id": None}, headers=h)
        assert r.json()["assignee_id"] is None
        before = len((await client.get(f"/v1/bugs/{bug['id']}/activity", headers=h)).json()["data"])
        await client.patch(f"/v1/bugs/{bug['id']}", json={"status": "in_progress"}, headers=h)
        after = len((await client.get(f"/v1/bugs/{bug['id']}/activity", headers=h)).json()["data"])
        assert after == before

    async def test_validation_roles_and_scope(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        url = f"/v1/bugs/{bug['id']}"
        h = tenant_a.member.headers
        assert_error(await client.patch(url, json={"status": "closed"}), 401, "unauthorized")
        r = await client.patch(url, json={"status": "closed"}, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await client.patch(url, json={"status": "closed"}, headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")
        for field, value in (
            ("key", "X-1"),
            ("source", "api"),
            ("created_at", "2020-01-01T00:00:00Z"),
        ):
            assert_error(
                await client.patch(url, json={field: value}, headers=h),
                422,
                "validation_error",
                f"body.{field}",
            )
        assert_error(
            await client.patch(url, json={"title": None}, headers=h),
            422,
            "validation_error",
            "body.title",
        )
        r = await client.patch(url, json={"assignee_id": tenant_b.member.id}, headers=h)
        assert_error(r, 422, "validation_error", "body.assignee_id")
        assert (await client.get(url, headers=h)).json()["status"] == "open"


class TestDelete:
    async def test_admin_deletes_with_everything(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        url = f"/v1/bugs/{bug['id']}"
        assert_error(await client.delete(url), 401, "unauthorized")
        assert_error(await client.delete(url, headers=tenant_b.owner.headers), 404, "not_found")
        assert_error(
            await client.delete(url, headers=tenant_a.member.headers), 403, "insufficient_role"
        )
        r = await client.post(
            f"{url}/comments", json={"body": "hi"}, headers=tenant_a.member.headers
        )
        assert r.status_code == 201
        r = await client.delete(url, headers=tenant_a.admin.headers)
        assert r.status_code == 204 and r.content == b""
        for sub in ("", "/logs", "/network", "/comments", "/activity", "/export"):
            assert_error(
                await client.get(url + sub, headers=tenant_a.owner.headers), 404, "not_found"
            )
        # The number is not reused.
        assert (await create(client, tenant_a))["key"] == "APP-2"
