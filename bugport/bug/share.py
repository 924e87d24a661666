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
from bugport.bug.schemas import PublicBug, PublicLogEntry, PublicMedia, PublicNetworkEntry
from bugport.errors import NotFound, ValidationFailed
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Bug, Media, ShareLink
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


async def _active_link(session: AsyncSession, share_id: str) -> tuple[ShareLink, Bug]:
    link = (
        await session.execute(select(ShareLink).where(ShareLink.share_id == share_id))
    ).scalar_one_or_none()
    if link is None or not is_active(link):
        raise NotFound()
    bug = await session.get(Bug, link.bug_id)
    if bug is None:
        raise NotFound()
    return link, bug


async def _ready_media(session: AsyncSession, bug: Bug) -> list[Media]:
    stmt = (
        select(Media)
        .where(Media.bug_id == bug.id, Media.status == "ready")
        .order_by(Media.created_at, Media.id)
        .limit(MAX_PUBLIC_MEDIA)
    )
    return list((await session.execute(stmt)).scalars())


MAX_PUBLIC_MEDIA = 50


async def public_view(session: AsyncSession, share_id: str, base_url: str) -> PublicBug:
    """No principal: the share id is the credential. Only the fields in PublicBug leave."""
    link, bug = await _active_link(session, share_id)
    await session.execute(
        update(ShareLink)
        .where(ShareLink.id == link.id)
        .values(view_count=ShareLink.view_count + 1, last_viewed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    logs, network = await captures.all_entries(session, bug.id)
    files = f"{base_url.rstrip('/')}/v1/public/share/bug/{share_id}/media"
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
        logs=[PublicLogEntry.model_validate(x) for x in logs],
        network=[PublicNetworkEntry.model_validate(x) for x in network],
        media=[
            PublicMedia(
                kind=m.kind,
                filename=m.filename,
                content_type=m.content_type,
                size_bytes=m.size_bytes,
                url=f"{files}/{i}",
                thumbnail_url=f"{files}/{i}/thumbnail"
                if m.thumbnail_state == "ready" and m.thumbnail_key
                else None,
            )
            for i, m in enumerate(await _ready_media(session, bug))
        ],
    )


async def public_file(
    session: AsyncSession, share_id: str, index: int, *, thumbnail: bool
) -> tuple[str, str | None]:
    """(storage key, download filename) of a shared bug's index-th ready file; 404 otherwise."""
    _, bug = await _active_link(session, share_id)
    files = await _ready_media(session, bug)
    if not 0 <= index < len(files):
        raise NotFound()
    m = files[index]
    if thumbnail:
        if m.thumbnail_state != "ready" or not m.thumbnail_key:
            raise NotFound()
        return m.thumbnail_key, None
    return m.storage_key, m.filename
