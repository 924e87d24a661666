"""Media attached to bugs: upload-url with bug_id, the "media_attached" activity, the bug's media
list, and a bug's deletion giving its bytes back (objects removed by the sweeper)."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.media.conftest import MediaEnv, png, storage_of


async def make_bug(env: MediaEnv, t: Tenant, title: str = "Checkout button dead") -> str:
    r = await env.client.post(
        "/v1/bugs", json={"project_id": t.project_id, "title": title}, headers=t.member.headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def upload_body(size: int, **kw: Any) -> dict[str, Any]:
    return {
        "filename": "shot.png",
        "content_type": "image/png",
        "size_bytes": size,
        "kind": "screenshot",
        **kw,
    }


async def attach(env: MediaEnv, t: Tenant, bug_id: str, data: bytes) -> dict[str, Any]:
    h = t.member.headers
    r = await env.client.post(
        "/v1/media/upload-url", json=upload_body(len(data), bug_id=bug_id), headers=h
    )
    assert r.status_code == 201, r.text
    assert (await env.put(r.json()["upload"], data)).status_code == 200
    c = await env.client.post(
        "/v1/media/complete", json={"media_id": r.json()["media_id"]}, headers=h
    )
    assert c.status_code == 200, c.text
    return c.json()  # type: ignore[no-any-return]


class TestAttachToBug:
    async def test_upload_url_for_a_bug(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug_id = await make_bug(env, tenant_a)
        url = "/v1/media/upload-url"
        r = await env.client.post(
            url, json=upload_body(10, bug_id=bug_id), headers=tenant_b.owner.headers
        )
        assert_error(r, 404, "not_found")
        r = await env.client.post(
            url, json=upload_body(10, bug_id=bug_id), headers=tenant_a.viewer.headers
        )
        assert_error(r, 403, "insufficient_role")
        both = upload_body(10, bug_id=bug_id, project_id=tenant_a.project_id)
        assert_error(
            await env.client.post(url, json=both, headers=tenant_a.member.headers),
            422,
            "validation_error",
            "body.project_id",
        )
        assert_error(
            await env.client.post(url, json=upload_body(10), headers=tenant_a.member.headers),
            422,
            "validation_error",
            "body.project_id",
        )
        m = await attach(env, tenant_a, bug_id, png())
        assert m["bug_id"] == bug_id and m["project_id"] == tenant_a.project_id

    async def test_completion_writes_activity(self, env: MediaEnv, tenant_a: Tenant) -> None:
        bug_id = await make_bug(env, tenant_a)
        data = png()
        m = await attach(env, tenant_a, bug_id, data)
        r = await env.client.get(f"/v1/bugs/{bug_id}/activity", headers=tenant_a.viewer.headers)
        entries = [e for e in r.json()["data"] if e["type"] == "media_attached"]
        assert len(entries) == 1, r.json()
        assert entries[0]["payload"]["media_id"] == m["id"]
        assert entries[0]["payload"]["size_bytes"] == len(data)
        assert entries[0]["actor"]["user_id"] == tenant_a.member.id
        # Completing again adds nothing.
        await env.client.post(
            "/v1/media/complete", json={"media_id": m["id"]}, headers=tenant_a.member.headers
        )
        r = await env.client.get(f"/v1/bugs/{bug_id}/activity", headers=tenant_a.viewer.headers)
        assert len([e for e in r.json()["data"] if e["type"] == "media_attached"]) == 1


class TestBugMediaList:
    async def test_lists_a_bugs_media_with_pages(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug_id = await make_bug(env, tenant_a)
        other = await make_bug(env, tenant_a, "another")
        first = await attach(env, tenant_a, bug_id, png(10, 10))
        second = await attach(env, tenant_a, bug_id, png(20, 20))
        await attach(env, tenant_a, other, png(30, 30))
        url = f"/v1/bugs/{bug_id}/media"
        assert_error(await env.client.get(url), 401, "unauthorized")
        assert_error(await env.client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        r = await env.client.get(url, params={"limit": 1}, headers=tenant_a.viewer.headers)
        assert r.status_code == 200, r.text
        page1 = r.json()
        assert [m["id"] for m in page1["data"]] == [first["id"]]
        assert page1["data"][0]["download_url"]
        r = await env.client.get(
            url,
            params={"limit": 1, "cursor": page1["next_cursor"]},
            headers=tenant_a.viewer.headers,
        )
        assert [m["id"] for m in r.json()["data"]] == [second["id"]]
        assert r.json()["next_cursor"] is None
        assert_error(
            await env.client.get(url, params={"limit": 0}, headers=tenant_a.viewer.headers),
            422,
            "validation_error",
            "query.limit",
        )


class TestBugDeletion:
    async def test_deleting_a_bug_returns_its_bytes_and_removes_objects(
        self, env: MediaEnv, tenant_a: Tenant
    ) -> None:
        bug_id = await make_bug(env, tenant_a)
        keep_bug = await make_bug(env, tenant_a, "stays")
        data = png(200, 100)
        gone = await attach(env, tenant_a, bug_id, data)
        kept = await attach(env, tenant_a, keep_bug, data)
        pending = await env.client.post(
            "/v1/media/upload-url",
            json=upload_body(777, bug_id=bug_id),
            headers=tenant_a.member.headers,
        )
        await env.drain()
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == 2 * len(data) and st["reserved_bytes"] == 777
        r = await env.client.delete(f"/v1/bugs/{bug_id}", headers=tenant_a.admin.headers)
        assert r.status_code == 204, r.text
        st = await storage_of(env, tenant_a.owner.headers, tenant_a.workspace_id)
        assert st["used_bytes"] == len(data) and st["reserved_bytes"] == 0
        for mid in (gone["id"], pending.json()["media_id"]):
            assert_error(
                await env.client.get(f"/v1/media/{mid}", headers=tenant_a.member.headers),
                404,
                "not_found",
            )
        key = f"ws/{tenant_a.workspace_id}/media/{gone['id']}"
        await env.app.state.jobs.enqueue("media.sweep")
        await env.drain()
        assert await env.app.state.storage.head(key) is None
        assert await env.app.state.storage.head(key + ".thumb.webp") is None
        assert (
            await env.app.state.storage.head(f"ws/{tenant_a.workspace_id}/media/{kept['id']}")
            is not None
        )
        g = await env.client.get(f"/v1/media/{kept['id']}", headers=tenant_a.member.headers)
        assert g.json()["status"] == "ready"


class TestBiggestBugs:
    async def test_storage_lists_the_heaviest_bugs_of_the_workspace_only(
        self, env: MediaEnv, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        small = await make_bug(env, tenant_a, "Small one")
        big = await make_bug(env, tenant_a, "Big one")
        theirs = await make_bug(env, tenant_b, "Their huge one")
        await attach(env, tenant_a, small, png(40, 30))
        await attach(env, tenant_a, big, png(400, 300, "blue"))
        await attach(env, tenant_a, big, png(300, 200, "green"))
        await attach(env, tenant_b, theirs, png(800, 600))
        st = await storage_of(env, tenant_a.viewer.headers, tenant_a.workspace_id)
        top = st["biggest_bugs"]
        assert [b["bug_id"] for b in top[:2]] == [big, small]
        assert top[0]["title"] == "Big one" and re.fullmatch(r"[A-Z][A-Z0-9]+-\d+", top[0]["key"])
        assert top[0]["bytes"] > top[1]["bytes"] > 0
        assert theirs not in {b["bug_id"] for b in top}
        # Bytes add up to what the kinds say (every file here belongs to a bug).
        mine = {b["bug_id"]: b["bytes"] for b in top}
        assert mine[big] + mine[small] <= st["by_kind"]["screenshot"]
