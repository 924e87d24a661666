"""From the outbox to the receivers: `relay` fans new events out into deliveries (one per event
and endpoint that wants it), `deliver_due` sends the deliveries whose time has come, and
`deliver` makes one signed attempt and schedules the next one if it failed.

At least once: a delivery is claimed with a lease (its next attempt moved past the timeout)
before its HTTP call, so a worker killed mid-call leaves it to be retried when the lease runs
out; every attempt carries the same `webhook-id`, so receivers can drop repeats. Time is passed
in (`now`), so tests walk the retry schedule without sleeping."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bugport.bug.schemas import Bug as BugOut
from bugport.config import Settings
from bugport.connector.http import ProviderCallFailed, ProviderHttp
from bugport.connector.netguard import NetPolicy
from bugport.connector.service import vault_for
from bugport.events import outbox
from bugport.models import Bug, Event, Media, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bugport.notify import fanout, mailer
from bugport.storage import Storage
from bugport.webhook import signing, slack

# Seconds to wait after failed attempt n (1-based) before attempt n + 1: 8 attempts over ~27 h
# (the Standard Webhooks reference schedule), each wait jittered by ±10%.
RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
RESPONSE_EXCERPT = 500
USER_AGENT = "BugPort-Webhooks/1"
RELAY_BATCH = 500
_sweeping = asyncio.Lock()


def http_for(settings: Settings) -> ProviderHttp:
    return ProviderHttp(
        policy=NetPolicy(settings.webhook_net_allowlist),
        timeout=settings.webhook_timeout_seconds,
        max_bytes=64 * 1024,
    )


def wants(endpoint: WebhookEndpoint, event: Event) -> bool:
    if endpoint.project_id is not None and endpoint.project_id != event.project_id:
        return False
    return not endpoint.event_types or event.type in endpoint.event_types


def _pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def relay(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, settings: Settings | None = None
) -> int:
    """Turn unrelayed events into deliveries (and, given settings, email notifications: see
    notify/fanout.py); returns how many events it relayed (up to RELAY_BATCH)."""
    async with sessionmaker() as session, session.begin():
        stmt = (
            select(Event)
            .where(Event.relayed_at.is_(None))
            .order_by(Event.created_at, Event.id)
            .limit(RELAY_BATCH)
        )
        if _pg(session):
            stmt = stmt.with_for_update(skip_locked=True)
        events = list((await session.execute(stmt)).scalars())
        if not events:
            return 0
        by_ws: dict[uuid.UUID, list[WebhookEndpoint]] = defaultdict(list)
        rows = await session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.workspace_id.in_({e.workspace_id for e in events}),
                WebhookEndpoint.enabled.is_(True),
            )
        )
        for ep in rows.scalars():
            by_ws[ep.workspace_id].append(ep)
        for event in events:
            for ep in by_ws.get(event.workspace_id, ()):
                if wants(ep, event):
                    session.add(_delivery(ep, event, now))
        if settings is not None:
            await fanout.fanout(session, settings, events, now)
        await session.execute(
            update(Event).where(Event.id.in_([e.id for e in events])).values(relayed_at=now)
        )
    return len(events)


def _delivery(ep: WebhookEndpoint, event: Event, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=ep.id,
        event_id=event.id,
        workspace_id=ep.workspace_id,
        event_type=event.type,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


def message_id(event_id: uuid.UUID) -> str:
    return f"msg_{event_id.hex}"


async def envelope(session: AsyncSession, event: Event) -> dict[str, Any]:
    """{type, timestamp, data}. `data.bug` is the bug as the API returns it now (stored
    redacted), or its last state for `bug.deleted`, or null once the bug is gone."""
    data: dict[str, Any] = dict(event.data or {})
    if event.bug_id is not None and "bug" not in data:
        bug = await session.get(Bug, event.bug_id)
        data["bug"] = BugOut.of(bug).model_dump(mode="json") if bug is not None else None
    return {
        "type": event.type,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


async def _screenshot_url(
    session: AsyncSession, storage: Storage | None, bug_id: uuid.UUID | None
) -> str | None:
    """A week-long link to the bug's first screenshot thumbnail (Slack fetches it when posting)."""
    if storage is None or bug_id is None:
        return None
    m = await session.scalar(
        select(Media)
        .where(
            Media.bug_id == bug_id,
            Media.kind == "screenshot",
            Media.status == "ready",
            Media.thumbnail_state == "ready",
        )
        .order_by(Media.created_at)
        .limit(1)
    )
    if m is None or not m.thumbnail_key:
        return None
    return storage.presign_get(m.thumbnail_key, 7 * 86400).url


