"""Webhook endpoints of a workspace (admin only): create with a secret shown once, list, change,
rotate the secret with a grace period, delete; a ping; the delivery log; redeliver."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.config import Settings
from bugport.connector.netguard import BlockedDestination, NetPolicy
from bugport.connector.service import vault_for
from bugport.errors import Conflict, NotFound, ValidationFailed
from bugport.events import outbox
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Event, Project, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from bugport.models.base import utcnow
from bugport.webhook import delivery, signing, slack
from bugport.webhook.schemas import WebhookCreate, WebhookRotate, WebhookUpdate

ENDPOINTS = Keyset("webhooks", [(WebhookEndpoint.created_at, False), (WebhookEndpoint.id, False)])
ATTEMPTS = Keyset(
    "webhook_attempts", [(WebhookAttempt.created_at, True), (WebhookAttempt.id, True)]
)


async def _checked_url(settings: Settings, url: str) -> str:
    try:
        dest = await NetPolicy(settings.webhook_net_allowlist).check(url)
    except BlockedDestination as exc:
        raise ValidationFailed("body.url", f"{exc} (outbound network policy)") from exc
    return str(dest.url)


async def create(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    workspace_id: uuid.UUID,
    body: WebhookCreate,
) -> tuple[WebhookEndpoint, str]:
    existing, _ = await authz.in_workspace(
        session, principal, WebhookEndpoint, workspace_id, "webhook.manage"
    )
    if body.project_id is not None:
        projects, _ = await authz.in_workspace(
            session, principal, Project, workspace_id, "webhook.manage"
        )
        found = await session.scalar(projects.where(Project.id == body.project_id))
        if found is None:
            raise ValidationFailed("body.project_id", "No project with this id in the workspace.")
    count = await session.scalar(existing.with_only_columns(func.count()))
    if (count or 0) >= settings.webhook_max_per_workspace:
        raise Conflict(f"This workspace already has {count} webhook endpoints, the most allowed.")
    url = await _checked_url(settings, body.url)
    secret = signing.new_secret()
    now = utcnow()
    event_types = body.event_types
    if body.kind == "slack" and not event_types:
        event_types = list(slack.DEFAULT_TYPES)
    ep = WebhookEndpoint(
        workspace_id=workspace_id,
        project_id=body.project_id,
        url=url,
        kind=body.kind,
        description=body.description,
        event_types=event_types,
        enabled=body.enabled,
        secret_enc=vault_for(settings).encrypt(secret),
        consecutive_failures=0,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ep)
    await session.flush()
    return ep, secret


async def list_endpoints(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    key: bytes,
    params: PageParams,
) -> tuple[list[WebhookEndpoint], str | None]:
    stmt, _ = await authz.in_workspace(
        session, principal, WebhookEndpoint, workspace_id, "webhook.manage"
    )
    rows = list((await session.execute(ENDPOINTS.apply(stmt, key, params))).scalars())
    return ENDPOINTS.page(rows, key, params, lambda e: (e.created_at, e.id))


async def get(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    ep = await authz.fetch_visible(
        session, principal, WebhookEndpoint, endpoint_id, for_update=lock
    )
    await authz.require_role(session, principal, ep.workspace_id, "webhook.manage")
    return ep


async def update(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    endpoint_id: uuid.UUID,
    body: WebhookUpdate,
) -> WebhookEndpoint:
    ep = await get(session, principal, endpoint_id, lock=True)
    fields = body.model_fields_set
    if "url" in fields and body.url is not None:
        ep.url = await _checked_url(settings, body.url)
    if "description" in fields:
        ep.description = body.description
    if "event_types" in fields and body.event_types is not None:
        ep.event_types = body.event_types
    if "enabled" in fields and body.enabled is not None:
        if body.enabled and not ep.enabled:
            ep.consecutive_failures, ep.disabled_reason = 0, None
        ep.enabled = body.enabled
    ep.updated_at = utcnow()
    await session.flush()
    return ep


async def remove(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> None:
    ep = await get(session, principal, endpoint_id, lock=True)
    await session.delete(ep)  # its deliveries and their attempts go with it (cascade)
    await session.flush()


async def rotate(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    endpoint_id: uuid.UUID,
    body: WebhookRotate,
) -> tuple[WebhookEndpoint, str]:
    ep = await get(session, principal, endpoint_id, lock=True)
    now = utcnow()
    secret = signing.new_secret()
    if body.grace_seconds:
        ep.previous_secret_enc = ep.secret_enc
        ep.previous_secret_expires_at = now + timedelta(seconds=body.grace_seconds)
    else:
        ep.previous_secret_enc, ep.previous_secret_expires_at = None, None
    ep.secret_enc = vault_for(settings).encrypt(secret)
    ep.updated_at = now
    await session.flush()
    return ep, secret


async def ping(
    session: AsyncSession, principal: Principal, settings: Settings, endpoint_id: uuid.UUID
) -> WebhookAttempt:
    """A `webhook.ping` to this endpoint only, sent now through the real delivery path (signed,
    logged, retried like any other if it fails)."""
    ep = await get(session, principal, endpoint_id)
    now = utcnow()
    event = Event(
        workspace_id=ep.workspace_id,
        project_id=ep.project_id,
        type=outbox.PING,
        data={"endpoint": {"id": str(ep.id), "url": ep.url}},
        created_at=now,
        relayed_at=now,  # never fanned out: it is for this endpoint alone
    )
    session.add(event)
    await session.flush()
    d = delivery._delivery(ep, event, now)
    d.next_attempt_at = now + timedelta(seconds=settings.webhook_timeout_seconds + 30)  # leased
    session.add(d)
    await session.commit()  # the attempt reads and settles it in its own transactions
    return await _attempt_now(session, settings, d.id)


async def _attempt_now(
    session: AsyncSession, settings: Settings, delivery_id: uuid.UUID
) -> WebhookAttempt:
    state = session.info["app_state"]
    attempt = await delivery.deliver(
        settings, state.sessionmaker, delivery_id, utcnow(), state.storage
    )
    if attempt is None:
        raise NotFound("The delivery is gone (its endpoint was deleted).")
    return attempt


async def list_attempts(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    key: bytes,
    params: PageParams,
    *,
    delivery_id: uuid.UUID | None = None,
    succeeded: bool | None = None,
) -> tuple[list[tuple[WebhookAttempt, WebhookDelivery]], str | None]:
    ep = await get(session, principal, endpoint_id)
    stmt: Any = (
        select(WebhookAttempt, WebhookDelivery)
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .where(WebhookAttempt.endpoint_id == ep.id)
    )
    if delivery_id is not None:
        stmt = stmt.where(WebhookAttempt.delivery_id == delivery_id)
    if succeeded is not None:
        stmt = stmt.where(WebhookAttempt.succeeded.is_(succeeded))
    rows = list((await session.execute(ATTEMPTS.apply(stmt, key, params))).all())
    return ATTEMPTS.page(rows, key, params, lambda r: (r[0].created_at, r[0].id))


async def redeliver(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> WebhookAttempt:
    """Send one delivery again now (same `webhook-id`), whatever its state."""
    ep = await get(session, principal, endpoint_id)
    d = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if d is None or d.endpoint_id != ep.id:
        raise NotFound()
    if not ep.enabled:
        raise Conflict("The endpoint is disabled; enable it first.")
    d.status = "pending"
    d.next_attempt_at = utcnow() + timedelta(seconds=settings.webhook_timeout_seconds + 30)
    await session.commit()
    return await _attempt_now(session, settings, d.id)
