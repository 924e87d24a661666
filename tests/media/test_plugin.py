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


def capture_body(t: Tenant, attachments: list[dict[str, object]]) -> dict[str, object]:
    return {
        "project_id": t.project_id,
        "title": "Pay button does nothing",
        "page_url": "https://shop.example/checkout",
        "logs": [{"level": "error", "message": "TypeError: x is undefined"}],
        "network": [{"method": "POST", "url": "https://api.shop.example/pay", "status": 500}],
        "attachments": attachments,
    }


def att(filename: str, ctype: str, size: int, kind: str) -> dict[str, object]:
    return {"filename": filename, "content_type": ctype, "size_bytes": size, "kind": kind}


class TestCapture:
    async def test_access_and_validation(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        url = "/v1/plugin/captures"
        b = capture_body(tenant_a, [])
        assert_error(await env.client.post(url, json=b), 401, "unauthorized")
        assert_error(
            await env.client.post(url, json=b, headers=tenant_b.owner.headers), 404, "not_found"
        )
        assert_error(
            await env.client.post(url, json=b, headers=tenant_a.viewer.headers),
            403,
            "insufficient_role",
        )
        bad = {**b, "title": ""}
        assert_error(
            await env.client.post(url, json=bad, headers=tenant_a.member.headers),
            422,
            "validation_error",
            "body.title",
        )
        many = {**b, "attachments": [att("a.png", "image/png", 1, "screenshot")] * 21}
        assert_error(
            await env.client.post(url, json=many, headers=tenant_a.member.headers),
            422,
            "validation_error",
            "body.attachments",
        )

    async def test_capture_with_screenshot_video_and_har(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        shot = png(500, 300)
        video = b"\x1aE\xdf\xa3" + b"\x00" * 500
        har = b'{"log": {"version": "1.2", "entries": []}}'
        files = [
            (att("shot.png", "image/png", len(shot), "screenshot"), shot),
            (att("rec.webm", "video/webm", len(video), "video"), video),
            (att("net.har", "application/json", len(har), "har"), har),
        ]
        r = await env.client.post(
            "/v1/plugin/captures", json=capture_body(tenant_a, [f for f, _ in files]), headers=h
        )
        assert r.status_code == 201, r.text
        cap = r.json()
        bug_id = cap["bug"]["id"]
        assert r.headers["location"] == f"/v1/bugs/{bug_id}"
        assert cap["bug"]["source"] == "extension"
        assert [a["index"] for a in cap["attachments"]] == [0, 1, 2]
        for slot, (_, data) in zip(cap["attachments"], files, strict=True):
            assert slot["error"] is None and slot["upload"]["method"] == "PUT"
            assert (await env.put(slot["upload"], data)).status_code == 200
            c = await env.client.post(
                "/v1/plugin/media/complete", json={"media_id": slot["media_id"]}, headers=h
            )
            assert c.status_code == 200 and c.json()["bug_id"] == bug_id
        listed = (await env.client.get(f"/v1/bugs/{bug_id}/media", headers=h)).json()["data"]
        assert sorted(m["kind"] for m in listed) == ["har", "screenshot", "video"]
        assert all(m["status"] == "ready" and m["source"] == "extension" for m in listed)
        logs = (await env.client.get(f"/v1/bugs/{bug_id}/logs", headers=h)).json()["data"]
        assert logs[0]["message"] == "TypeError: x is undefined"
        acts = (await env.client.get(f"/v1/bugs/{bug_id}/activity", headers=h)).json()["data"]
        assert sum(a["type"] == "media_attached" for a in acts) == 3

    async def test_failed_attachments_never_lose_the_bug(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        h = tenant_a.member.headers
        shot = png()
        atts = [
            att("page.html", "text/html", 100, "attachment"),  # type not allowed
            att("huge.webm", "video/webm", 6_000_000, "video"),  # over the 5 MB test quota
            att("shot.png", "image/png", len(shot), "screenshot"),
        ]
        r = await env.client.post(
            "/v1/plugin/captures", json=capture_body(tenant_a, atts), headers=h
        )
        assert r.status_code == 201, r.text
        cap = r.json()
        e0, e1, ok = cap["attachments"]
        assert e0["media_id"] is None and e0["error"]["code"] == "validation_error"
        assert e0["error"]["details"][0]["field"] == "body.attachments.0.content_type"
        assert e1["media_id"] is None and e1["error"]["code"] == "quota_exceeded"
        assert ok["error"] is None and ok["media_id"]
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == len(shot)
        # The upload itself fails later: the extension reports it, the bug stays.
        f = await env.client.post(
            f"/v1/plugin/media/{ok['media_id']}/fail", json={"reason": "tab closed"}, headers=h
        )
        assert f.status_code == 200 and f.json()["status"] == "failed"
        g = await env.client.get(f"/v1/bugs/{cap['bug']['id']}", headers=h)
        assert g.status_code == 200 and g.json()["title"] == "Pay button does nothing"
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["reserved_bytes"] == 0


class TestCaptureIdempotency:
    """The extension sends each capture with one Idempotency-Key and retries with it after a lost
    answer: the retry gets the same bug and upload slots back and creates nothing."""

    async def test_same_key_replays_the_capture(self, env: MediaEnv, tenant_a: Tenant) -> None:
        h = {**tenant_a.member.headers, "Idempotency-Key": "ext-capture-1"}
        shot = png()
        body = capture_body(tenant_a, [att("shot.png", "image/png", len(shot), "screenshot")])
        first = await env.client.post("/v1/plugin/captures", json=body, headers=h)
        assert first.status_code == 201, first.text
        again = await env.client.post("/v1/plugin/captures", json=body, headers=h)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["Location"] == f"/v1/bugs/{first.json()['bug']['id']}"
        listed = await env.client.get(
            "/v1/bugs", params={"q": "Pay button does nothing"}, headers=tenant_a.member.headers
        )
        ids = [b["id"] for b in listed.json()["data"] if b["title"] == body["title"]]
        assert ids == [first.json()["bug"]["id"]]
        # The replayed slot still uploads and completes (within its URL's lifetime).
        slot = again.json()["attachments"][0]
        assert (await env.put(slot["upload"], shot)).status_code == 200
        c = await env.client.post(
            "/v1/plugin/media/complete", json={"media_id": slot["media_id"]}, headers=h
        )
        assert c.status_code == 200 and c.json()["status"] == "ready", c.text

    async def test_same_key_other_body_is_refused(self, env: MediaEnv, tenant_a: Tenant) -> None:
        h = {**tenant_a.member.headers, "Idempotency-Key": "ext-capture-2"}
        body = capture_body(tenant_a, [])
        assert (
            await env.client.post("/v1/plugin/captures", json=body, headers=h)
        ).status_code == 201
        other = {**body, "title": "Something else"}
        r = await env.client.post("/v1/plugin/captures", json=other, headers=h)
        assert_error(r, 422, "idempotency_key_reused")
