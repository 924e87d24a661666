"""Fail, sweep, delete (bytes back to the quota), thumbnails' states, usage by kind, and proof
that in S3 mode the API never sees the file bytes."""

from __future__ import annotations

import shutil
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bugport.models import Media
from bugport.models.base import utcnow
from tests.conftest import assert_error, client_for
from tests.fixtures.users import Tenant
from tests.media.conftest import MediaEnv, png, request_upload, storage_of, upload_ready


def key_of(t: Tenant, media_id: str) -> str:
    return f"ws/{t.workspace_id}/media/{media_id}"


class TestFail:
    async def test_fail_removes_partial_object_and_releases(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        data = png()
        r = (await request_upload(env, h, tenant_a.project_id, size=len(data))).json()
        assert (await env.put(r["upload"], data)).status_code == 200
        assert await env.app.state.storage.head(key_of(tenant_a, r["media_id"])) is not None
        f = await env.client.post(
            f"/v1/media/{r['media_id']}/fail", json={"reason": "tab closed"}, headers=h
        )
        assert f.status_code == 200, f.text
        assert f.json()["status"] == "failed" and f.json()["failure_reason"] == "client: tab closed"
        assert await env.app.state.storage.head(key_of(tenant_a, r["media_id"])) is None
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == 0 and st["used_bytes"] == 0
        # Idempotent, with or without a body; completing afterwards is refused.
        f = await env.client.post(f"/v1/media/{r['media_id']}/fail", headers=h)
        assert f.status_code == 200 and f.json()["status"] == "failed"
        c = await env.client.post("/v1/media/complete", json={"media_id": r["media_id"]}, headers=h)
        assert_error(c, 409, "conflict")

    async def test_fail_rules(self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant) -> None:
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, png())
        url = f"/v1/media/{m['id']}/fail"
        assert_error(await env.client.post(url), 401, "unauthorized")
        assert_error(await env.client.post(url, headers=tenant_b.owner.headers), 404, "not_found")
        assert_error(
            await env.client.post(url, headers=tenant_a.viewer.headers), 403, "insufficient_role"
        )
        r = await env.client.post(url, json={"reason": "x" * 201}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.reason")
        # A ready media is deleted, not failed.
        assert_error(await env.client.post(url, headers=tenant_a.member.headers), 409, "conflict")


class TestSweep:
    async def _expire(self, env: MediaEnv, media_id: str) -> None:
        async with env.app.state.jobs.ctx.session() as s:
            await s.execute(
                update(Media)
                .where(Media.id == __import__("uuid").UUID(media_id))
                .values(expires_at=utcnow() - timedelta(hours=1))
            )

    async def test_sweep_job_fails_abandoned_uploads(self, env: MediaEnv, tenant_a: Tenant) -> None:
        h = tenant_a.member.headers
        data = png()
        old = (await request_upload(env, h, tenant_a.project_id, size=len(data))).json()
        fresh = (await request_upload(env, h, tenant_a.project_id, size=len(data))).json()
        assert (await env.put(old["upload"], data)).status_code == 200  # PUT but never completed
        await self._expire(env, old["media_id"])
        await env.app.state.jobs.enqueue("media.sweep")
        await env.drain()
        g = (await env.client.get(f"/v1/media/{old['media_id']}", headers=h)).json()
        assert g["status"] == "failed" and g["failure_reason"].startswith("expired")
        assert await env.app.state.storage.head(key_of(tenant_a, old["media_id"])) is None
        g = (await env.client.get(f"/v1/media/{fresh['media_id']}", headers=h)).json()
        assert g["status"] == "pending"  # within its TTL: untouched
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == len(data)  # only the fresh one's reservation remains


class TestTombstones:
    async def test_tombstoned_media_gives_bytes_back_and_sweep_removes_objects(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        """The path a bug deletion takes: bytes back at once, objects and rows by the sweeper."""
        import uuid

        from sqlalchemy import select

        from bugport.media import service

        data = png(300, 300)
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        await env.drain()
        async with env.app.state.jobs.ctx.session() as s:
            row = (
                await s.execute(select(Media).where(Media.id == uuid.UUID(m["id"])))
            ).scalar_one()
            await service.tombstone(s, [row])
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == 0
        r = await env.client.get(f"/v1/media/{m['id']}", headers=tenant_a.member.headers)
        assert_error(r, 404, "not_found")
        assert_error(
            await env.client.delete(f"/v1/media/{m['id']}", headers=tenant_a.member.headers),
            404,
            "not_found",
        )
        assert await env.app.state.storage.head(key_of(tenant_a, m["id"])) is not None
        await env.app.state.jobs.enqueue("media.sweep")
        await env.drain()
        assert await env.app.state.storage.head(key_of(tenant_a, m["id"])) is None
        assert await env.app.state.storage.head(key_of(tenant_a, m["id"]) + ".thumb.webp") is None
        async with env.app.state.jobs.ctx.session() as s:
            assert await s.get(Media, uuid.UUID(m["id"])) is None


class TestDelete:
    async def test_delete_returns_bytes_and_removes_objects(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        data = png(400, 300)
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        await env.drain()  # thumbnail exists too
        thumb = key_of(tenant_a, m["id"]) + ".thumb.webp"
        assert await env.app.state.storage.head(thumb) is not None
        url = f"/v1/media/{m['id']}"
        assert_error(await env.client.delete(url), 401, "unauthorized")
        assert_error(
            await env.client.delete(url, headers=tenant_a.viewer.headers), 403, "insufficient_role"
        )
        r = await env.client.delete(url, headers=tenant_a.member.headers)
        assert r.status_code == 204
        assert_error(await env.client.get(url, headers=tenant_a.member.headers), 404, "not_found")
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == 0 and st["by_kind"]["screenshot"] == 0
        assert await env.app.state.storage.head(key_of(tenant_a, m["id"])) is None
        assert await env.app.state.storage.head(thumb) is None

    async def test_deleting_a_pending_upload_releases_reservation(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        r = (
            await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=999)
        ).json()
        d = await env.client.delete(f"/v1/media/{r['media_id']}", headers=tenant_a.member.headers)
        assert d.status_code == 204
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == 0

    async def test_deleting_a_project_returns_its_bytes(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        p = await env.client.post(
            "/v1/projects",
            json={"workspace_id": tenant_a.workspace_id, "name": "Gone", "key": "GONE"},
            headers=tenant_a.admin.headers,
        )
        assert p.status_code == 201, p.text
        data = png()
        m = await upload_ready(env, tenant_a.member.headers, p.json()["id"], data)
        keep = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data + b"")
        assert (await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id))[
            "used_bytes"
        ] == 2 * len(data)
        d = await env.client.delete(
            f"/v1/projects/{p.json()['id']}", headers=tenant_a.admin.headers
        )
        assert d.status_code == 204
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == len(data)
        assert await env.app.state.storage.head(key_of(tenant_a, m["id"])) is None
        assert await env.app.state.storage.head(key_of(tenant_a, keep["id"])) is not None

    async def test_deleting_a_workspace_removes_its_objects(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        """Every object under the workspace's prefix goes once the deletion commits: ready media,
        thumbnails, and bytes PUT for an upload never completed. Other workspaces' stay."""
        data = png(400, 300)
        ready = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        await env.drain()  # its thumbnail
        r = (
            await request_upload(env, tenant_a.member.headers, tenant_a.project_id, size=len(data))
        ).json()
        assert (await env.put(r["upload"], data)).status_code == 200  # never completed
        kept = await upload_ready(env, tenant_b.member.headers, tenant_b.project_id, data)
        gone = [key_of(tenant_a, ready["id"]), key_of(tenant_a, ready["id"]) + ".thumb.webp"]
        gone.append(key_of(tenant_a, r["media_id"]))
        storage = env.app.state.storage
        assert all([await storage.head(k) is not None for k in gone])
        d = await env.client.delete(
            f"/v1/workspaces/{tenant_a.workspace_id}", headers=tenant_a.owner.headers
        )
        assert d.status_code == 204, d.text
        await env.drain()
        assert [await storage.head(k) for k in gone] == [None, None, None]
        assert await storage.head(key_of(tenant_b, kept["id"])) is not None


class TestThumbnailsAndUsage:
    async def test_video_poster_needs_ffmpeg(self, env: MediaEnv, tenant_a: Tenant) -> None:
        data = b"\x1aE\xdf\xa3" + b"\x00" * 200  # a (not really playable) WebM header
        m = await upload_ready(
            env, tenant_a.member.headers, tenant_a.project_id, data,
            kind="video", content_type="video/webm", filename="rec.webm",
        )  # fmt: skip
        assert m["thumbnail_state"] == "pending"
        await env.drain()
        g = (await env.client.get(f"/v1/media/{m['id']}", headers=tenant_a.member.headers)).json()
        if shutil.which("ffmpeg") is None:
            assert g["thumbnail_state"] == "skipped" and "ffmpeg" in g["thumbnail_note"]
        else:  # ffmpeg present: this header-only file has no frame
            assert g["thumbnail_state"] == "failed"
        assert g["status"] == "ready" and g["thumbnail_url"] is None

    async def test_fake_image_gets_failed_thumbnail_not_a_crash(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        data = b"<html><script>alert(1)</script></html>"
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, data)
        await env.drain()
        g = (await env.client.get(f"/v1/media/{m['id']}", headers=tenant_a.member.headers)).json()
        assert g["status"] == "ready" and g["thumbnail_state"] == "failed"
        assert "not a readable image" in g["thumbnail_note"]

    async def test_har_has_no_thumbnail_and_counts_by_kind(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        har = b'{"log": {"version": "1.2", "entries": []}}'
        shot = png()
        await upload_ready(
            env, tenant_a.member.headers, tenant_a.project_id, har,
            kind="har", content_type="application/json", filename="net.har",
        )  # fmt: skip
        m = await upload_ready(env, tenant_a.member.headers, tenant_a.project_id, shot)
        assert m["thumbnail_state"] == "pending"
        st = await storage_of(env, tenant_a.viewer.headers, tenant_a.workspace_id)
        assert st["by_kind"] == {
            "screenshot": len(shot),
            "video": 0,
            "attachment": 0,
            "har": len(har),
        }
        assert st["used_bytes"] == len(shot) + len(har)


class _CountingASGI:
    """Counts every request body byte the API application receives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bytes = 0
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])

        async def _receive() -> Any:
            msg = await receive()
            if msg["type"] == "http.request":
                self.bytes += len(msg.get("body", b""))
            return msg

        await self.app(scope, _receive, send)


async def test_s3_mode_api_never_receives_file_bytes(env: MediaEnv, tenant_a: Tenant) -> None:
    if env.mode != "s3":
        pytest.skip("the embedded local backend receives bytes on /storage by design")
    counting = _CountingASGI(env.app)
    data = png(900, 900, "blue") + b"\x00" * 300_000  # ~300 kB (trailing bytes after IEND)
    h = tenant_a.member.headers
    async with client_for(counting) as api, httpx.AsyncClient() as net:  # type: ignore[arg-type]
        r = await api.post(
            "/v1/media/upload-url",
            json={"filename": "big.png", "content_type": "image/png", "size_bytes": len(data),
                  "kind": "screenshot", "project_id": tenant_a.project_id},
            headers=h,
        )  # fmt: skip
        up = r.json()["upload"]
        assert up["url"].startswith(env.s3.endpoint_url)  # type: ignore[union-attr]
        assert (await net.put(up["url"], content=data, headers=up["headers"])).status_code == 200
        c = await api.post("/v1/media/complete", json={"media_id": r.json()["media_id"]}, headers=h)
        assert c.status_code == 200 and c.json()["size_bytes"] == len(data)
    assert counting.bytes < 1000, counting.bytes  # two small JSON bodies, never the file
    assert not any(p.startswith("/storage") for p in counting.paths)
    obj = env.s3.client().head_object(
        Bucket=env.s3.bucket, Key=key_of(tenant_a, r.json()["media_id"])
    )  # type: ignore[union-attr]
    assert obj["ContentLength"] == len(data) and obj["ContentType"] == "image/png"
