"""Outbound webhooks end to end: changes made over the API reach a real HTTP receiver on
loopback, signed so that the `standardwebhooks` package (what a receiver uses) verifies them;
failures are retried on the documented schedule with time passed in, never slept through."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bugport.app import create_app
from bugport.models import Event, WebhookDelivery
from bugport.models.base import utcnow
from bugport.webhook import delivery
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.http_stub import StubServer
from tests.fixtures.users import Tenant, make_tenant


class Receiver:
    """A loopback receiver answering `status` (or sleeping `delay` seconds first)."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.stub = StubServer(self._handle)

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if self.delay:
            time.sleep(self.delay)
        return self.status, {"ok": self.status < 300}

    @property
    def url(self) -> str:
        return self.stub.url + "/hook"

    @property
    def received(self) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for _, _, h, b in self.stub.requests]

    def types(self) -> list[str]:
        """Event types received, in the order of the changes (deliveries run concurrently:
        receivers order by the envelope's timestamp)."""
        return [json.loads(b)["type"] for _, b in self.in_order()]

    def in_order(self) -> list[tuple[dict[str, str], bytes]]:
        return sorted(self.received, key=lambda hb: json.loads(hb[1]).get("timestamp", ""))

    def reset(self) -> None:
        self.stub.requests.clear()
        self.status, self.delay = 200, 0.0


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    with r.stub:
        yield r


@pytest_asyncio.fixture(scope="module")
async def hook_app(backend_url: tuple[str, str], tmp_root: Path) -> AsyncIterator[FastAPI]:
    _, url = backend_url
    application = create_app(
        make_settings(
            url,
            tmp_root / "data-webhooks",
            webhook_net_allowlist=["127.0.0.1"],
            webhook_timeout_seconds=0.5,
            webhook_disable_after_failed_deliveries=2,
        )
    )
    yield application
    await application.state.engine.dispose()


@pytest_asyncio.fixture
async def c(hook_app: FastAPI, receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    """Each test starts with nothing in flight: earlier tests' events (this database is shared
    with the rest of the suite) count as relayed and their retries as settled."""
    receiver.reset()
    async with hook_app.state.sessionmaker() as s, s.begin():
        await s.execute(update(Event).where(Event.relayed_at.is_(None)).values(relayed_at=utcnow()))
        await s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(status="failed", next_attempt_at=None)
        )
    async with client_for(hook_app) as client:
        yield client


@pytest_asyncio.fixture
async def t(c: httpx.AsyncClient, hook_app: FastAPI) -> Tenant:
    return await make_tenant(c, hook_app.state.settings)


async def sweep(app: FastAPI, now: datetime | None = None) -> None:
    await delivery.sweep(app.state.settings, app.state.sessionmaker, now or utcnow())


async def add_endpoint(c: httpx.AsyncClient, t: Tenant, url: str, **extra: Any) -> dict[str, Any]:
    r = await c.post(
        f"/v1/workspaces/{t.workspace_id}/webhooks",
        json={"url": url, "description": "ci", **extra},
        headers=t.admin.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def new_bug(c: httpx.AsyncClient, t: Tenant, project_id: str | None = None) -> str:
    r = await c.post(
        "/v1/bugs",
        json={"project_id": project_id or t.project_id, "title": "Checkout fails"},
        headers=t.member.headers,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def deliveries_of(app: FastAPI, endpoint_id: str) -> list[WebhookDelivery]:
    async with app.state.sessionmaker() as s:
        rows = await s.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == uuid.UUID(endpoint_id))
            .order_by(WebhookDelivery.created_at)
        )
        return list(rows.scalars())


def verify(secret: str, headers: dict[str, str], body: bytes) -> Any:
    return Webhook(secret).verify(body, headers)


