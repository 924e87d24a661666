"""Email notifications through a real SMTP server on loopback (aiosmtpd): who gets what, one
email per recipient per bug per window, preferences, one-click unsubscribe, invites, and the
embedded mode that writes .eml files. Time is passed in; nothing sleeps."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import update

from bugport.app import create_app
from bugport.models import Event, PendingEmail
from bugport.models.base import utcnow
from bugport.webhook import delivery
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.live import free_port
from tests.fixtures.users import Tenant, make_tenant

BATCH = 180


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Bug emails to this address (invites, which every tenant's members got, left out)."""
        return [m for m in self.messages if m["To"] == address and m["Subject"].startswith("[")]

    def invites_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address and "invited you" in m["Subject"]]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest_asyncio.fixture(scope="module")
async def mail_app(
    backend_url: tuple[str, str], tmp_root: Path, smtp: tuple[Inbox, int]
) -> AsyncIterator[FastAPI]:
    _, url = backend_url
    application = create_app(
        make_settings(
            url,
            tmp_root / "data-mail",
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            smtp_starttls=False,
            notification_batch_seconds=BATCH,
        )
    )
    yield application
    await application.state.engine.dispose()


@pytest_asyncio.fixture
async def c(mail_app: FastAPI, smtp: tuple[Inbox, int]) -> AsyncIterator[httpx.AsyncClient]:
    smtp[0].messages.clear()
    async with mail_app.state.sessionmaker() as s, s.begin():  # nothing of earlier tests in flight
        await s.execute(update(Event).where(Event.relayed_at.is_(None)).values(relayed_at=utcnow()))
        await s.execute(update(PendingEmail).values(send_after=utcnow() + timedelta(days=365)))
    async with client_for(mail_app) as client:
        yield client


@pytest_asyncio.fixture
async def t(c: httpx.AsyncClient, mail_app: FastAPI) -> Tenant:
    return await make_tenant(c, mail_app.state.settings)


async def sweep(app: FastAPI, now: datetime) -> None:
    await delivery.sweep(app.state.settings, app.state.sessionmaker, now)


