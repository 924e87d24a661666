"""The browser extension's /v1/plugin/media endpoints (signed-in user)."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.media.conftest import MediaEnv, png, storage_of


def body(t: Tenant, size: int, **kw: object) -> dict[str, object]:
    return {
        "filename": "rec.webm",
        "content_type": "video/webm",
        "size_bytes": size,
        "kind": "video",
        "project_id": t.project_id,
        **kw,
    }


class TestPluginUploadFlow:
    async def test_access_rules(self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant) -> None:
        url = "/v1/plugin/media/upload-url"
        assert_error(await env.client.post(url, json=body(tenant_a, 10)), 401, "unauthorized")
        r = await env.client.post(url, json=body(tenant_a, 10), headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await env.client.post(url, json=body(tenant_a, 10), headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")
        r = await env.client.post(
            url, json=body(tenant_a, 10, content_type="text/html"), headers=tenant_a.member.headers
        )
        assert_error(r, 422, "validation_error", "body.content_type")

    async def test_upload_complete_and_fail(self, env: MediaEnv, tenant_a: Tenant) -> None:
        h = tenant_a.member.headers
        data = png()
        r = await env.client.post(
            "/v1/plugin/media/upload-url",
            json=body(tenant_a, len(data), content_type="image/png", kind="screenshot"),
            headers=h,
        )
        assert r.status_code == 201, r.text
        shot = r.json()
        assert (await env.put(shot["upload"], data)).status_code == 200
        c = await env.client.post(
            "/v1/plugin/media/complete", json={"media_id": shot["media_id"]}, headers=h
        )
        assert c.status_code == 200, c.text
        assert c.json()["source"] == "extension" and c.json()["status"] == "ready"
        # A second attachment that the extension gives up on: only its reservation goes.
        r = await env.client.post(
            "/v1/plugin/media/upload-url", json=body(tenant_a, 5000), headers=h
        )
        video = r.json()
        f = await env.client.post(
            f"/v1/plugin/media/{video['media_id']}/fail",
            json={"reason": "recorder crashed"},
            headers=h,
        )
        assert f.status_code == 200 and f.json()["status"] == "failed"
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == len(data) and st["reserved_bytes"] == 0
        g = await env.client.get(f"/v1/media/{shot['media_id']}", headers=tenant_a.viewer.headers)
        assert g.json()["status"] == "ready"
        # wrong size through the plugin complete: 422 like /v1/media/complete (or refused PUT)
        r = await env.client.post(
            "/v1/plugin/media/upload-url",
            json=body(tenant_a, len(data) + 1, content_type="image/png", kind="screenshot"),
            headers=h,
        )
        up = r.json()
        put = await env.put(up["upload"], data, {"Content-Type": "image/png"})
        c = await env.client.post(
            "/v1/plugin/media/complete", json={"media_id": up["media_id"]}, headers=h
        )
        if env.mode == "local":
            assert put.status_code == 403
            assert_error(c, 409, "conflict")
        else:
            assert_error(c, 422, "validation_error", "size_bytes")
