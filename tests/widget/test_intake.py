"""Widget intake over HTTP: POST /v1/widget/bugs, /v1/widget/media/upload-url and /complete."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.fixtures.widget import ORIGIN, make_key, widget_headers
from tests.widget.test_limits import limited_app

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def report(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Pay button does nothing",
        "description": "Clicked **Pay**; nothing happened.",
        "reporter": {"name": "Ada", "email": "ada@example.com"},
        "page_url": "https://app.example.com/checkout?step=2&token=PAGE_SECRET",
        "environment": {"browser": "Chrome", "os": "Linux", "viewport_width": 1280},
        "metadata": {"plan": "pro"},
        "logs": [
            {
                "level": "error",
                "message": "payment failed eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            },
            {"level": "log", "message": "clicked"},
        ],
        "network": [
            {
                "method": "POST",
                "url": "https://api.example.com/pay?access_token=NET_SECRET",
                "status": 500,
                "request_headers": {"Authorization": "Bearer HEADER_SECRET", "accept": "*/*"},
                "timing": {"duration": 120},
            }
        ],
    }
    body.update(extra)
    return body


async def bugs_of(client: httpx.AsyncClient, t: Tenant) -> list[dict[str, Any]]:
    r = await client.get("/v1/bugs", params={"project_id": t.project_id}, headers=t.member.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


@pytest.fixture
async def key(client: httpx.AsyncClient, tenant_a: Tenant) -> str:
    return str((await make_key(client, tenant_a))["key"])


class TestSubmit:
    async def test_report_is_stored_redacted_and_readable_by_the_team(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        r = await client.post("/v1/widget/bugs", json=report(), headers=widget_headers(key))
        assert r.status_code == 201, r.text
        created = r.json()
        assert set(created) == {"id", "key"} and created["key"].startswith("APP-")
        assert r.headers["location"] == f"/v1/bugs/{created['id']}"
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert int(r.headers["ratelimit-limit"]) > 0
        h = tenant_a.member.headers
        bug = (await client.get(f"/v1/bugs/{created['id']}", headers=h)).json()
        assert bug["title"] == "Pay button does nothing"
        assert bug["source"] == "widget"
        assert bug["project_id"] == tenant_a.project_id
        assert bug["reporter"]["email"] == "ada@example.com"
        assert bug["reporter"]["user_id"] is None
        assert bug["environment"]["browser"] == "Chrome"
        assert bug["metadata"] == {"plan": "pro"}
        assert bug["status"] == "open"
        logs = (await client.get(f"/v1/bugs/{created['id']}/logs", headers=h)).json()["data"]
        net = (await client.get(f"/v1/bugs/{created['id']}/network", headers=h)).json()["data"]
        assert {e["message"][:14] for e in logs} == {"payment failed", "clicked"}
        assert net[0]["status"] == 500
        everything = str(bug) + str(logs) + str(net)
        for secret in ("PAGE_SECRET", "NET_SECRET", "HEADER_SECRET", "c2lnbmF0dXJl"):
            assert secret not in everything
        assert bug["redactions"]

    async def test_widget_key_cannot_read_what_it_created(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        r = await client.post("/v1/widget/bugs", json=report(), headers=widget_headers(key))
        bug_id = r.json()["id"]
        for url in (f"/v1/bugs/{bug_id}", "/v1/bugs", f"/v1/bugs/{bug_id}/logs"):
            assert_error(await client.get(url, headers=widget_headers(key)), 403, "forbidden")

    async def test_no_credential_401(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post("/v1/widget/bugs", json=report(), headers={"Origin": ORIGIN})
        assert_error(r, 401, "unauthorized")
        assert await bugs_of(client, tenant_a) == []

    async def test_user_token_is_not_a_widget_credential(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = {**tenant_a.owner.headers, "Origin": ORIGIN}
        assert_error(
            await client.post("/v1/widget/bugs", json=report(), headers=h), 403, "forbidden"
        )

    async def test_revoked_key_401_and_nothing_stored(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        k = await make_key(client, tenant_a)
        await client.delete(
            f"/v1/projects/{tenant_a.project_id}/widget-keys/{k['id']}",
            headers=tenant_a.admin.headers,
        )
        r = await client.post("/v1/widget/bugs", json=report(), headers=widget_headers(k["key"]))
        assert_error(r, 401, "invalid_token")
        assert await bugs_of(client, tenant_a) == []

    @pytest.mark.parametrize("origin", ["https://app.example.com.evil.net", None, "null"])
    async def test_refused_origin_stores_nothing(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str, origin: str | None
    ) -> None:
        r = await client.post("/v1/widget/bugs", json=report(), headers=widget_headers(key, origin))
        assert_error(r, 403, "origin_not_allowed")
        assert await bugs_of(client, tenant_a) == []

    @pytest.mark.parametrize(
        "field",
        [
            "project_id",
            "status",
            "severity",
            "priority",
            "assignee_id",
            "labels",
            "source",
            "key",
            "number",
            "workspace_id",
        ],
    )
    async def test_server_owned_or_other_project_fields_422(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant, key: str, field: str
    ) -> None:
        value: Any = {
            "project_id": tenant_b.project_id,
            "workspace_id": tenant_b.workspace_id,
            "assignee_id": tenant_a.member.id,
            "labels": ["x"],
            "number": 1,
        }.get(field, "high" if field in ("severity", "priority") else "closed")
        r = await client.post(
            "/v1/widget/bugs", json=report(**{field: value}), headers=widget_headers(key)
        )
        assert_error(r, 422, "validation_error", f"body.{field}")
        assert await bugs_of(client, tenant_a) == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"title": ""}, "body.title"),
            ({"reporter": {"email": "not-an-email"}}, "body.reporter.email"),
            ({"logs": [{"level": "fatal", "message": "x"}]}, "body.logs.0.level"),
        ],
    )
    async def test_bad_input_422(
        self, client: httpx.AsyncClient, key: str, body: dict[str, Any], field: str
    ) -> None:
        r = await client.post("/v1/widget/bugs", json=report(**body), headers=widget_headers(key))
        assert_error(r, 422, "validation_error", field)

    async def test_idempotent_retry_creates_one_report(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        h = widget_headers(key, **{"Idempotency-Key": f"draft-{uuid.uuid4()}"})
        r1 = await client.post("/v1/widget/bugs", json=report(), headers=h)
        r2 = await client.post("/v1/widget/bugs", json=report(), headers=h)
        assert r1.status_code == r2.status_code == 201
        assert r1.json() == r2.json()
        assert r2.headers["idempotent-replayed"] == "true"
        assert len(await bugs_of(client, tenant_a)) == 1
        r3 = await client.post("/v1/widget/bugs", json=report(title="other"), headers=h)
        assert_error(r3, 422, "idempotency_key_reused")
        assert len(await bugs_of(client, tenant_a)) == 1

    async def test_rate_limited_request_creates_nothing(
        self,
        client: httpx.AsyncClient,
        tenant_a: Tenant,
        key: str,
        backend_url: tuple[str, str],
        tmp_path: Path,
    ) -> None:
        async with limited_app(backend_url, tmp_path, widget_rate_limit_per_key="1/minute") as (
            _,
            c,
        ):
            assert (
                await c.post("/v1/widget/bugs", json=report(), headers=widget_headers(key))
            ).status_code == 201
            r = await c.post(
                "/v1/widget/bugs", json=report(title="2nd"), headers=widget_headers(key)
            )
            assert_error(r, 429, "rate_limited")
            assert int(r.headers["retry-after"]) >= 1
        titles = [b["title"] for b in await bugs_of(client, tenant_a)]
        assert titles == ["Pay button does nothing"]


class TestMedia:
    async def upload(self, client: httpx.AsyncClient, key: str, data: bytes = PNG) -> str:
        r = await client.post(
            "/v1/widget/media/upload-url",
            json={
                "filename": "screenshot.png",
                "content_type": "image/png",
                "size_bytes": len(data),
                "kind": "screenshot",
            },
            headers=widget_headers(key),
        )
        assert r.status_code == 201, r.text
        ticket = r.json()
        assert set(ticket) == {"media_id", "upload", "expires_at"}
        put = await client.request(
            ticket["upload"]["method"],
            ticket["upload"]["url"],
            content=data,
            headers=ticket["upload"]["headers"],
        )
        assert put.status_code in (200, 201, 204), put.text
        return str(ticket["media_id"])

    async def test_screenshot_flow_attaches_to_report(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        media_id = await self.upload(client, key)
        r = await client.post(
            "/v1/widget/media/complete", json={"media_id": media_id}, headers=widget_headers(key)
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"id": media_id, "status": "ready", "size_bytes": len(PNG)}
        assert "download_url" not in r.text
        r = await client.post(
            "/v1/widget/bugs", json=report(media_ids=[media_id]), headers=widget_headers(key)
        )
        assert r.status_code == 201, r.text
        bug_id = r.json()["id"]
        media = (
            await client.get(f"/v1/bugs/{bug_id}/media", headers=tenant_a.member.headers)
        ).json()["data"]
        assert [(m["id"], m["status"], m["kind"]) for m in media] == [
            (media_id, "ready", "screenshot")
        ]
        # Attached once: the same upload can't be attached to a second report.
        r = await client.post(
            "/v1/widget/bugs", json=report(media_ids=[media_id]), headers=widget_headers(key)
        )
        assert_error(r, 422, "validation_error", "body.media_ids.0")

    async def test_retry_of_a_stored_report_with_its_screenshot_replays(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        """The first answer was lost; the widget retries the same draft: the report (whose
        screenshot is attached by now) comes back, not a 422 for the screenshot."""
        media_id = await self.upload(client, key)
        h = widget_headers(key)
        assert (
            await client.post("/v1/widget/media/complete", json={"media_id": media_id}, headers=h)
        ).status_code == 200
        h = widget_headers(key, **{"Idempotency-Key": f"draft-{uuid.uuid4()}"})
        body = report(media_ids=[media_id])
        r1 = await client.post("/v1/widget/bugs", json=body, headers=h)
        r2 = await client.post("/v1/widget/bugs", json=body, headers=h)
        assert r1.status_code == r2.status_code == 201, r2.text
        assert r2.json() == r1.json() and r2.headers["idempotent-replayed"] == "true"
        assert len(await bugs_of(client, tenant_a)) == 1

    async def test_refused_screenshot_gives_the_idempotency_key_back(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        pending = await self.upload(client, key)  # never completed
        h = widget_headers(key, **{"Idempotency-Key": f"draft-{uuid.uuid4()}"})
        r = await client.post("/v1/widget/bugs", json=report(media_ids=[pending]), headers=h)
        assert_error(r, 422, "validation_error", "body.media_ids.0")
        assert await bugs_of(client, tenant_a) == []
        # Nothing was kept for the key: the corrected draft is stored under it.
        r = await client.post("/v1/widget/bugs", json=report(), headers=h)
        assert r.status_code == 201, r.text
        assert "idempotent-replayed" not in r.headers
        assert len(await bugs_of(client, tenant_a)) == 1

    async def test_uncompleted_or_foreign_media_422(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant, key: str
    ) -> None:
        pending = await self.upload(client, key)
        r = await client.post(
            "/v1/widget/bugs", json=report(media_ids=[pending]), headers=widget_headers(key)
        )
        assert_error(r, 422, "validation_error", "body.media_ids.0")
        b_key = (await make_key(client, tenant_b))["key"]
        theirs = await self.upload(client, b_key)
        r = await client.post(
            "/v1/widget/media/complete", json={"media_id": theirs}, headers=widget_headers(key)
        )
        assert_error(r, 404, "not_found")
        assert await bugs_of(client, tenant_a) == []

    async def test_upload_url_refuses_project_and_bad_types(
        self, client: httpx.AsyncClient, tenant_a: Tenant, key: str
    ) -> None:
        base = {
            "filename": "a.png",
            "content_type": "image/png",
            "size_bytes": 10,
            "kind": "screenshot",
        }
        for extra, field in (
            ({"project_id": tenant_a.project_id}, "body.project_id"),
            ({"content_type": "text/html"}, "body.content_type"),
            ({"size_bytes": 0}, "body.size_bytes"),
        ):
            r = await client.post(
                "/v1/widget/media/upload-url", json={**base, **extra}, headers=widget_headers(key)
            )
            assert_error(r, 422, "validation_error", field)

    async def test_quota_checked_before_any_url(
        self,
        client: httpx.AsyncClient,
        tenant_a: Tenant,
        backend_url: tuple[str, str],
        tmp_path: Path,
    ) -> None:
        key = (await make_key(client, tenant_a))["key"]
        async with limited_app(backend_url, tmp_path, storage_quota_bytes=10) as (_, c):
            r = await c.post(
                "/v1/widget/media/upload-url",
                json={
                    "filename": "a.png",
                    "content_type": "image/png",
                    "size_bytes": 1000,
                    "kind": "screenshot",
                },
                headers=widget_headers(key),
            )
            assert_error(r, 402, "quota_exceeded")

    async def test_media_routes_need_key_and_origin(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        body = {"media_id": str(uuid.uuid4())}
        assert_error(await client.post("/v1/widget/media/complete", json=body), 401, "unauthorized")
        r = await client.post(
            "/v1/widget/media/complete", json=body, headers=widget_headers(key, "https://evil.net")
        )
        assert_error(r, 403, "origin_not_allowed")