async def render(
    session: AsyncSession,
    settings: Settings,
    storage: Storage | None,
    ep: WebhookEndpoint,
    event: Event,
) -> bytes:
    """The request body for this endpoint: the signed envelope, or a Slack message."""
    env = await envelope(session, event)
    if ep.kind == "slack":
        bug_url = (
            f"{settings.public_base_url.rstrip('/')}/bugs/{event.bug_id}" if event.bug_id else None
        )
        shot = (
            await _screenshot_url(session, storage, event.bug_id)
            if event.type == "bug.created"
            else None
        )
        return slack.render(event.type, env["data"], bug_url, shot)
    return json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()


def signing_secrets(settings: Settings, ep: WebhookEndpoint, now: datetime) -> list[str]:
    vault = vault_for(settings)
    out = [vault.decrypt(ep.secret_enc)]
    if (
        ep.previous_secret_enc
        and ep.previous_secret_expires_at
        and ep.previous_secret_expires_at > now
    ):
        out.append(vault.decrypt(ep.previous_secret_enc))
    return out


async def deliver_due(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    storage: Storage | None = None,
) -> int:
    """Claim and send the deliveries due at `now` (up to 100 per call); returns how many."""
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds + 30)
    async with sessionmaker() as session, session.begin():
        stmt = (
            select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, Event.created_at, Event.id)
            .limit(100)
        )
        if _pg(session):
            stmt = stmt.with_for_update(of=WebhookDelivery, skip_locked=True)
        claimed = list((await session.execute(stmt)).all())
        ids = [i for i, _ in claimed]
        if ids:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(next_attempt_at=lease)
            )
    # Endpoints in parallel; each endpoint's deliveries one after another, oldest first.
    queues: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for delivery_id, endpoint_id in claimed:
        queues[endpoint_id].append(delivery_id)
    sem = asyncio.Semaphore(8)

    async def drain(queue: list[uuid.UUID]) -> None:
        async with sem:
            for delivery_id in queue:
                await deliver(settings, sessionmaker, delivery_id, now, storage)

    await asyncio.gather(*(drain(q) for q in queues.values()))
    return len(ids)


async def deliver(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    delivery_id: uuid.UUID,
    now: datetime,
    storage: Storage | None = None,
) -> WebhookAttempt | None:
    """One attempt of one delivery, its log entry and what follows (success, retry, give up)."""
    async with sessionmaker() as session:
        d = await session.get(WebhookDelivery, delivery_id)
        if d is None or d.status != "pending":
            return None
        ep = await session.get(WebhookEndpoint, d.endpoint_id)
        event = await session.get(Event, d.event_id)
        if ep is None or event is None:
            return None
        if not ep.enabled:
            d.status, d.last_error, d.next_attempt_at = "failed", "The endpoint is disabled.", None
            await session.commit()
            return None
        body = await render(session, settings, storage, ep, event)
        secrets_ = signing_secrets(settings, ep, now) if ep.kind == "standard" else []
        url, msg_id = ep.url, message_id(event.id)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secrets_:  # signed at send time with the wall clock: receivers reject stale timestamps
        headers.update(signing.headers(secrets_, msg_id, int(time.time()), body))
    started = time.monotonic()
    status: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        resp = await http_for(settings).request(
            "The webhook endpoint", "POST", url, headers=headers, content=body
        )
        status = resp.status
        excerpt = resp.body[:RESPONSE_EXCERPT].decode("utf-8", "replace")
    except ProviderCallFailed as exc:
        status, error = exc.status, exc.reason[:300]
    latency = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    if ok:
        error = None  # a 2xx whose body was too big to read is still delivered
    return await _settle(
        settings, sessionmaker, delivery_id, now, status, latency, excerpt, error, ok
    )


