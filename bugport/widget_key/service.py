"""Widget keys: issue, list, edit, revoke, rotate (admin+), and resolve a `bp_pub_` credential."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.db import after_commit
from bugport.errors import NotFound, Unauthorized, ValidationFailed
from bugport.kit.crypto import generate_token, hash_token, token_hint, token_is_well_formed
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Project, WidgetKey
from bugport.models.base import utcnow
from bugport.widget_key.schemas import WidgetKeyCreate, WidgetKeyRotate, WidgetKeyUpdate

PREFIX = "bp_pub_"
KEYS = Keyset("widget_keys", [(WidgetKey.created_at, False), (WidgetKey.id, False)])
# last_used_at is a hint, not an audit trail: refresh it at most once a minute per key.
LAST_USED_GRANULARITY = timedelta(seconds=60)


class _Generation:
    """Bumped after a commit that changed any key's origins or liveness, so this process's
    preflight cache (widget/cors.py) reloads at once; other processes catch up within its TTL."""

    value = 0


GENERATION = _Generation()


def _origins_changed(session: AsyncSession) -> None:
    async def bump() -> None:
        GENERATION.value += 1

    after_commit(session, bump)


def is_live(key: WidgetKey, now: datetime) -> bool:
    return (
        key.enabled and key.revoked_at is None and (key.expires_at is None or key.expires_at > now)
    )


async def _project_for_admin(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> Project:
    project = await authz.fetch_visible(session, principal, Project, project_id)
    await authz.require_role(session, principal, project.workspace_id, "widget_key.manage")
    return project


async def _key(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, key_id: uuid.UUID
) -> WidgetKey:
    await _project_for_admin(session, principal, project_id)
    key = await authz.fetch_visible(session, principal, WidgetKey, key_id)
    if key.project_id != project_id or key.revoked_at is not None:
        raise NotFound()
    return key


def _new_key(
    project: Project, principal: Principal, label: str, origins: list[str], enabled: bool
) -> tuple[WidgetKey, str]:
    secret = generate_token(PREFIX)
    now = utcnow()
    key = WidgetKey(
        workspace_id=project.workspace_id,
        project_id=project.id,
        label=label,
        key_hash=hash_token(secret),
        key_hint=token_hint(secret, PREFIX),
        allowed_origins=origins,
        enabled=enabled,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    return key, secret


async def create_key(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, body: WidgetKeyCreate
) -> tuple[WidgetKey, str]:
    project = await _project_for_admin(session, principal, project_id)
    key, secret = _new_key(project, principal, body.label, body.allowed_origins, body.enabled)
    session.add(key)
    await session.flush()
    _origins_changed(session)
    return key, secret


async def list_keys(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    signing_key: bytes,
    params: PageParams,
) -> tuple[list[WidgetKey], str | None]:
    await _project_for_admin(session, principal, project_id)
    stmt = authz.visible(principal, WidgetKey).where(
        WidgetKey.project_id == project_id, WidgetKey.revoked_at.is_(None)
    )
    rows = list((await session.execute(KEYS.apply(stmt, signing_key, params))).scalars())
    return KEYS.page(rows, signing_key, params, lambda k: (k.created_at, k.id))


async def get_key(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, key_id: uuid.UUID
) -> WidgetKey:
    return await _key(session, principal, project_id, key_id)


async def update_key(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    body: WidgetKeyUpdate,
) -> WidgetKey:
    key = await _key(session, principal, project_id, key_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("label", "allowed_origins", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"body.{name}", f"{name} can't be null.")
    for name, value in changes.items():
        setattr(key, name, value)
    key.updated_at = utcnow()
    await session.flush()
    _origins_changed(session)
    return key


async def revoke_key(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, key_id: uuid.UUID
) -> None:
    key = await _key(session, principal, project_id, key_id)
    key.revoked_at = key.updated_at = utcnow()
    await session.flush()
    _origins_changed(session)


async def rotate_key(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    key_id: uuid.UUID,
    body: WidgetKeyRotate,
    max_grace_days: int,
) -> tuple[WidgetKey, str]:
    old = await _key(session, principal, project_id, key_id)
    now = utcnow()
    until = body.grace_until
    if until is not None:
        if until.tzinfo is None:
            raise ValidationFailed("body.grace_until", "Give a time zone (e.g. a trailing Z).")
        until = until.astimezone(UTC)
        if until <= now:
            raise ValidationFailed("body.grace_until", "grace_until must be in the future.")
        if until > now + timedelta(days=max_grace_days):
            raise ValidationFailed(
                "body.grace_until", f"grace_until may be at most {max_grace_days} days ahead."
            )
    if old.expires_at is not None and old.expires_at <= now:
        raise ValidationFailed("key_id", "This key has already expired; create a new key.")
    project = await authz.fetch_visible(session, principal, Project, project_id)
    new, secret = _new_key(project, principal, old.label, list(old.allowed_origins), old.enabled)
    session.add(new)
    await session.flush()
    old.expires_at = until or now
    old.rotated_to_id = new.id
    old.updated_at = now
    await session.flush()
    _origins_changed(session)
    return new, secret


def invalid_key() -> Unauthorized:
    # Unknown, disabled, revoked and expired keys are all the same 401 (no oracle).
    return Unauthorized("The widget key is invalid, disabled or revoked.", code="invalid_token")


async def find_key(session: AsyncSession, token_hash: str) -> WidgetKey | None:
    return (
        await session.execute(select(WidgetKey).where(WidgetKey.key_hash == token_hash))
    ).scalar_one_or_none()


def widget_principal(key: WidgetKey) -> Principal:
    return Principal(
        kind="widget_key",
        workspace_id=key.workspace_id,
        project_ids=frozenset({key.project_id}),
        credential_id=key.id,
        credential=key,
    )


def last_used_is_stale(key: WidgetKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY


async def resolve_widget_key(token: str, request: Request, session: AsyncSession) -> Principal:
    """`bp_pub_…` → Principal. The checksum is checked before any lookup; unknown, disabled,
    revoked and expired keys are all the same 401 (no oracle for which one it was)."""
    if not token_is_well_formed(token, PREFIX):
        raise Unauthorized("The widget key is malformed.", code="invalid_token")
    key = await find_key(session, hash_token(token))
    now = utcnow()
    if key is None or not is_live(key, now):
        raise invalid_key()
    if last_used_is_stale(key, now):
        # A plain UPDATE, not an ORM change, so it never conflicts with the request's own writes.
        await session.execute(
            update(WidgetKey).where(WidgetKey.id == key.id).values(last_used_at=now)
        )
    return widget_principal(key)


async def live_origin_rules(session: AsyncSession) -> list[str]:
    """Every allowed-origin entry of every live key (for answering CORS preflights)."""
    now = utcnow()
    rows = await session.execute(
        select(WidgetKey.allowed_origins).where(
            WidgetKey.enabled.is_(True),
            WidgetKey.revoked_at.is_(None),
            (WidgetKey.expires_at.is_(None)) | (WidgetKey.expires_at > now),
        )
    )
    rules: set[str] = set()
    for (origins,) in rows:
        rules.update(origins or [])
    return sorted(rules)