class TestEndpoints:
    async def test_secret_is_shown_once_and_reads_omit_it(
        self, c: httpx.AsyncClient, t: Tenant, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        assert ep["secret"].startswith("whsec_") and ep["event_types"] == ["bug.created"]
        r = await c.get(f"/v1/webhooks/{ep['id']}", headers=t.admin.headers)
        assert r.status_code == 200 and "secret" not in r.json()
        listed = await c.get(f"/v1/workspaces/{t.workspace_id}/webhooks", headers=t.owner.headers)
        assert [e["id"] for e in listed.json()["data"]] == [ep["id"]]
        assert ep["secret"] not in listed.text

    async def test_members_and_viewers_are_refused(
        self, c: httpx.AsyncClient, t: Tenant, receiver: Receiver
    ) -> None:
        for user in (t.member, t.viewer):
            r = await c.post(
                f"/v1/workspaces/{t.workspace_id}/webhooks",
                json={"url": receiver.url},
                headers=user.headers,
            )
            assert_error(r, 403, "insufficient_role")

    async def test_private_and_unknown_event_types_are_422(
        self, c: httpx.AsyncClient, t: Tenant
    ) -> None:
        for url in ("http://10.0.0.7/hook", "https://169.254.169.254/latest", "ftp://x.example"):
            r = await c.post(
                f"/v1/workspaces/{t.workspace_id}/webhooks",
                json={"url": url},
                headers=t.admin.headers,
            )
            assert_error(r, 422, "validation_error", "body.url")
        r = await c.post(
            f"/v1/workspaces/{t.workspace_id}/webhooks",
            json={"url": "http://127.0.0.1:9/x", "event_types": ["bug.exploded"]},
            headers=t.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.event_types")
        r = await c.get(f"/v1/workspaces/{t.workspace_id}/webhooks", headers=t.admin.headers)
        assert r.json()["data"] == []  # nothing half-made

    async def test_another_workspaces_project_is_refused(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        other = await make_tenant(c, hook_app.state.settings)
        r = await c.post(
            f"/v1/workspaces/{t.workspace_id}/webhooks",
            json={"url": receiver.url, "project_id": other.project_id},
            headers=t.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.project_id")


class TestDelivery:
    async def test_changes_arrive_signed_in_order(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url)
        bug = await new_bug(c, t)
        r = await c.patch(
            f"/v1/bugs/{bug}", json={"status": "in_progress"}, headers=t.member.headers
        )
        assert r.status_code == 200, r.text
        r = await c.post(
            f"/v1/bugs/{bug}/comments", json={"body": "on it"}, headers=t.member.headers
        )
        assert r.status_code == 201, r.text
        await sweep(hook_app)
        assert receiver.types() == ["bug.created", "bug.status_changed", "comment.created"]
        ids = set()
        for headers, body in receiver.in_order():
            envelope = verify(ep["secret"], headers, body)
            assert envelope["data"]["bug"]["id"] == bug
            assert envelope["data"]["bug"]["key"].endswith("-1")
            assert headers["webhook-id"].startswith("msg_")
            ids.add(headers["webhook-id"])
        assert len(ids) == 3
        status = json.loads(receiver.in_order()[1][1])["data"]
        assert status["change"] == {"from": "open", "to": "in_progress"}
        assert status["actor"]["kind"] == "user"
        # A wrong secret fails verification: the signature is real.
        with pytest.raises(WebhookVerificationError):
            verify("whsec_" + "A" * 32, *receiver.received[0])
        # Nothing is sent twice.
        await sweep(hook_app)
        assert len(receiver.received) == 3

    async def test_filters_by_type_and_project(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        r = await c.post(
            "/v1/projects",
            json={"workspace_id": t.workspace_id, "name": "Other", "key": "OTH"},
            headers=t.admin.headers,
        )
        other = r.json()["id"]
        await add_endpoint(c, t, receiver.url, event_types=["comment.created"], project_id=other)
        mine = await new_bug(c, t)
        theirs = await new_bug(c, t, other)
        for bug in (mine, theirs):
            r = await c.post(
                f"/v1/bugs/{bug}/comments", json={"body": "x"}, headers=t.member.headers
            )
            assert r.status_code == 201
        await sweep(hook_app)
        assert receiver.types() == ["comment.created"]
        assert json.loads(receiver.received[0][1])["data"]["bug"]["id"] == theirs

    async def test_a_refused_change_makes_no_event(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI
    ) -> None:
        bug = await new_bug(c, t)

        async def events() -> int:
            async with hook_app.state.sessionmaker() as s:
                n = await s.scalar(
                    select(func.count()).select_from(Event).where(Event.bug_id == uuid.UUID(bug))
                )
                return int(n or 0)

        before = await events()
        r = await c.patch(
            f"/v1/bugs/{bug}",
            json={"status": "in_progress", "assignee_id": str(uuid.uuid4())},
            headers=t.member.headers,
        )
        assert r.status_code == 422, r.text
        r = await c.patch(f"/v1/bugs/{bug}", json={"status": "closed"}, headers=t.viewer.headers)
        assert r.status_code == 403
        assert await events() == before == 1  # bug.created only

    async def test_deleted_bug_event_carries_its_last_state(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.deleted"])
        bug = await new_bug(c, t)
        r = await c.delete(f"/v1/bugs/{bug}", headers=t.admin.headers)
        assert r.status_code == 204
        await sweep(hook_app)
        ((headers, body),) = receiver.received
        data = verify(ep["secret"], headers, body)["data"]
        assert data["bug"]["id"] == bug and data["bug"]["title"] == "Checkout fails"

    async def test_ping_and_delivery_log(
        self, c: httpx.AsyncClient, t: Tenant, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url)
        r = await c.post(f"/v1/webhooks/{ep['id']}/test", headers=t.admin.headers)
        assert r.status_code == 200, r.text
        attempt = r.json()
        assert attempt["succeeded"] and attempt["status_code"] == 200
        assert attempt["event_type"] == "webhook.ping" and attempt["delivery_status"] == "succeeded"
        assert receiver.types() == ["webhook.ping"]
        log = await c.get(f"/v1/webhooks/{ep['id']}/deliveries", headers=t.admin.headers)
        assert [a["id"] for a in log.json()["data"]] == [attempt["id"]]


class TestRetries:
    async def test_failures_follow_the_schedule_with_one_webhook_id(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        receiver.status = 500
        await new_bug(c, t)
        now = utcnow()
        await sweep(hook_app, now)
        (d,) = await deliveries_of(hook_app, ep["id"])
        assert d.attempts == 1 and d.status == "pending" and d.last_status_code == 500
        for n, wait in enumerate(delivery.RETRY_SCHEDULE, start=1):
            due = d.next_attempt_at
            assert due is not None
            assert timedelta(seconds=wait * 0.9) <= due - now <= timedelta(seconds=wait * 1.1)
            await sweep(hook_app, due - timedelta(seconds=1))  # not yet
            assert len(receiver.received) == n
            now = due
            await sweep(hook_app, now)
            (d,) = await deliveries_of(hook_app, ep["id"])
            assert d.attempts == n + 1
        assert d.status == "failed" and d.next_attempt_at is None
        assert d.attempts == delivery.MAX_ATTEMPTS == 8
        assert sum(delivery.RETRY_SCHEDULE) / 3600 > 24  # about a day of retries
        assert len({h["webhook-id"] for h, _ in receiver.received}) == 1
        log = await c.get(
            f"/v1/webhooks/{ep['id']}/deliveries", params={"limit": 5}, headers=t.admin.headers
        )
        page = log.json()
        assert [a["attempt"] for a in page["data"]] == [8, 7, 6, 5, 4]
        rest = await c.get(
            f"/v1/webhooks/{ep['id']}/deliveries",
            params={"limit": 5, "cursor": page["next_cursor"]},
            headers=t.admin.headers,
        )
        assert [a["attempt"] for a in rest.json()["data"]] == [3, 2, 1]
        assert rest.json()["data"][0]["response_excerpt"] == '{"ok": false}'
        # Redeliver by hand once the receiver is back: same webhook-id, succeeds.
        receiver.status = 200
        r = await c.post(
            f"/v1/webhooks/{ep['id']}/deliveries/{d.id}/redeliver", headers=t.admin.headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["succeeded"] and r.json()["attempt"] == 9
        assert len({h["webhook-id"] for h, _ in receiver.received}) == 1

    async def test_timeout_and_redirect_are_retried(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        receiver.delay = 1.0  # past the 0.5 s timeout
        await new_bug(c, t)
        now = utcnow()
        await sweep(hook_app, now)
        (d,) = await deliveries_of(hook_app, ep["id"])
        assert d.status == "pending" and d.last_status_code is None
        assert d.last_error is not None and "did not answer within" in d.last_error
        receiver.delay, receiver.status = 0.0, 302
        assert d.next_attempt_at is not None
        await sweep(hook_app, d.next_attempt_at)
        (d,) = await deliveries_of(hook_app, ep["id"])
        assert d.attempts == 2 and d.status == "pending" and d.last_status_code == 302
        assert d.last_error is not None and "redirect" in d.last_error

    async def test_a_receiver_that_is_down_is_retried(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI
    ) -> None:
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ep = await add_endpoint(c, t, f"http://127.0.0.1:{port}/hook", event_types=["bug.created"])
        await new_bug(c, t)
        now = utcnow()
        await sweep(hook_app, now)
        (d,) = await deliveries_of(hook_app, ep["id"])
        assert d.status == "pending" and d.attempts == 1 and d.last_status_code is None
        assert d.last_error is not None and "could not be reached" in d.last_error
        assert d.next_attempt_at is not None and d.next_attempt_at > now

    async def test_gone_disables_at_once_and_says_so(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        gone = await add_endpoint(c, t, receiver.url + "?gone", event_types=["bug.created"])
        watcher = await add_endpoint(c, t, receiver.url, event_types=["webhook.disabled"])

        def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
            return (410 if "gone" in path else 200), {}

        receiver.stub.handler = handle
        try:
            await new_bug(c, t)
            await sweep(hook_app)
            r = await c.get(f"/v1/webhooks/{gone['id']}", headers=t.admin.headers)
            assert r.json()["enabled"] is False
            assert "410" in r.json()["disabled_reason"]
            await sweep(hook_app)  # the webhook.disabled event goes to the watcher
            sent = [json.loads(b) for _, b in receiver.received]
            disabled = [e for e in sent if e["type"] == "webhook.disabled"]
            assert disabled and disabled[0]["data"]["endpoint"]["id"] == gone["id"]
            verify(watcher["secret"], *receiver.received[-1])
            # Re-enabling resets the endpoint.
            r = await c.patch(
                f"/v1/webhooks/{gone['id']}", json={"enabled": True}, headers=t.admin.headers
            )
            assert r.json()["enabled"] and r.json()["disabled_reason"] is None
        finally:
            receiver.stub.handler = receiver._handle

    async def test_disabled_after_deliveries_fail_every_retry(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        receiver.status = 503
        await new_bug(c, t)
        await new_bug(c, t)
        now = utcnow()
        for _ in range(delivery.MAX_ATTEMPTS):
            await sweep(hook_app, now)
            now += timedelta(seconds=max(delivery.RETRY_SCHEDULE) * 1.2)
        r = await c.get(f"/v1/webhooks/{ep['id']}", headers=t.admin.headers)
        body = r.json()
        assert body["enabled"] is False and body["consecutive_failures"] == 2
        assert "every retry" in body["disabled_reason"]

    async def test_a_delivery_whose_worker_died_is_sent_after_its_lease(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        """A worker that claimed a delivery and died (no attempt recorded) leaves it pending
        under a lease; once the lease runs out the next sweep sends it."""
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        await new_bug(c, t)
        now = utcnow()
        await delivery.relay(hook_app.state.sessionmaker, now)
        lease = now + timedelta(seconds=hook_app.state.settings.webhook_timeout_seconds + 30)
        async with hook_app.state.sessionmaker() as s, s.begin():  # claimed, then the worker died
            await s.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == uuid.UUID(ep["id"]))
                .values(next_attempt_at=lease)
            )
        await sweep(hook_app, now + timedelta(seconds=5))
        assert receiver.received == []
        await sweep(hook_app, lease)
        assert receiver.types() == ["bug.created"]
        (d,) = await deliveries_of(hook_app, ep["id"])
        assert d.status == "succeeded" and d.attempts == 1


class TestRotation:
    async def test_both_secrets_sign_during_the_grace_period(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
        r = await c.post(
            f"/v1/webhooks/{ep['id']}/rotate-secret",
            json={"grace_seconds": 3600},
            headers=t.admin.headers,
        )
        assert r.status_code == 200, r.text
        new = r.json()["secret"]
        assert new != ep["secret"] and r.json()["previous_secret_expires_at"]
        r = await c.post(f"/v1/webhooks/{ep['id']}/test", headers=t.admin.headers)
        assert r.json()["succeeded"]
        headers, body = receiver.received[-1]
        assert len(headers["webhook-signature"].split(" ")) == 2
        verify(new, headers, body)
        verify(ep["secret"], headers, body)
        r = await c.post(
            f"/v1/webhooks/{ep['id']}/rotate-secret",
            json={"grace_seconds": 0},
            headers=t.admin.headers,
        )
        newest = r.json()["secret"]
        await c.post(f"/v1/webhooks/{ep['id']}/test", headers=t.admin.headers)
        headers, body = receiver.received[-1]
        verify(newest, headers, body)
        with pytest.raises(WebhookVerificationError):
            verify(new, headers, body)


async def test_deleting_an_endpoint_stops_its_deliveries(
    c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
) -> None:
    ep = await add_endpoint(c, t, receiver.url, event_types=["bug.created"])
    await new_bug(c, t)
    await delivery.relay(hook_app.state.sessionmaker, utcnow())
    r = await c.delete(f"/v1/webhooks/{ep['id']}", headers=t.admin.headers)
    assert r.status_code == 204
    assert await deliveries_of(hook_app, ep["id"]) == []
    await sweep(hook_app)
    assert receiver.received == []
    r = await c.get(f"/v1/webhooks/{ep['id']}", headers=t.admin.headers)
    assert_error(r, 404, "not_found")


class TestSlack:
    async def test_new_bug_and_status_change_as_block_kit(
        self, c: httpx.AsyncClient, t: Tenant, hook_app: FastAPI, receiver: Receiver
    ) -> None:
        r = await c.post(
            f"/v1/workspaces/{t.workspace_id}/webhooks",
            json={"url": receiver.url + "/T000/B000/secretpart", "kind": "slack"},
            headers=t.admin.headers,
        )
        assert r.status_code == 201, r.text
        ep = r.json()
        assert ep["event_types"] == ["bug.created", "bug.status_changed"]
        # The incoming-webhook URL is a credential: reads mask it.
        r = await c.get(f"/v1/webhooks/{ep['id']}", headers=t.admin.headers)
        assert "secretpart" not in r.text and r.json()["url"].endswith("…part")
        r = await c.post(
            "/v1/bugs",
            json={
                "project_id": t.project_id,
                "title": "<!channel> Pay & <https://evil.example|click> fails",
                "severity": "high",
                "page_url": "https://app.example.com/checkout",
            },
            headers=t.member.headers,
        )
        assert r.status_code == 201, r.text
        bug = r.json()
        r = await c.post(
            f"/v1/bugs/{bug['id']}/comments", json={"body": "x"}, headers=t.member.headers
        )
        r = await c.patch(
            f"/v1/bugs/{bug['id']}", json={"status": "resolved"}, headers=t.member.headers
        )
        assert r.status_code == 200
        await sweep(hook_app)
        assert len(receiver.received) == 2  # the comment is not a Slack event by default
        # The new-bug message (with a header block) and the status line, whichever came first.
        (h1, created), (_, status) = sorted(
            receiver.received, key=lambda hb: b'"header"' not in hb[1]
        )
        assert "webhook-signature" not in h1
        msg = json.loads(created)
        header, fields = msg["blocks"][0], msg["blocks"][1]["fields"]
        assert header["type"] == "header" and header["text"]["type"] == "plain_text"
        assert bug["key"] in header["text"]["text"]
        assert "*Severity*\nhigh" in [f["text"] for f in fields]
        page = [f["text"] for f in fields if f["text"].startswith("*Page*")]
        assert page == [
            "*Page*\n<https://app.example.com/checkout|https://app.example.com/checkout>"
        ]
        button = msg["blocks"][-1]["elements"][0]
        assert button["url"] == f"http://test/bugs/{bug['id']}"
        assert button["text"]["text"] == "Open in BugPort"
        text = json.loads(status)["blocks"][0]["text"]["text"]
        # Untrusted text can't mention or link: Slack's control characters are escaped.
        assert "&lt;!channel&gt;" in text and "&amp;" in text and "<!channel>" not in text
        assert "*open* → *resolved*" in text