async def new_bug(c: httpx.AsyncClient, t: Tenant, title: str = "Checkout fails") -> str:
    r = await c.post(
        "/v1/bugs", json={"project_id": t.project_id, "title": title}, headers=t.member.headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    rich = msg.get_body(("html",))
    assert text is not None and rich is not None
    return text.get_content(), rich.get_content()


async def test_assignment_mail_with_both_parts_and_unsubscribe_headers(
    c: httpx.AsyncClient, t: Tenant, mail_app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    bug = await new_bug(c, t, '<script>alert(1)</script> & "Pay" fails')
    r = await c.patch(f"/v1/bugs/{bug}", json={"assignee_id": t.admin.id}, headers=t.member.headers)
    assert r.status_code == 200, r.text
    now = utcnow()
    await sweep(mail_app, now)
    assert inbox.to(t.admin.email) == []  # the batching window is still open
    await sweep(mail_app, now + timedelta(seconds=BATCH + 1))
    (msg,) = inbox.to(t.admin.email)
    assert msg["Subject"].startswith("[") and "Pay" in msg["Subject"]
    text, rich = parts(msg)
    assert "assigned the bug to you" in text and f"/bugs/{bug}" in text
    assert "<script>" not in rich and "&lt;script&gt;" in rich
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].startswith("<http://test/v1/notifications/unsubscribe?")
    # The member made the change: no email to them.
    assert inbox.to(t.member.email) == []


async def test_mentions_watchers_and_one_email_per_burst(
    c: httpx.AsyncClient, t: Tenant, mail_app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    bug = await new_bug(c, t)  # the member reported it: a watcher from now on
    r = await c.post(
        f"/v1/bugs/{bug}/comments",
        json={"body": f"@{t.viewer.email} can you check?"},
        headers=t.admin.headers,
    )
    assert r.status_code == 201, r.text
    for status in ("in_progress", "resolved"):
        r = await c.patch(f"/v1/bugs/{bug}", json={"status": status}, headers=t.admin.headers)
        assert r.status_code == 200
    await sweep(mail_app, utcnow() + timedelta(seconds=BATCH + 1))
    (to_viewer,) = inbox.to(t.viewer.email)
    assert "mentioned you" in parts(to_viewer)[0]
    (to_reporter,) = inbox.to(t.member.email)  # comment + two status changes: one email
    text = parts(to_reporter)[0]
    assert "commented" in text and "to in_progress" in text and "to resolved" in text
    assert "3 updates" in to_reporter["Subject"]
    assert inbox.to(t.admin.email) == []  # the admin made every change


async def test_preferences_and_one_click_unsubscribe(
    c: httpx.AsyncClient, t: Tenant, mail_app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    r = await c.get("/v1/auth/me/notifications", headers=t.member.headers)
    assert r.json() == {"assigned": True, "mentioned": True, "watching": True}
    bug = await new_bug(c, t)
    await c.patch(f"/v1/bugs/{bug}", json={"status": "in_progress"}, headers=t.admin.headers)
    await sweep(mail_app, utcnow() + timedelta(seconds=BATCH + 1))
    (msg,) = inbox.to(t.member.email)
    link = msg["List-Unsubscribe"].strip("<>")
    query = parse_qs(urlsplit(link).query)
    params = {k: v[0] for k, v in query.items()}
    page = await c.get("/v1/notifications/unsubscribe", params=params)
    assert page.status_code == 200 and "<form" in page.text  # GET only asks
    r = await c.get("/v1/auth/me/notifications", headers=t.member.headers)
    assert r.json()["watching"] is True
    bad = {**params, "s": "0" * 40}
    assert_error(await c.post("/v1/notifications/unsubscribe", params=bad), 403, "forbidden")
    r = await c.post("/v1/notifications/unsubscribe", params=params)
    assert r.status_code == 200 and r.json() == {"unsubscribed": ["watching"]}
    r = await c.get("/v1/auth/me/notifications", headers=t.member.headers)
    assert r.json() == {"assigned": True, "mentioned": True, "watching": False}
    inbox.messages.clear()
    await c.patch(f"/v1/bugs/{bug}", json={"status": "resolved"}, headers=t.admin.headers)
    await sweep(mail_app, utcnow() + timedelta(seconds=BATCH + 1))
    assert inbox.to(t.member.email) == []
    r = await c.patch(
        "/v1/auth/me/notifications", json={"watching": True}, headers=t.member.headers
    )
    assert r.json()["watching"] is True


async def test_watch_and_unwatch(
    c: httpx.AsyncClient, t: Tenant, mail_app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    inbox = smtp[0]
    bug = await new_bug(c, t)
    h = t.viewer.headers
    assert (await c.get(f"/v1/bugs/{bug}/watch", headers=h)).json() == {"watching": False}
    assert (await c.put(f"/v1/bugs/{bug}/watch", headers=h)).json() == {"watching": True}
    await c.patch(f"/v1/bugs/{bug}", json={"status": "in_progress"}, headers=t.admin.headers)
    await sweep(mail_app, utcnow() + timedelta(seconds=BATCH + 1))
    assert len(inbox.to(t.viewer.email)) == 1
    assert (await c.delete(f"/v1/bugs/{bug}/watch", headers=h)).json() == {"watching": False}
    inbox.messages.clear()
    await c.patch(f"/v1/bugs/{bug}", json={"status": "resolved"}, headers=t.admin.headers)
    await sweep(mail_app, utcnow() + timedelta(seconds=BATCH + 1))
    assert inbox.to(t.viewer.email) == []
    r = await c.put(f"/v1/bugs/{uuid.uuid4()}/watch", headers=h)
    assert_error(r, 404, "not_found")


async def test_invite_email(
    c: httpx.AsyncClient, t: Tenant, mail_app: FastAPI, smtp: tuple[Inbox, int]
) -> None:
    address = f"new-{uuid.uuid4().hex[:6]}@example.com"
    r = await c.post(
        f"/v1/workspaces/{t.workspace_id}/invites",
        json={"email": address, "role": "member"},
        headers=t.owner.headers,
    )
    assert r.status_code == 201, r.text
    await sweep(mail_app, utcnow())
    (msg,) = smtp[0].invites_to(address)
    text = parts(msg)[0]
    assert f"/invite#token={r.json()['token']}" in text and "as member" in text


async def test_without_smtp_emails_are_written_to_the_data_folder(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    app = create_app(make_settings(backend_url[1], tmp_path, notification_batch_seconds=0))
    async with client_for(app) as c:
        t = await make_tenant(c, app.state.settings)
        bug = await new_bug(c, t)
        await c.patch(f"/v1/bugs/{bug}", json={"assignee_id": t.admin.id}, headers=t.member.headers)
        await delivery.sweep(
            app.state.settings, app.state.sessionmaker, utcnow() + timedelta(seconds=1)
        )
    await app.state.engine.dispose()
    files = list((tmp_path / "mail").glob("*.eml"))
    mails = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert any(m["To"] == t.admin.email and "assigned" in str(m) for m in mails), files
