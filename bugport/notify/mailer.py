"""Writing and sending the emails gathered in `pending_emails`: plain-text and HTML parts (every
piece of report text escaped in the HTML), one-click unsubscribe headers (RFC 8058), sent over
SMTP with aiosmtplib, or written to <data_dir>/mail as .eml files when no SMTP host is set."""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bugport.config import Settings
from bugport.models import Bug, PendingEmail
from bugport.models.base import utcnow

log = logging.getLogger("bugport.notify")
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)
REASONS = {
    "assigned": "you were assigned to this bug",
    "mentioned": "you were mentioned on this bug",
    "watching": "you watch this bug",
}


def unsubscribe_sig(settings: Settings, user_id: str, categories: str) -> str:
    msg = f"unsubscribe:{user_id}:{categories}".encode()
    return hmac.new(settings.signing_key, msg, hashlib.sha256).hexdigest()[:40]


def unsubscribe_url(settings: Settings, user_id: uuid.UUID, categories: list[str]) -> str:
    cats = ",".join(sorted(set(categories)))
    query = urlencode(
        {"u": str(user_id), "c": cats, "s": unsubscribe_sig(settings, str(user_id), cats)}
    )
    return f"{settings.public_base_url.rstrip('/')}/v1/notifications/unsubscribe?{query}"


def _line(item: dict[str, Any]) -> str:
    by, what = item.get("by") or "Someone", item.get("what")
    if what == "assigned":
        return f"{by} assigned the bug to you."
    if what == "mentioned":
        return f"{by} mentioned you: {item.get('text', '')}"
    if what == "commented":
        return f"{by} commented: {item.get('text', '')}"
    if what == "more":
        return f"… and {item.get('skipped')} more changes."
    if what == "status":
        return f"{by} changed the status from {item.get('from')} to {item.get('to')}."
    return f"{by}: {what}"


def bug_email(settings: Settings, row: PendingEmail, bug: Bug | None) -> EmailMessage | None:
    if bug is None:
        return None  # the bug is gone: nothing to tell
    items = row.items or []
    lines = [_line(i) for i in items]
    cats = [str(i.get("category")) for i in items]
    url = f"{settings.public_base_url.rstrip('/')}/bugs/{bug.id}"
    unsub = unsubscribe_url(settings, row.user_id, cats) if row.user_id else None
    title = bug.title.replace("\r", " ").replace("\n", " ")
    subject = f"[{bug.key}] {title}"[:200]
    count = sum(int(i.get("skipped", 1)) if i.get("what") == "more" else 1 for i in items)
    if count > 1:
        subject += f" — {count} updates"
    why = "; ".join(sorted({REASONS.get(c, c) for c in cats}))
    text = "\n\n".join(lines) + f"\n\nOpen the bug: {url}\n\nYou get this email because {why}."
    if unsub:
        text += f"\nStop these emails: {unsub}"
    items_html = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    body_html = (
        f"<html><body><h2>{html.escape(bug.key or '')} {html.escape(title)}</h2>{items_html}"
        f'<p><a href="{html.escape(url)}">Open the bug in BugPort</a></p>'
        f'<p style="color:#666;font-size:12px">You get this email because {html.escape(why)}.'
        + (f' <a href="{html.escape(unsub)}">Stop these emails</a>.' if unsub else "")
        + "</p></body></html>"
    )
    return _message(settings, row.email, subject, text, body_html, unsub)


def invite_email(settings: Settings, row: PendingEmail) -> EmailMessage:
    (item,) = row.items
    who, ws, role, link = item["by"], item["workspace"], item["role"], item["link"]
    subject = f"{who} invited you to {ws} on BugPort"[:200]
    text = f"{who} invited you to the workspace {ws} as {role}.\n\nAccept: {link}\n"
    body_html = (
        f"<html><body><p>{html.escape(who)} invited you to the workspace "
        f"<b>{html.escape(ws)}</b> as {html.escape(role)}.</p>"
        f'<p><a href="{html.escape(link)}">Accept the invitation</a></p></body></html>'
    )
    return _message(settings, row.email, subject, text, body_html, None)


def _message(
    settings: Settings, to: str, subject: str, text: str, body_html: str, unsub: str | None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="bugport")
    if unsub:
        msg["List-Unsubscribe"] = f"<{unsub}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(body_html, subtype="html")
    return msg


async def send(settings: Settings, msg: EmailMessage) -> None:
    if not settings.smtp_host:
        folder = settings.data_dir / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(msg))
        log.info("email written (no SMTP host set)", extra={"path": str(path), "to": msg["To"]})
        return
    await aiosmtplib.send(
        msg,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls and not settings.smtp_tls,
        use_tls=settings.smtp_tls,
        timeout=settings.smtp_timeout_seconds,
    )


async def send_due(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> int:
    """Claim the emails whose window has passed, send each, and forget the sent ones. A failure
    is retried (5 attempts, minutes apart); a sender that died leaves its claim to expire."""
    async with sessionmaker() as session, session.begin():
        stmt = (
            select(PendingEmail.id)
            .where(
                PendingEmail.send_after <= now,
                or_(PendingEmail.claimed_at.is_(None), PendingEmail.claimed_at < now - LEASE),
            )
            .order_by(PendingEmail.send_after)
            .limit(50)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list((await session.execute(stmt)).scalars())
        if ids:
            await session.execute(
                update(PendingEmail).where(PendingEmail.id.in_(ids)).values(claimed_at=now)
            )
    for email_id in ids:
        await _send_one(settings, sessionmaker, email_id, now)
    return len(ids)


async def _send_one(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    email_id: uuid.UUID,
    now: datetime,
) -> None:
    async with sessionmaker() as session:
        row = await session.get(PendingEmail, email_id)
        if row is None:
            return
        if row.kind == "invite":
            msg: EmailMessage | None = invite_email(settings, row)
        else:
            msg = bug_email(settings, row, await session.get(Bug, row.bug_id))
    error: str | None = None
    if msg is not None:
        try:
            await send(settings, msg)
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("email not sent", extra={"error": error})
    async with sessionmaker() as session, session.begin():
        row = await session.get(PendingEmail, email_id)
        if row is None:
            return
        if error is None or row.attempts + 1 >= MAX_ATTEMPTS:
            await session.execute(delete(PendingEmail).where(PendingEmail.id == email_id))
            return
        sibling = None
        if row.bug_id is not None:  # items gathered meanwhile wait in a new row: merge them
            sibling = await session.scalar(
                select(PendingEmail).where(
                    PendingEmail.user_id == row.user_id,
                    PendingEmail.bug_id == row.bug_id,
                    PendingEmail.claimed_at.is_(None),
                    PendingEmail.id != row.id,
                )
            )
        if sibling is not None:
            sibling.items = [*row.items, *sibling.items]
            await session.execute(delete(PendingEmail).where(PendingEmail.id == email_id))
            return
        row.attempts += 1
        row.last_error = error
        row.claimed_at = None
        row.send_after = now + timedelta(minutes=5 * row.attempts)
