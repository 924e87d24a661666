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
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
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


# Keyed by the loop itself (weakly), not id(loop): a dead loop's id can be reused by a new one,
# which would then get a pool bound to the old loop.
_transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = (
    weakref.WeakKeyDictionary()
)


def _transport() -> httpx.AsyncHTTPTransport:
    """One connection pool per event loop: building a client per attempt would build a TLS
    context each time (tens of ms) and never reuse a connection."""
    loop = asyncio.get_running_loop()
    if loop not in _transports:
        _transports[loop] = httpx.AsyncHTTPTransport(retries=0)
    return _transports[loop]


def http_for(settings: Settings) -> ProviderHttp:
    return ProviderHttp(
        policy=NetPolicy(settings.webhook_net_allowlist),
        timeout=settings.webhook_timeout_seconds,
        max_bytes=64 * 1024,
        transport=_transport(),
        shared_transport=True,
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


def envelope(event: Event, bug: Bug | None) -> dict[str, Any]:
    """{type, timestamp, data}. `data.bug` is the bug as the API returns it now (stored
    redacted), or its last state for `bug.deleted`, or null once the bug is gone."""
    data: dict[str, Any] = dict(event.data or {})
    if event.bug_id is not None and "bug" not in data:
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


@dataclass
class _Send:
    """One attempt to make: prepared in a batch, sent, then settled in a batch."""

    delivery_id: uuid.UUID
    url: str | None  # None: nothing to send (the endpoint is disabled)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: int | None = None
    excerpt: str | None = None
    error: str | None = None
    latency_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def _prepare(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: Storage | None,
    ids: list[uuid.UUID],
    now: datetime,
) -> list[_Send]:
    """Bodies and signed headers for these pending deliveries, read in one session: a few
    queries for the whole batch, not a few per delivery."""
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(WebhookDelivery, WebhookEndpoint, Event)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(Event, Event.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending")
            )
        ).all()
        wanted = {e.bug_id for _, _, e in rows if e.bug_id and "bug" not in (e.data or {})}
        bugs: dict[uuid.UUID, Bug] = {}
        if wanted:
            found = await session.execute(select(Bug).where(Bug.id.in_(wanted)))
            bugs = {b.id: b for b in found.scalars()}
        keys: dict[uuid.UUID, list[str]] = {}
        out: list[_Send] = []
        for d, ep, event in rows:
            if not ep.enabled:
                out.append(_Send(d.id, None, error="The endpoint is disabled."))
                continue
            env = envelope(event, bugs.get(event.bug_id) if event.bug_id else None)
            headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
            if ep.kind == "slack":
                bug_url = None
                if event.bug_id:
                    bug_url = f"{settings.public_base_url.rstrip('/')}/bugs/{event.bug_id}"
                shot = None
                if event.type == "bug.created":
                    shot = await _screenshot_url(session, storage, event.bug_id)
                body = slack.render(event.type, env["data"], bug_url, shot)
            else:
                body = json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()
                if ep.id not in keys:
                    keys[ep.id] = signing_secrets(settings, ep, now)
                # Signed with the wall clock at send time: receivers reject stale timestamps.
                headers.update(
                    signing.headers(keys[ep.id], message_id(event.id), int(time.time()), body)
                )
            out.append(_Send(d.id, ep.url, headers, body))
        return out


async def _send(http: ProviderHttp, job: _Send) -> None:
    if job.url is None:
        return
    started = time.monotonic()
    try:
        resp = await http.request(
            "The webhook endpoint", "POST", job.url, headers=job.headers, content=job.body
        )
        job.status = resp.status
        job.excerpt = resp.body[:RESPONSE_EXCERPT].decode("utf-8", "replace")
    except ProviderCallFailed as exc:
        job.status, job.error = exc.status, exc.reason[:300]
    job.latency_ms = int((time.monotonic() - started) * 1000)
    if job.ok:
        job.error = None  # a 2xx whose body was too big to read is still delivered


async def _run(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: Storage | None,
    ids: list[uuid.UUID],
    now: datetime,
) -> dict[uuid.UUID, WebhookAttempt]:
    jobs = await _prepare(settings, sessionmaker, storage, ids, now)
    http = http_for(settings)
    sem = asyncio.Semaphore(16)  # attempts in flight; receivers order by `timestamp` (docs)

    async def one(job: _Send) -> None:
        async with sem:
            await _send(http, job)

    await asyncio.gather(*(one(j) for j in jobs))
    return await _settle(settings, sessionmaker, jobs, now)


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
            select(WebhookDelivery.id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, Event.created_at, Event.id)
            .limit(100)
        )
        if _pg(session):
            stmt = stmt.with_for_update(of=WebhookDelivery, skip_locked=True)
        ids = list((await session.execute(stmt)).scalars())
        if ids:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(next_attempt_at=lease)
            )
    if ids:
        await _run(settings, sessionmaker, storage, ids, now)
    return len(ids)


async def deliver(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    delivery_id: uuid.UUID,
    now: datetime,
    storage: Storage | None = None,
) -> WebhookAttempt | None:
    """One attempt of one (already claimed) delivery now: the ping and redeliver routes."""
    return (await _run(settings, sessionmaker, storage, [delivery_id], now)).get(delivery_id)


async def _settle(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    jobs: list[_Send],
    now: datetime,
) -> dict[uuid.UUID, WebhookAttempt]:
    """Record every attempt of the batch and what follows, in one transaction."""
    out: dict[uuid.UUID, WebhookAttempt] = {}
    if not jobs:
        return out
    async with sessionmaker() as session, session.begin():
        ids = [j.delivery_id for j in jobs]
        found = await session.execute(
            select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)
        )
        deliveries = {d.id: d for d in found.scalars()}
        # Endpoints locked in id order: batches settling at once don't lose each other's
        # failure counts, and can't deadlock.
        stmt = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries.values()}))
            .order_by(WebhookEndpoint.id)
        )
        if _pg(session):
            stmt = stmt.with_for_update()
        endpoints = {e.id: e for e in (await session.execute(stmt)).scalars()}
        for job in jobs:
            d = deliveries.get(job.delivery_id)
            if d is None:  # the endpoint was deleted meanwhile
                continue
            ep = endpoints[d.endpoint_id]
            if job.url is None:
                d.status, d.last_error, d.next_attempt_at = "failed", job.error, None
                continue
            d.attempts += 1
            d.last_status_code, d.updated_at = job.status, now
            d.last_error = job.error or (None if job.ok else f"The endpoint answered {job.status}.")
            attempt = WebhookAttempt(
                delivery_id=d.id,
                endpoint_id=ep.id,
                workspace_id=ep.workspace_id,
                attempt=d.attempts,
                status_code=job.status,
                latency_ms=job.latency_ms,
                response_excerpt=job.excerpt,
                error=d.last_error,
                succeeded=job.ok,
                created_at=now,
            )
            session.add(attempt)
            out[d.id] = attempt
            if job.ok:
                d.status, d.next_attempt_at = "succeeded", None
                ep.consecutive_failures = 0
            elif job.status == 410:
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
    return out


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
