"""Tracker status flowing back: GitHub, Linear and Jira webhooks, in their real wire formats and
signatures, close and reopen the bugs BugPort pushed; anything unsigned or unknown is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from bugport.models import Activity, Event, TrackerPush
from bugport.models.base import utcnow
from tests.conftest import assert_error
from tests.fixtures.connectors import app_of, seed_connector
from tests.fixtures.users import Tenant


async def pushed_bug(
    c: httpx.AsyncClient, t: Tenant, provider: str, external_id: str, key: str
) -> tuple[str, str]:
    """(connector id, bug id): a bug of t pushed to `provider` as issue `external_id`."""
    cid = await seed_connector(c, t.workspace_id, provider)
    r = await c.post(
        "/v1/bugs",
        json={"project_id": t.project_id, "title": "Pay fails"},
        headers=t.member.headers,
    )
    assert r.status_code == 201, r.text
    bug = r.json()["id"]
    async with app_of(c).state.sessionmaker() as s, s.begin():
        s.add(
            TrackerPush(
                workspace_id=uuid.UUID(t.workspace_id),
                project_id=uuid.UUID(t.project_id),
                bug_id=uuid.UUID(bug),
                connector_id=uuid.UUID(cid),
                provider=provider,
                target="acme/web",
                status="succeeded",
                external_id=external_id,
                external_key=key,
                completed_at=utcnow(),
            )
        )
    return cid, bug


async def secret_for(c: httpx.AsyncClient, t: Tenant, cid: str) -> dict[str, Any]:
    r = await c.post(f"/v1/connectors/{cid}/webhook-secret", headers=t.admin.headers)
    assert r.status_code == 200, r.text
    return r.json()


def hub(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(
    c: httpx.AsyncClient, cid: str, payload: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await c.post(
        f"/v1/trackers/{cid}/webhook",
        content=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


def github(
    secret: str, action: str, issue_id: int, reason: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    payload = {
        "action": action,
        "issue": {"id": issue_id, "number": 7, "state": "closed", "state_reason": reason},
        "repository": {"full_name": "acme/web"},
    }
    body = json.dumps(payload).encode()
    return payload, {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": hub(secret, body),
    }


async def status_of(c: httpx.AsyncClient, t: Tenant, bug: str) -> str:
    r = await c.get(f"/v1/bugs/{bug}", headers=t.member.headers)
    return str(r.json()["status"])


class TestGitHub:
    async def test_closed_resolves_and_reopened_reopens(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "github", "1001", "acme/web#7")
        hook = await secret_for(client, tenant_a, cid)
        assert hook["url"].endswith(f"/v1/trackers/{cid}/webhook")
        assert hook["signature_header"] == "X-Hub-Signature-256"
        payload, headers = github(hook["secret"], "closed", 1001)
        r = await send(client, cid, payload, headers)
        assert r.status_code == 200, r.text
        assert "resolved" in r.json()["result"]
        assert await status_of(client, tenant_a, bug) == "resolved"
        # A replay (same delivery) changes nothing and adds no second entry.
        r = await send(client, cid, payload, headers)
        assert r.json()["result"] == "unchanged"
        payload, headers = github(hook["secret"], "reopened", 1001)
        r = await send(client, cid, payload, headers)
        assert await status_of(client, tenant_a, bug) == "open"
        r = await client.get(f"/v1/bugs/{bug}/activity", headers=tenant_a.member.headers)
        entries = [e for e in r.json()["data"] if e["type"] == "status_changed"]
        assert sorted(e["payload"]["to"] for e in entries) == ["open", "resolved"]
        async with app_of(client).state.sessionmaker() as s:
            rows = (
                await s.execute(select(Activity).where(Activity.bug_id == uuid.UUID(bug)))
            ).scalars()
            tracker = [a for a in rows if a.type == "status_changed"]
            assert len(tracker) == 2
            assert all(a.actor_kind == "system" for a in tracker)
            assert tracker[0].actor_label == "GitHub acme/web#7 (closed)"
            events = (
                await s.execute(
                    select(Event.type)
                    .where(Event.bug_id == uuid.UUID(bug))
                    .order_by(Event.created_at)
                )
            ).scalars()
            assert list(events) == ["bug.created", "bug.status_changed", "bug.status_changed"]

    async def test_not_planned_is_wont_fix_and_other_issues_are_ignored(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "github", "2002", "acme/web#8")
        secret = (await secret_for(client, tenant_a, cid))["secret"]
        r = await send(client, cid, *github(secret, "closed", 9999))
        assert r.json()["result"].startswith("ignored")
        r = await send(client, cid, *github(secret, "closed", 2002, "not_planned"))
        assert await status_of(client, tenant_a, bug) == "wont_fix"

    async def test_unsigned_wrong_and_unknown_are_refused(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "github", "3003", "acme/web#9")
        payload, headers = github("not-the-secret", "closed", 3003)
        r = await send(client, cid, payload, headers)  # no secret issued yet
        assert_error(r, 401, "unauthorized")
        await secret_for(client, tenant_a, cid)
        assert_error(await send(client, cid, payload, headers), 401, "unauthorized")
        unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
        assert_error(await send(client, cid, payload, unsigned), 401, "unauthorized")
        assert_error(await send(client, str(uuid.uuid4()), payload, headers), 401, "unauthorized")
        assert await status_of(client, tenant_a, bug) == "open"

    async def test_only_admins_issue_the_secret(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid = await seed_connector(client, tenant_a.workspace_id, "github")
        r = await client.post(
            f"/v1/connectors/{cid}/webhook-secret", headers=tenant_a.member.headers
        )
        assert_error(r, 403, "insufficient_role")
        first = await secret_for(client, tenant_a, cid)
        second = await secret_for(client, tenant_a, cid)
        assert first["secret"] != second["secret"]  # a new call replaces it


class TestLinear:
    def delivery(
        self, secret: str, state: str, issue_id: str, ts: float | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        payload = {
            "action": "update",
            "type": "Issue",
            "data": {
                "id": issue_id,
                "identifier": "ENG-5",
                "state": {"type": state, "name": state.title()},
            },
            "updatedFrom": {"stateId": "s-old"},
            "webhookTimestamp": int((ts or time.time()) * 1000),
        }
        body = json.dumps(payload).encode()
        sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return payload, {"Linear-Signature": sig, "Linear-Delivery": str(uuid.uuid4())}

    async def test_completed_and_started(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "linear", "lin-uuid-1", "ENG-5")
        secret = (await secret_for(client, tenant_a, cid))["secret"]
        r = await send(client, cid, *self.delivery(secret, "completed", "lin-uuid-1"))
        assert r.status_code == 200, r.text
        assert await status_of(client, tenant_a, bug) == "resolved"
        await send(client, cid, *self.delivery(secret, "started", "lin-uuid-1"))
        assert await status_of(client, tenant_a, bug) == "open"
        await send(client, cid, *self.delivery(secret, "canceled", "lin-uuid-1"))
        assert await status_of(client, tenant_a, bug) == "wont_fix"

    async def test_stale_timestamp_is_refused(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "linear", "lin-uuid-2", "ENG-6")
        secret = (await secret_for(client, tenant_a, cid))["secret"]
        r = await send(
            client, cid, *self.delivery(secret, "completed", "lin-uuid-2", time.time() - 600)
        )
        assert_error(r, 401, "unauthorized")
        assert await status_of(client, tenant_a, bug) == "open"


class TestJira:
    async def test_done_and_back_in_progress(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        cid, bug = await pushed_bug(client, tenant_a, "jira", "10042", "WEB-12")
        hook = await secret_for(client, tenant_a, cid)
        assert hook["signature_header"] == "X-Hub-Signature"

        def delivery(category: str, name: str) -> tuple[dict[str, Any], dict[str, str]]:
            payload = {
                "webhookEvent": "jira:issue_updated",
                "issue": {
                    "id": "10042",
                    "key": "WEB-12",
                    "fields": {"status": {"name": name, "statusCategory": {"key": category}}},
                },
                "changelog": {"items": [{"field": "status", "fromString": "x", "toString": name}]},
            }
            body = json.dumps(payload).encode()
            return payload, {"X-Hub-Signature": hub(hook["secret"], body)}

        r = await send(client, cid, *delivery("done", "Done"))
        assert r.status_code == 200, r.text
        assert await status_of(client, tenant_a, bug) == "resolved"
        await send(client, cid, *delivery("indeterminate", "In Progress"))
        assert await status_of(client, tenant_a, bug) == "open"
