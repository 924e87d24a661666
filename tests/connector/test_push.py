"""Pushing a bug as an issue: real wire formats per provider, retries without duplicates,
permanent failures, and the body builders. The push functions are called directly (the bug
routes wire them in once the bugs feature is on main)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.connector import push as push_mod
from bugport.connector.endpoints import provider_http
from bugport.connector.issue import BugSnapshot, adf_body, draft_for, markdown_body
from bugport.models import Connector, TrackerPush
from bugport.models.base import utcnow
from tests.bug.helpers import create as create_bug
from tests.connector.conftest import Stubs, connect
from tests.connector.test_targets import BODIES
from tests.fixtures.users import Tenant


def snapshot(bug_id: uuid.UUID) -> BugSnapshot:
    return BugSnapshot(
        id=bug_id,
        key="WEB-42",
        title="Checkout button does nothing",
        description="Clicking *Pay* does nothing. cc @octocat",
        severity="high",
        page_url="https://shop.example.com/checkout?step=2",
        environment={"Browser": "Chrome 131", "OS": "macOS 15", "Viewport": "1440×900"},
        repro_steps=["Open /checkout", "Click Pay"],
        console_errors=["TypeError: x is undefined\n    at pay (app.js:10:5) ```"],
        failing_requests=[("POST", "https://api.shop.example.com/pay", 500)],
        media=[("screenshot.png", "https://media.bugport.dev/s/abc.png")],
        share_url="https://bugport.dev/share/xyz",
        bug_url="https://app.bugport.dev/bugs/123",
    )


class World:
    def __init__(self, app: FastAPI, tenant: Tenant, connector: dict[str, Any]) -> None:
        self.app = app
        self.tenant = tenant
        self.connector = connector
        self.pushed: list[uuid.UUID] = []
        self.sleeps: list[float] = []

    @property
    def maker(self) -> Any:
        return self.app.state.sessionmaker

    async def new_bug(self, c: httpx.AsyncClient) -> uuid.UUID:
        return uuid.UUID((await create_bug(c, self.tenant))["id"])

    async def request(self, bug_id: uuid.UUID) -> tuple[TrackerPush, bool]:
        async with self.maker() as s:
            out = await push_mod.request_push(
                s,
                workspace_id=uuid.UUID(self.tenant.workspace_id),
                project_id=uuid.UUID(self.tenant.project_id),
                bug_id=bug_id,
                requested_by_id=uuid.UUID(self.tenant.admin.id),
            )
            await s.commit()
        assert out is not None
        return out

    async def load_bug(self, s: AsyncSession, push: TrackerPush) -> BugSnapshot:
        return snapshot(push.bug_id)

    async def on_pushed(self, s: AsyncSession, push: TrackerPush) -> None:
        assert push.status == "succeeded" and push.external_key
        self.pushed.append(push.id)

    async def fake_sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def run(self, push_id: uuid.UUID) -> push_mod.PushResult:
        return await push_mod.push_with_retries(
            self.maker,
            self.app.state.settings,
            _http(self.app),
            push_id,
            self.load_bug,
            self.on_pushed,
            sleep=self.fake_sleep,
        )

    async def row(self, push_id: uuid.UUID) -> TrackerPush:
        async with self.maker() as s:
            row = await s.get(TrackerPush, push_id)
            assert row is not None
            return row


def _http(app: FastAPI) -> Any:
    class _Req:
        def __init__(self, app: FastAPI) -> None:
            self.app = app

    return provider_http(_Req(app))  # type: ignore[arg-type]


async def world(
    cc: httpx.AsyncClient, app: FastAPI, ta: Tenant, stubs: Stubs, provider: str
) -> World:
    conn = await connect(cc, stubs, ta, provider)
    r = await cc.put(
        f"/v1/projects/{ta.project_id}/tracker-target",
        json={"connector_id": conn["id"], **BODIES[provider]},
        headers=ta.admin.headers,
    )
    assert r.status_code == 200, r.text
    return World(app, ta, conn)


class TestWireFormat:
    async def test_github(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        push, created = await w.request(await w.new_bug(cc))
        assert created and push.status == "pending" and push.target == "acme/web-app"
        n = len(stubs.github.issues)
        result = await w.run(push.id)
        assert result.status == "succeeded"
        assert len(stubs.github.issues) == n + 1
        method, path, headers, body = stubs.github.requests[-1]
        assert (method, path) == ("POST", "/repos/acme/web-app/issues")
        assert headers["authorization"].startswith("Bearer ")
        sent = json.loads(body)
        assert sent["title"] == "[WEB-42] Checkout button does nothing"
        assert sent["labels"] == ["bug", "severity: high"]
        md = sent["body"]
        assert "### Steps to reproduce\n1. Open /checkout\n2. Click Pay" in md
        assert "### Console errors\n````text\nTypeError" in md  # fence longer than the ``` inside
        assert "@\u200boctocat" in md and "\\*Pay\\*" in md  # mention defused, markup escaped
        assert "| POST | https://api.shop.example.com/pay | 500 |" in md
        assert "[screenshot.png](<https://media.bugport.dev/s/abc.png>)" in md
        assert "[Public share link](<https://bugport.dev/share/xyz>)" in md
        assert f"<!-- bugport:push:{push.id.hex} -->" in md
        row = await w.row(push.id)
        number = stubs.github.issues[-1]["number"]
        assert row.status == "succeeded" and row.attempts == 1
        assert row.external_key == f"acme/web-app#{number}"
        assert row.external_url == f"https://github.com/acme/web-app/issues/{number}"
        assert w.pushed == [push.id]

    async def test_linear(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "linear")
        push, _ = await w.request(await w.new_bug(cc))
        result = await w.run(push.id)
        assert result.status == "succeeded", result.error
        sent = json.loads(stubs.linear.requests[-1][3])
        assert "issueCreate" in sent["query"]
        inp = sent["variables"]["input"]
        assert inp["id"] == str(push.id)  # our id: Linear itself refuses a duplicate
        assert inp["teamId"] == BODIES["linear"]["team_id"]
        assert inp["priority"] == 2 and sorted(inp["labelIds"]) == ["lbl-bug", "lbl-high"]
        assert inp["description"].startswith("Clicking \\*Pay\\*")
        assert "<!--" not in inp["description"]
        row = await w.row(push.id)
        assert row.external_key == stubs.linear.issues[-1]["identifier"]
        assert row.external_url and row.external_url.startswith("https://linear.app/acme/issue/")

    async def test_jira(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "jira")
        push, _ = await w.request(await w.new_bug(cc))
        assert push.target == "WEB:Bug"
        result = await w.run(push.id)
        assert result.status == "succeeded", result.error
        method, path, _, body = stubs.jira.requests[-1]
        assert (method, path) == ("POST", f"/ex/jira/{stubs.jira.CLOUD_ID}/rest/api/3/issue")
        fields = json.loads(body)["fields"]
        assert fields["project"] == {"key": "WEB"} and fields["issuetype"] == {"name": "Bug"}
        assert fields["summary"] == "[WEB-42] Checkout button does nothing"
        assert fields["labels"] == ["bugport", "severity-high", f"bugport-{push.id.hex}"]
        doc = fields["description"]
        assert doc["type"] == "doc" and doc["version"] == 1
        types = [n["type"] for n in doc["content"]]
        assert "codeBlock" in types and "orderedList" in types
        row = await w.row(push.id)
        key = stubs.jira.issues[-1]["key"]
        assert row.external_key == key
        assert row.external_url == f"https://acme.atlassian.net/browse/{key}"


class TestIdempotency:
    @pytest.mark.parametrize("provider", ["github", "linear", "jira"])
    async def test_lost_reply_is_retried_without_a_duplicate(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs, provider: str
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, provider)
        stub = stubs[provider]
        push, _ = await w.request(await w.new_bug(cc))
        n = len(stub.issues)
        stub.lose_reply.append(502)  # the issue is created, but our attempt sees a 502
        result = await w.run(push.id)
        assert result.status == "succeeded", result.error
        assert len(stub.issues) == n + 1  # exactly one issue
        row = await w.row(push.id)
        assert row.attempts == 2 and len(w.sleeps) == 1
        created = stub.issues[-1]
        assert row.external_key in (
            created.get("identifier"),
            created.get("key"),
            f"acme/web-app#{created.get('number')}",
        )

    async def test_failure_before_creation_then_created_once(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "jira")
        push, _ = await w.request(await w.new_bug(cc))
        n = len(stubs.jira.issues)
        stubs.jira.fail["issue"] = [(503, {"errorMessages": ["busy"]}), (429, {})]
        result = await w.run(push.id)
        assert result.status == "succeeded"
        assert len(stubs.jira.issues) == n + 1
        assert (await w.row(push.id)).attempts == 3 and len(w.sleeps) == 2

    async def test_pushing_again_reuses_the_push(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        bug = await w.new_bug(cc)
        push, _ = await w.request(bug)
        await w.run(push.id)
        n = len(stubs.github.issues)
        again, created = await w.request(bug)
        assert again.id == push.id and not created
        assert (await w.run(push.id)).status == "succeeded"
        assert len(stubs.github.issues) == n

    async def test_stuck_push_is_requeued_by_asking_again(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        bug = await w.new_bug(cc)
        push, _ = await w.request(bug)
        again, queued = await w.request(bug)
        assert again.id == push.id and not queued  # still fresh: left to its runner
        async with w.maker() as s:
            await s.execute(
                update(TrackerPush)
                .where(TrackerPush.id == push.id)
                .values(updated_at=utcnow() - push_mod.RUNNING_LEASE - timedelta(seconds=1))
            )
            await s.commit()
        again, queued = await w.request(bug)
        assert again.id == push.id and queued
        assert (await w.run(push.id)).status == "succeeded"

    async def test_concurrent_workers_do_not_double_create(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        push, _ = await w.request(await w.new_bug(cc))
        # Another worker claimed it a moment ago: this one stands back.
        async with w.maker() as s:
            await s.execute(
                update(TrackerPush)
                .where(TrackerPush.id == push.id)
                .values(status="running", updated_at=utcnow())
            )
            await s.commit()
        n = len(stubs.github.issues)
        assert (await w.run(push.id)).status == "skipped"
        assert len(stubs.github.issues) == n
        # ...but a claim older than the lease is taken over (its worker died).
        async with w.maker() as s:
            await s.execute(
                update(TrackerPush)
                .where(TrackerPush.id == push.id)
                .values(
                    updated_at=utcnow() - push_mod.RUNNING_LEASE - timedelta(seconds=1), attempts=1
                )
            )
            await s.commit()
        assert (await w.run(push.id)).status == "succeeded"
        assert len(stubs.github.issues) == n + 1


class TestFailures:
    async def test_missing_repo_fails_permanently(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        push, _ = await w.request(await w.new_bug(cc))
        stubs.github.fail["issue"] = [(404, {"message": "Not Found"})]
        result = await w.run(push.id)
        assert result.status == "failed" and not result.retry and w.sleeps == []
        row = await w.row(push.id)
        assert row.last_error == (
            "GitHub found nothing at the target (404) while creating an issue in acme/web-app; "
            "check the mapping and that the account can see it."
        )
        # Asking again queues it again (and this time it works).
        again, created = await w.request(push.bug_id)
        assert again.id == push.id and created and again.status == "pending"
        assert (await w.run(push.id)).status == "succeeded"

    async def test_retries_are_bounded_with_backoff(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "linear")
        push, _ = await w.request(await w.new_bug(cc))
        stubs.linear.fail["issue"] = [(503, {"errors": []})] * push_mod.MAX_ATTEMPTS
        result = await w.run(push.id)
        assert result.status == "failed"
        row = await w.row(push.id)
        assert row.attempts == push_mod.MAX_ATTEMPTS
        assert len(w.sleeps) == push_mod.MAX_ATTEMPTS - 1
        assert all(0 <= s <= 2.0 * 2**i for i, s in enumerate(w.sleeps))

    async def test_revoked_token_marks_connection(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "jira")
        push, _ = await w.request(await w.new_bug(cc))
        stubs.jira.access.clear()
        result = await w.run(push.id)
        assert result.status == "failed" and "401" in (result.error or "")
        r = await cc.get(f"/v1/connectors/{w.connector['id']}", headers=ta.admin.headers)
        assert r.json()["status"] == "needs_reauth"

    async def test_expired_token_refreshed_before_push(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "linear")
        push, _ = await w.request(await w.new_bug(cc))
        async with w.maker() as s:
            await s.execute(
                update(Connector)
                .where(Connector.id == uuid.UUID(w.connector["id"]))
                .values(token_expires_at=utcnow() - timedelta(minutes=1))
            )
            await s.commit()
        stubs.linear.expire_all_access_tokens()
        assert (await w.run(push.id)).status == "succeeded"

    async def test_disconnected_connector_fails(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant, stubs: Stubs
    ) -> None:
        w = await world(cc, conn_app, ta, stubs, "github")
        push, _ = await w.request(await w.new_bug(cc))
        await cc.delete(f"/v1/connectors/{w.connector['id']}", headers=ta.admin.headers)
        result = await w.run(push.id)
        assert result.status == "failed" and result.error == "The connection was removed."

    async def test_no_target_means_no_push(
        self, cc: httpx.AsyncClient, conn_app: FastAPI, ta: Tenant
    ) -> None:
        bug = await create_bug(cc, ta)
        async with conn_app.state.sessionmaker() as s:
            out = await push_mod.request_push(
                s,
                workspace_id=uuid.UUID(ta.workspace_id),
                project_id=uuid.UUID(ta.project_id),
                bug_id=uuid.UUID(bug["id"]),
                requested_by_id=None,
            )
        assert out is None


class TestBodies:
    def test_untrusted_text_stays_data(self) -> None:
        bug = snapshot(uuid.uuid4())
        bug.description = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> @here"
        bug.media = [("evil", "javascript:alert(1)")]
        bug.share_url = "javascript:alert(2)"
        md = markdown_body(bug, None)
        # Every bracket and angle bracket of the reporter's text is escaped: no link, no HTML.
        assert re.search(r"(?<!\\)\]\(javascript", md) is None
        assert re.search(r"(?<!\\)<img", md) is None
        assert "\\[click\\]" in md and "\\<img" in md and "@\u200bhere" in md
        assert "Public share link" not in md

    def test_adf_has_no_empty_text_and_links_only_http(self) -> None:
        bug = snapshot(uuid.uuid4())
        bug.media = [("evil", "javascript:alert(1)"), ("ok", "https://x.example/a.png")]
        bug.environment = {"Empty": ""}
        doc = adf_body(bug)

        def walk(n: Any) -> Any:
            yield n
            for c in n.get("content", []):
                yield from walk(c)

        nodes = list(walk(doc))
        texts = [n for n in nodes if n["type"] == "text"]
        assert all(t["text"] for t in texts)
        hrefs = [
            m["attrs"]["href"] for t in texts for m in t.get("marks", []) if m["type"] == "link"
        ]
        assert "https://x.example/a.png" in hrefs and not any("javascript" in h for h in hrefs)
        assert all(p.get("content") for p in nodes if p["type"] == "paragraph")

    def test_huge_bug_is_truncated_within_limits(self) -> None:
        bug = snapshot(uuid.uuid4())
        bug.description = "x" * 200_000
        bug.console_errors = ["e" * 50_000] * 50
        d = draft_for(bug, "github", uuid.uuid4())
        assert len(d.markdown) <= 60_000 and d.markdown.endswith(f"<!-- {d.marker} -->")
        jira = json.dumps(adf_body(bug))
        assert len(jira) < 60_000

    def test_severity_mapping(self) -> None:
        bug = snapshot(uuid.uuid4())
        for sev, prio in (("critical", 1), ("high", 2), ("medium", 3), ("low", 4), (None, None)):
            bug.severity = sev
            assert draft_for(bug, "linear", uuid.uuid4()).priority == prio
        bug.severity = "critical"
        assert draft_for(bug, "github", uuid.uuid4()).labels == ["bug", "severity: critical"]
