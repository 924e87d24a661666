"""Tracker status flowing back: a connection's webhook secret, and the public receiver that
GitHub, Linear and Jira call when an issue BugPort pushed is closed or reopened.

Each provider signs the raw body with HMAC-SHA256 of the secret we handed out:
  GitHub  `X-Hub-Signature-256: sha256=<hex>` (event in `X-GitHub-Event`)
  Linear  `Linear-Signature: <hex>` (and `webhookTimestamp` in the body, within a minute)
  Jira    `X-Hub-Signature: sha256=<hex>` (admin webhooks with a secret)
Unsigned, wrongly signed or unknown deliveries are refused (401) and logged. A closed/done issue
resolves its bug, a reopened one reopens it, with a timeline entry naming the tracker; a replay
changes nothing (the bug is already in that state). Comments are not mirrored."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.bug import activity
from bugport.config import Settings
from bugport.connector.service import vault_for
from bugport.errors import Unauthorized
from bugport.kit.crypto import same_text
from bugport.models import Bug, Connector, TrackerPush
from bugport.models.base import utcnow

log = logging.getLogger("bugport.connector.sync")

CLOSED = ("resolved", "closed", "wont_fix")
NAMES = {"github": "GitHub", "linear": "Linear", "jira": "Jira"}
SIGNATURE_HEADER = {
    "github": "X-Hub-Signature-256",
    "linear": "Linear-Signature",
    "jira": "X-Hub-Signature",
}
EVENTS = {
    "github": "Issues (opened/closed/reopened)",
    "linear": "Issues",
    "jira": "Issue: updated",
}


def receive_url(settings: Settings, connector_id: uuid.UUID) -> str:
    return f"{settings.public_base_url.rstrip('/')}/v1/trackers/{connector_id}/webhook"


def new_secret(settings: Settings, conn: Connector) -> str:
    secret = secrets.token_urlsafe(32)
    conn.webhook_secret_enc = vault_for(settings).encrypt(secret)
    conn.updated_at = utcnow()
    return secret


@dataclass(frozen=True)
class StatusChange:
    issue_id: str
    closed: bool  # True: done in the tracker; False: reopened
    status: str  # what the bug becomes
    label: str  # the tracker's words, for the timeline


def _signed(provider: str, secret: str, body: bytes, headers: Any) -> bool:
    got = headers.get(SIGNATURE_HEADER[provider]) or ""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    want = digest if provider == "linear" else f"sha256={digest}"
    return same_text(got.strip().lower(), want)


def parse(provider: str, body: dict[str, Any], headers: Any) -> StatusChange | None:
    """The issue status change a delivery describes, or None for anything else."""
    if provider == "github":
        if headers.get("X-GitHub-Event") != "issues":
            return None
        issue, action = body.get("issue") or {}, body.get("action")
        if action == "closed":
            reason = issue.get("state_reason")
            status = "wont_fix" if reason == "not_planned" else "resolved"
            return StatusChange(str(issue.get("id")), True, status, "closed")
        if action == "reopened":
            return StatusChange(str(issue.get("id")), False, "open", "reopened")
        return None
    if provider == "linear":
        if body.get("type") != "Issue" or body.get("action") != "update":
            return None
        data = body.get("data") or {}
        if "stateId" not in (body.get("updatedFrom") or {}):
            return None  # some other field changed
        kind = (data.get("state") or {}).get("type")
        name = str((data.get("state") or {}).get("name") or kind)
        if kind == "completed":
            return StatusChange(str(data.get("id")), True, "resolved", name)
        if kind == "canceled":
            return StatusChange(str(data.get("id")), True, "wont_fix", name)
        if kind in ("backlog", "unstarted", "started", "triage"):
            return StatusChange(str(data.get("id")), False, "open", name)
        return None
    if provider == "jira":
        if body.get("webhookEvent") != "jira:issue_updated":
            return None
        items = (body.get("changelog") or {}).get("items") or []
        if not any(i.get("field") == "status" for i in items if isinstance(i, dict)):
            return None
        jira_issue = body.get("issue") or {}
        state: dict[str, Any] = (jira_issue.get("fields") or {}).get("status") or {}
        category = (state.get("statusCategory") or {}).get("key")
        name = str(state.get("name") or category)
        if category == "done":
            return StatusChange(str(jira_issue.get("id")), True, "resolved", name)
        return StatusChange(str(jira_issue.get("id")), False, "open", name)
    return None


async def receive(
    session: AsyncSession,
    settings: Settings,
    connector_id: uuid.UUID,
    raw: bytes,
    headers: Any,
) -> str:
    """Verify and apply one delivery; returns what happened (for the response and the log)."""
    conn = await session.get(Connector, connector_id)
    if conn is None or not conn.webhook_secret_enc:
        log.warning(
            "tracker webhook for an unknown connection", extra={"connector": str(connector_id)}
        )
        raise Unauthorized("Unknown connection or no webhook secret set for it.")
    secret = vault_for(settings).decrypt(conn.webhook_secret_enc)
    if not _signed(conn.provider, secret, raw, headers):
        log.warning(
            "tracker webhook with a bad signature",
            extra={"connector": str(conn.id), "provider": conn.provider},
        )
        raise Unauthorized(f"The {NAMES[conn.provider]} signature does not match.")
    try:
        body = json.loads(raw)
    except ValueError:
        return "ignored: not JSON"
    if not isinstance(body, dict):
        return "ignored: not an object"
    if conn.provider == "linear":
        sent = body.get("webhookTimestamp")
        if not isinstance(sent, int | float) or abs(time.time() * 1000 - sent) > 60_000:
            raise Unauthorized("The Linear delivery is older than a minute (or has no timestamp).")
    change = parse(conn.provider, body, headers)
    if change is None:
        return "ignored: not an issue status change"
    push = await session.scalar(
        select(TrackerPush)
        .where(TrackerPush.connector_id == conn.id, TrackerPush.external_id == change.issue_id)
        .order_by(TrackerPush.created_at.desc())
        .limit(1)
    )
    if push is None:
        return "ignored: not an issue BugPort pushed"
    bug = await session.get(Bug, push.bug_id, with_for_update=True)
    if bug is None:
        return "ignored: the bug is gone"
    if change.closed == (bug.status in CLOSED):
        return "unchanged"  # replays and echoes of our own changes land here
    before = bug.status
    bug.status, bug.updated_at = change.status, utcnow()
    await activity.record(
        session,
        bug,
        None,
        "status_changed",
        {"from": before, "to": change.status},
        actor_label=f"{NAMES[conn.provider]} {push.external_key or ''} ({change.label})".strip(),
    )
    return f"bug {bug.key} is now {change.status}"
