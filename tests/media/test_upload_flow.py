"""The upload flow over real HTTP PUTs: upload-url -> PUT -> complete -> GET, on both databases
and both storage backends."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.media.conftest import (
    QUOTA,
    MediaEnv,
    png,
    request_upload,
    storage_of,
    upload_ready,
)


class TestUploadUrl:
    async def test_no_credential_is_401(self, env: MediaEnv, tenant_a: Tenant) -> None:
        r = await env.client.post(
            "/v1/media/upload-url",
            json={
                "filename": "a.png",
                "content_type": "image/png",
                "size_bytes": 10,
                "kind": "screenshot",
                "project_id": tenant_a.project_id,
            },
        )
        assert_error(r, 401, "unauthorized")

    async def test_other_workspace_project_is_404(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await request_upload(env, tenant_b.owner.headers, tenant_a.project_id, size=10)
        assert_error(r, 404, "not_found")
        assert (await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id))[
            "reserved_bytes"
        ] == 0

    async def test_viewer_is_403(self, env: MediaEnv, tenant_a: Tenant) -> None:
        r = await request_upload(env, tenant_a.viewer.headers, tenant_a.project_id, size=10)
        assert_error(r, 403, "insufficient_role")

    async def test_type_not_allowed_for_kind_is_422(self, env: MediaEnv, tenant_a: Tenant) -> None:
        r = await request_upload(
            env, tenant_a.member.headers, tenant_a.project_id, size=10, content_type="video/mp4"
        )
        assert_error(r, 422, "validation_error", "body.content_type")
        r = await request_upload(
            env,
            tenant_a.member.headers,
            tenant_a.project_id,
            size=10,
            content_type="image/png; charset=x",
        )
        assert_error(r, 422, "validation_error", "body.content_type")

    async def test_size_over_kind_limit_is_422(self, env: MediaEnv, tenant_a: Tenant) -> None:
        limit = env.app.state.settings.media_max_screenshot_bytes
        r = await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=limit + 1)
        assert_error(r, 422, "validation_error", "body.size_bytes")

    async def test_bad_input_names_the_field(self, env: MediaEnv, tenant_a: Tenant) -> None:
        r = await env.client.post(
            "/v1/media/upload-url",
            json={
                "content_type": "image/png",
                "size_bytes": 0,
                "kind": "gif",
                "project_id": tenant_a.project_id,
            },
            headers=tenant_a.member.headers,
        )
        err = assert_error(r, 422, "validation_error", "body.filename")
        fields = {d["field"] for d in err["details"]}
        assert {"body.size_bytes", "body.kind"} <= fields

    async def test_issues_a_bound_url_and_reserves(self, env: MediaEnv, tenant_a: Tenant) -> None:
        r = await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=1234)
        assert r.status_code == 201, r.text
        body = r.json()
        assert r.headers["location"] == f"/v1/media/{body['media_id']}"
        up = body["upload"]
        assert up["method"] == "PUT"
        assert up["headers"] == {"Content-Type": "image/png", "Content-Length": "1234"}
        url = urlparse(up["url"])
        key = f"ws/{tenant_a.workspace_id}/media/{body['media_id']}"
        assert url.path.endswith("/" + key)  # BugPort's key, per-workspace prefix, no filename
        assert "shot" not in up["url"]
        q = parse_qs(url.query)
        if env.mode == "s3":
            signed = q["X-Amz-SignedHeaders"][0].split(";")
            assert "content-length" in signed and "content-type" in signed
            assert q["X-Amz-Expires"] == [str(env.app.state.settings.media_upload_url_ttl_seconds)]
        else:
            assert url.path == "/storage/" + key and q["sig"] and q["exp"]
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == 1234 and st["used_bytes"] == 0
        m = await env.client.get(f"/v1/media/{body['media_id']}", headers=tenant_a.viewer.headers)
        assert m.json()["status"] == "pending" and m.json()["download_url"] is None


class TestComplete:
    async def test_full_flow_ready_download_thumbnail(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        data = png(640, 400)
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        assert m["status"] == "ready" and m["size_bytes"] == len(data)
        assert m["thumbnail_state"] == "pending"
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == len(data) and st["reserved_bytes"] == 0
        assert st["by_kind"]["screenshot"] == len(data) and st["by_kind"]["video"] == 0
        assert st["quota_bytes"] == QUOTA and st["percent_used"] > 0
        await env.drain()
        r = await env.client.get(f"/v1/media/{m['id']}", headers=tenant_a.viewer.headers)
        got = r.json()
        assert got["thumbnail_state"] == "ready", got
        dl = await env.put({"method": "GET", "headers": {}, "url": got["download_url"]}, b"")
        assert dl.status_code == 200 and dl.content == data
        th = await env.put({"method": "GET", "headers": {}, "url": got["thumbnail_url"]}, b"")
        assert th.status_code == 200 and th.content[:4] == b"RIFF" and th.content[8:12] == b"WEBP"
        import io

        from PIL import Image

        assert Image.open(io.BytesIO(th.content)).size == (320, 200)

    async def test_complete_twice_is_harmless(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = png()
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        r = await env.client.post(
            "/v1/media/complete", json={"media_id": m["id"]}, headers=tenant_a.member.headers
        )
        assert r.status_code == 200 and r.json()["status"] == "ready"
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == len(data) and st["reserved_bytes"] == 0

    async def test_complete_before_upload_is_409(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = png()
        r = await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=len(data))
        mid = r.json()["media_id"]
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
        )
        assert_error(c, 409, "conflict")
        # Still pending: uploading and completing afterwards works.
        assert (await env.put(r.json()["upload"], data)).status_code == 200
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
        )
        assert c.status_code == 200 and c.json()["status"] == "ready"

    async def test_complete_rules(self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant) -> None:
        r = await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=10)
        mid = r.json()["media_id"]
        c = await env.client.post("/v1/media/complete", json={"media_id": mid})
        assert_error(c, 401, "unauthorized")
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_b.owner.headers
        )
        assert_error(c, 404, "not_found")
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.viewer.headers
        )
        assert_error(c, 403, "insufficient_role")
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": "nope"}, headers=tenant_a.member.headers
        )
        assert_error(c, 422, "validation_error", "body.media_id")

    async def test_wrong_content_type(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = png()
        r = await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=len(data))
        up, mid = r.json()["upload"], r.json()["media_id"]
        put = await env.put(up, data, {**up["headers"], "Content-Type": "image/jpeg"})
        if env.mode == "local":
            assert_error(put, 403, "forbidden")  # the signature binds the type
            c = await env.client.post(
                "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
            )
            assert_error(c, 409, "conflict")
            return
        # moto does not enforce signed headers (R2/S3 do); completion catches it anyway.
        assert put.status_code == 200
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
        )
        assert_error(c, 422, "validation_error", "content_type")
        await self._assert_failed_and_gone(env, tenant_a, mid)

    async def test_wrong_size(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = png()
        r = await request_upload(
            env, tenant_a.member.headers, tenant_a.project_id, size=len(data) + 5
        )
        up, mid = r.json()["upload"], r.json()["media_id"]
        put = await env.put(up, data, {"Content-Type": "image/png"})  # the real, shorter length
        if env.mode == "local":
            assert_error(put, 403, "forbidden")  # the signature binds the length
            # Lying in Content-Length and sending fewer bytes is refused too.
            put = await env.put(up, data + b"x" * 9)
            assert put.status_code in (400, 403)
            c = await env.client.post(
                "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
            )
            assert_error(c, 409, "conflict")
            return
        assert put.status_code == 200
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=tenant_a.member.headers
        )
        assert_error(c, 422, "validation_error", "size_bytes")
        await self._assert_failed_and_gone(env, tenant_a, mid)

    async def _assert_failed_and_gone(self, env: MediaEnv, t: Tenant, mid: str) -> None:
        g = (await env.client.get(f"/v1/media/{mid}", headers=t.member.headers)).json()
        assert g["status"] == "failed" and g["failure_reason"].startswith("mismatch")
        key = f"ws/{t.workspace_id}/media/{mid}"
        assert await env.app.state.storage.head(key) is None
        st = await storage_of(env, t.owner.headers, t.workspace_id)
        assert st["reserved_bytes"] == 0 and st["used_bytes"] == 0
        # A failed media can't be completed later.
        c = await env.client.post(
            "/v1/media/complete", json={"media_id": mid}, headers=t.member.headers
        )
        assert_error(c, 409, "conflict")

    async def test_url_reused_for_another_key(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = png()
        h = tenant_a.member.headers
        a = (await request_upload(env, h, tenant_a.project_id, size=len(data))).json()
        b = (await request_upload(env, h, tenant_a.project_id, size=len(data))).json()
        forged = a["upload"]["url"].replace(a["media_id"], b["media_id"])
        put = await env.put(a["upload"], data, url=forged)
        if env.mode == "local":
            assert_error(put, 403, "forbidden")
        else:
            # moto ignores signatures; the issued URL's signature covers its path (= the key).
            assert put.status_code == 200
            await env.app.state.storage.delete(f"ws/{tenant_a.workspace_id}/media/{b['media_id']}")
        # A's URL writes only A's key: B stays un-uploaded.
        assert (await env.put(a["upload"], data)).status_code == 200
        c = await env.client.post("/v1/media/complete", json={"media_id": b["media_id"]}, headers=h)
        assert_error(c, 409, "conflict")
        c = await env.client.post("/v1/media/complete", json={"media_id": a["media_id"]}, headers=h)
        assert c.status_code == 200


class TestQuota:
    async def test_over_quota_is_402_before_any_url(self, env: MediaEnv, tenant_a: Tenant) -> None:
        h = tenant_a.member.headers
        data = png()
        await upload_ready(env, h, tenant_a.project_id, data)
        r = await request_upload(env, h, tenant_a.project_id, size=QUOTA - len(data) + 1)
        err = assert_error(r, 402, "quota_exceeded")
        details = {d["field"]: d["message"] for d in err["details"]}
        assert details == {
            "used": str(len(data)),
            "quota": str(QUOTA),
            "requested": str(QUOTA - len(data) + 1),
        }
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == 0
        r = await request_upload(env, h, tenant_a.project_id, size=QUOTA - len(data))
        assert r.status_code == 201  # exactly up to the quota is fine

    async def test_concurrent_reservations_never_pass_quota(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        size = 1_000_000
        rs = await asyncio.gather(
            *[
                request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=size)
                for _ in range(12)
            ]
        )
        codes = sorted(r.status_code for r in rs)
        assert codes == [201] * (QUOTA // size) + [402] * (12 - QUOTA // size), codes
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == QUOTA // size * size <= QUOTA
