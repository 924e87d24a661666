"""Comments (author rules, mentions) and the activity timeline."""

from __future__ import annotations

import httpx

from tests.bug.helpers import create
from tests.conftest import assert_error
from tests.fixtures.users import Tenant


class TestComments:
    async def test_create_list_with_mentions(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        url = f"/v1/bugs/{bug['id']}/comments"
        assert_error(await client.post(url, json={"body": "x"}), 401, "unauthorized")
        r = await client.post(url, json={"body": "x"}, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await client.post(url, json={"body": "x"}, headers=tenant_a.viewer.headers)
        assert_error(r, 403, "insufficient_role")
        r = await client.post(url, json={"body": ""}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.body")
        r = await client.post(url, json={"body": "x" * 10_001}, headers=tenant_a.member.headers)
        assert_error(r, 422, "validation_error", "body.body")
        text = (
            f"Ping @{tenant_a.admin.email.upper()} and @{tenant_a.viewer.id}; "
            f"not @{tenant_b.owner.email} (other workspace) nor @nobody@example.com"
        )
        r = await client.post(url, json={"body": text}, headers=tenant_a.member.headers)
        assert r.status_code == 201, r.text
        c = r.json()
        assert r.headers["location"] == f"{url}/{c['id']}"
        assert sorted(c["mentions"]) == sorted([tenant_a.admin.id, tenant_a.viewer.id])
        assert c["author_id"] == tenant_a.member.id and c["edited_at"] is None
        r = await client.get(url, headers=tenant_a.viewer.headers)
        assert [x["id"] for x in r.json()["data"]] == [c["id"]]
        r = await client.get(url, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        acts = (
            await client.get(f"/v1/bugs/{bug['id']}/activity", headers=tenant_a.viewer.headers)
        ).json()
        assert acts["data"][-1]["type"] == "commented"
        assert acts["data"][-1]["payload"] == {"comment_id": c["id"]}

    async def test_only_author_edits_admin_may_delete(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        base = f"/v1/bugs/{bug['id']}/comments"
        c = (
            await client.post(base, json={"body": "first"}, headers=tenant_a.member.headers)
        ).json()
        url = f"{base}/{c['id']}"
        r = await client.patch(url, json={"body": "hijack"}, headers=tenant_a.admin.headers)
        assert_error(r, 403, "forbidden")
        r = await client.patch(url, json={"body": "hijack"}, headers=tenant_b.owner.headers)
        assert_error(r, 404, "not_found")
        r = await client.patch(
            url,
            json={"body": "edited", "author_id": tenant_a.admin.id},
            headers=tenant_a.member.headers,
        )
        assert_error(r, 422, "validation_error", "body.author_id")
        r = await client.patch(
            url, json={"body": f"edited @{tenant_a.owner.email}"}, headers=tenant_a.member.headers
        )
        assert r.status_code == 200
        assert r.json()["edited_at"] is not None and r.json()["mentions"] == [tenant_a.owner.id]
        # Another member can't delete it; the comment is not on another bug's path either.
        other_bug = await create(client, tenant_a)
        r = await client.delete(
            f"/v1/bugs/{other_bug['id']}/comments/{c['id']}", headers=tenant_a.member.headers
        )
        assert_error(r, 404, "not_found")
        member2 = tenant_a.viewer  # a viewer can't write comments at all
        assert_error(await client.delete(url, headers=member2.headers), 403, "insufficient_role")
        r = await client.post(base, json={"body": "admin's"}, headers=tenant_a.admin.headers)
        admins = r.json()["id"]
        r = await client.delete(f"{base}/{admins}", headers=tenant_a.member.headers)
        # Deleting someone else's comment is moderation: a member's role is too low.
        assert_error(r, 403, "insufficient_role")
        assert (await client.delete(url, headers=tenant_a.admin.headers)).status_code == 204
        r = await client.get(base, headers=tenant_a.member.headers)
        assert [x["id"] for x in r.json()["data"]] == [admins]
        types = [
            a["type"]
            for a in (
                await client.get(f"/v1/bugs/{bug['id']}/activity", headers=tenant_a.member.headers)
            ).json()["data"]
        ]
        assert types == ["created", "commented", "comment_edited", "commented", "comment_deleted"]


class TestActivity:
    async def test_auth_scope_and_pagination(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        bug = await create(client, tenant_a)
        url = f"/v1/bugs/{bug['id']}/activity"
        assert_error(await client.get(url), 401, "unauthorized")
        assert_error(await client.get(url, headers=tenant_b.owner.headers), 404, "not_found")
        for status in ("in_progress", "resolved", "closed"):
            await client.patch(
                f"/v1/bugs/{bug['id']}", json={"status": status}, headers=tenant_a.member.headers
            )
        r = await client.get(url, params={"limit": 2}, headers=tenant_a.viewer.headers)
        page = r.json()
        assert [a["type"] for a in page["data"]] == ["created", "status_changed"]
        r = await client.get(
            url, params={"cursor": page["next_cursor"]}, headers=tenant_a.viewer.headers
        )
        assert [a["payload"]["to"] for a in r.json()["data"]] == ["resolved", "closed"]
        assert r.json()["next_cursor"] is None
