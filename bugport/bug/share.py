"""Share links: a public, read-only view of one bug, with optional expiry and revocation.

The public id is 32 url-safe characters from `secrets` (192 bits), unrelated to the bug id.
Unknown, expired and revoked ids all answer the same 404, checked on every read."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity, captures, service
from bugport.bug.export import media_links
from bugport.bug.schemas import LogEntry, NetworkEntry, PublicBug
from bugport.errors import NotFound, ValidationFailed
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Bug, ShareLink
from bugport.models.base import utcnow

LINKS = Keyset("share_links", [(ShareLink.created_at, True), (ShareLink.id, True)])


def page_url(public_base_url: str, share_id: str) -> str:
    """Where a share link sends people: the dashboard's public page `/s/{share_id}`, which
    renders `GET /v1/public/share/bug/{share_id}` (bugport/dashboard/serving.py serves it
    with noindex and no-referrer)."""
    return f"{public_base_url.rstrip('/')}/s/{share_id}"


def to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_share_id() -> str:
    return secrets.token_urlsafe(24)


def is_active(link: ShareLink, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return link.revoked_at is None and (link.expires_at is None or link.expires_at > now)


async def create_link(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, expires_at: datetime | None
) -> ShareLink:
    bug = await service.get_bug(session, principal, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "share.manage")
    now = utcnow()
    if expires_at is not None:
        expires_at = to_utc(expires_at)
        if expires_at <= now:
            raise ValidationFailed("body.expires_at", "expires_at must be in the future.")
    link = ShareLink(
        id=uuid.uuid4(),
        share_id=new_share_id(),
        bug_id=bug.id,
        workspace_id=bug.workspace_id,
        project_id=bug.project_id,
        created_by_id=principal.user_id,
        created_at=now,
        expires_at=expires_at,
        view_count=0,
    )
    session.add(link)
    await activity.record(
        session,
        bug,
        principal,
        "share_link_created",
        {
            "share_link_id": str(link.id),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    await session.flush()
    return link


async def list_links(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, key: bytes, params: PageParams
) -> tuple[list[ShareLink], str | None]:
    bug = await service.get_bug(session, principal, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "share.manage")
    stmt = authz.visible(principal, ShareLink).where(ShareLink.bug_id == bug.id)
    rows = list((await session.execute(LINKS.apply(stmt, key, params))).scalars())
    return LINKS.page(rows, key, params, lambda x: (x.created_at, x.id))


async def revoke_link(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, link_id: uuid.UUID
) -> None:
    bug = await service.get_bug(session, principal, bug_id)
    link = await authz.fetch_visible(session, principal, ShareLink, link_id)
    if link.bug_id != bug.id:
        raise NotFound()
    await authz.require_role(session, principal, bug.workspace_id, "share.manage")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        await activity.record(
            session, bug, principal, "share_link_revoked", {"share_link_id": str(link.id)}
        )
    await session.flush()


async def public_view(session: AsyncSession, share_id: str) -> PublicBug:
    """No principal: the share id is the credential. Only the fields in PublicBug leave."""
    link = (
        await session.execute(select(ShareLink).where(ShareLink.share_id == share_id))
    ).scalar_one_or_none()
    now = utcnow()
    if link is None or not is_active(link, now):
        raise NotFound()
    bug = await session.get(Bug, link.bug_id)
    if bug is None:
        raise NotFound()
    await session.execute(
        update(ShareLink)
        .where(ShareLink.id == link.id)
        .values(view_count=ShareLink.view_count + 1, last_viewed_at=now)
        .execution_options(synchronize_session=False)
    )
    logs, network = await captures.all_entries(session, bug.id)
    return PublicBug(
        key=bug.key,
        title=bug.title,
        description=bug.description,
        status=bug.status,  # type: ignore[arg-type]
        severity=bug.severity,  # type: ignore[arg-type]
        priority=bug.priority,  # type: ignore[arg-type]
        labels=bug.labels or [],
        page_url=bug.page_url,
        environment=bug.environment or {},
        repro_steps=bug.repro_steps,
        created_at=bug.created_at,
        updated_at=bug.updated_at,
        logs=[LogEntry.model_validate(x) for x in logs],
        network=[NetworkEntry.model_validate(x) for x in network],
        media=await media_links(session, bug, public=True),
    )