async def _settle(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    delivery_id: uuid.UUID,
    now: datetime,
    status: int | None,
    latency: int,
    excerpt: str | None,
    error: str | None,
    ok: bool,
) -> WebhookAttempt | None:
    async with sessionmaker() as session, session.begin():
        d = await session.get(WebhookDelivery, delivery_id, with_for_update=_pg(session))
        if d is None:  # the endpoint was deleted meanwhile
            return None
        ep = await session.get(WebhookEndpoint, d.endpoint_id)
        assert ep is not None
        d.attempts += 1
        d.last_status_code, d.updated_at = status, now
        d.last_error = error or (None if ok else f"The endpoint answered {status}.")
        attempt = WebhookAttempt(
            delivery_id=d.id,
            endpoint_id=ep.id,
            workspace_id=ep.workspace_id,
            attempt=d.attempts,
            status_code=status,
            latency_ms=latency,
            response_excerpt=excerpt,
            error=d.last_error,
            succeeded=ok,
            created_at=now,
        )
        session.add(attempt)
        if ok:
            d.status, d.next_attempt_at = "succeeded", None
            ep.consecutive_failures = 0
        elif status == 410:
            d.status, d.next_attempt_at = "failed", None
            _disable(session, ep, "The endpoint answered 410 Gone.", now)
        elif d.attempts < MAX_ATTEMPTS:
            wait = RETRY_SCHEDULE[d.attempts - 1] * random.uniform(0.9, 1.1)
            d.next_attempt_at = now + timedelta(seconds=wait)
        else:
            d.status, d.next_attempt_at = "failed", None
            ep.consecutive_failures += 1
            limit = settings.webhook_disable_after_failed_deliveries
            if ep.consecutive_failures >= limit:
                _disable(
                    session,
                    ep,
                    f"{ep.consecutive_failures} deliveries in a row failed every retry.",
                    now,
                )
    return attempt


def _disable(session: AsyncSession, ep: WebhookEndpoint, reason: str, now: datetime) -> None:
    if not ep.enabled:
        return
    ep.enabled, ep.disabled_reason, ep.updated_at = False, reason, now
    outbox.system_event(
        session,
        ep.workspace_id,
        outbox.ENDPOINT_DISABLED,
        {"endpoint": {"id": str(ep.id), "url": ep.url, "reason": reason}},
    )


async def prune(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    """Relayed events past retention go, with their deliveries and attempts (cascade)."""
    cutoff = now - timedelta(days=settings.event_retention_days)
    async with sessionmaker() as session, session.begin():
        old = (
            select(Event.id)
            .where(Event.relayed_at.is_not(None), Event.created_at < cutoff)
            .limit(5000)
        )
        await session.execute(delete(Event).where(Event.id.in_(old.scalar_subquery())))


async def sweep(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    now: datetime,
    storage: Storage | None = None,
    *,
    budget_seconds: float = 30.0,
) -> None:
    """Relay, then send what is due, in batches until nothing is left or the time budget is
    spent (a burst drains in one sweep instead of a batch per tick); then due emails. One sweep
    at a time per process (a tick that finds one running skips its turn)."""
    if _sweeping.locked():
        return
    async with _sweeping:
        deadline = time.monotonic() + budget_seconds
        while await relay(sessionmaker, now, settings) == RELAY_BATCH:
            if time.monotonic() > deadline:
                break
        while await deliver_due(settings, sessionmaker, now, storage):
            if time.monotonic() > deadline:
                break
        await mailer.send_due(settings, sessionmaker, now)
