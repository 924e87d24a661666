"""Media uploads: issue a presigned URL (after reserving quota), verify the object on completion,
fail/sweep what never arrived, delete with bytes given back. Takes (session, ...); never commits.

The ledger (workspace/quota.py): upload-url reserves the declared size; complete settles it to
the object's real size; fail/sweep release the reservation; delete releases the used bytes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity
from bugport.config import Settings
from bugport.db import after_commit
from bugport.errors import Conflict, NotFound, ValidationFailed
from bugport.kit.jobs import Jobs, enqueue_after_commit
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Bug, Media, Project, Workspace
from bugport.models.base import utcnow
from bugport.storage import PresignedRequest, Storage
from bugport.workspace import quota

from . import rules

log = logging.getLogger("bugport.media")
THUMBNAIL_JOB = "media.thumbnail"
WORKSPACE_OBJECTS_JOB = "media.delete_workspace_objects"


@dataclass(frozen=True)
class Runtime:
    """What media code needs besides the session; endpoints take it from app.state."""

    settings: Settings
    storage: Storage
    jobs: Jobs


def runtime(request: Request) -> Runtime:
    s = request.app.state
    return Runtime(s.settings, s.storage, s.jobs)


@dataclass(frozen=True)
class UploadSpec:
    filename: str
    content_type: str
    size_bytes: int
    kind: str


def workspace_prefix(workspace_id: uuid.UUID) -> str:
    return f"ws/{workspace_id}/"


def object_key(workspace_id: uuid.UUID, media_id: uuid.UUID) -> str:
    # Per-workspace prefix; never derived from the filename.
    return f"{workspace_prefix(workspace_id)}media/{media_id}"


def thumbnail_key(m: Media) -> str:
    return f"{m.storage_key}.thumb.webp"


def validate_spec(settings: Settings, spec: UploadSpec, field_prefix: str = "body") -> str:
    """The normalized content type, or 422 naming the field."""
    ctype = rules.normalize_type(spec.content_type)
    if ctype != spec.content_type.strip().lower():
        raise ValidationFailed(
            f"{field_prefix}.content_type",
            "Send the bare type without parameters (e.g. image/png).",
        )
    allowed = rules.ALLOWED[spec.kind]
    if ctype not in allowed:
        raise ValidationFailed(
            f"{field_prefix}.content_type",
            f"{ctype} is not allowed for {spec.kind}; allowed: {', '.join(allowed)}.",
        )
    limit = rules.max_bytes(settings, spec.kind)
    if spec.size_bytes > limit:
        raise ValidationFailed(
            f"{field_prefix}.size_bytes", f"A {spec.kind} can be at most {limit} bytes."
        )
    return ctype


async def issue_upload(
    session: AsyncSession,
    rt: Runtime,
    *,
    workspace_id: uuid.UUID,
    project_id: uuid.UUID,
    bug_id: uuid.UUID | None,
    created_by_id: uuid.UUID | None,
    source: str,
    spec: UploadSpec,
    field_prefix: str = "body",
) -> tuple[Media, PresignedRequest]:
    """Checks type and size, reserves quota (402 before any URL exists), records the pending row
    and signs a PUT URL bound to key, type and length. The caller has already checked access."""
    ctype = validate_spec(rt.settings, spec, field_prefix)
    await quota.reserve(session, rt.settings, workspace_id, spec.size_bytes)
    media_id = uuid.uuid4()
    key = object_key(workspace_id, media_id)
    ttl = rt.settings.media_upload_url_ttl_seconds
    presigned = rt.storage.presign_put(key, ctype, spec.size_bytes, ttl)
    now = utcnow()
    m = Media(
        id=media_id,
        workspace_id=workspace_id,
        project_id=project_id,
        bug_id=bug_id,
        kind=spec.kind,
        filename=spec.filename,
        content_type=ctype,
        declared_size=spec.size_bytes,
        storage_key=key,
        status="pending",
        thumbnail_state="none",
        source=source,
        created_by_id=created_by_id,
        expires_at=presigned.expires_at or now + timedelta(seconds=ttl),
        created_at=now,
        updated_at=now,
    )
    session.add(m)
    await session.flush()
    return m, presigned


async def create_upload(
    session: AsyncSession,
    rt: Runtime,
    principal: Principal,
    *,
    project_id: uuid.UUID | None,
    bug_id: uuid.UUID | None,
    spec: UploadSpec,
    source: str = "api",
) -> tuple[Media, PresignedRequest]:
    """For a project, or attached to a bug (exactly one). 404 when not visible, 403 for viewers."""
    if (project_id is None) == (bug_id is None):
        raise ValidationFailed("body.project_id", "Send exactly one of project_id or bug_id.")
    if bug_id is not None:
        bug = await authz.fetch_visible(session, principal, Bug, bug_id)
        workspace_id, project_id = bug.workspace_id, bug.project_id
    else:
        assert project_id is not None
        project = await authz.fetch_visible(session, principal, Project, project_id)
        workspace_id = project.workspace_id
    await authz.require_role(session, principal, workspace_id, "media.write")
    return await issue_upload(
        session,
        rt,
        workspace_id=workspace_id,
        project_id=project_id,
        bug_id=bug_id,
        created_by_id=principal.user_id,
        source=source,
        spec=spec,
    )


async def get_media(
    session: AsyncSession, principal: Principal, media_id: uuid.UUID, *, for_update: bool = False
) -> Media:
    m = await authz.fetch_visible(session, principal, Media, media_id, for_update=for_update)
    if m.status == "deleted":  # a tombstone waiting for the sweeper is gone for callers
        raise NotFound()
    await authz.require_role(session, principal, m.workspace_id, "media.read")
    return m


async def _writable(session: AsyncSession, principal: Principal, media_id: uuid.UUID) -> Media:
    m = await authz.fetch_visible(session, principal, Media, media_id, for_update=True)
    await session.refresh(m)  # the row as of the lock (a concurrent complete/fail may have won)
    if m.status == "deleted":
        raise NotFound()
    await authz.require_role(session, principal, m.workspace_id, "media.write")
    return m


async def complete_media(
    session: AsyncSession, rt: Runtime, m: Media, actor: Principal | None = None
) -> ValidationFailed | None:
    """Verify the stored object against the declaration. Returns the 422 to answer when it does
    not match (the media is then failed and its object deleted: that must commit, so it is
    returned rather than raised). Completing a ready media again changes nothing."""
    if m.status == "ready":
        return None
    if m.status == "failed":
        raise Conflict(
            f"This upload is failed ({m.failure_reason or 'failed'}); request a new upload URL."
        )
    info = await rt.storage.head(m.storage_key)
    if info is None:
        raise Conflict("Nothing has been uploaded for this media yet: PUT the file, then complete.")
    problem: ValidationFailed | None = None
    if info.size != m.declared_size:
        problem = ValidationFailed(
            "size_bytes",
            f"The uploaded object has {info.size} bytes; {m.declared_size} were declared.",
        )
    elif rules.normalize_type(info.content_type) != m.content_type:
        problem = ValidationFailed(
            "content_type",
            f"The uploaded object is {info.content_type or 'untyped'}; {m.content_type} was declared.",
        )
    if problem is not None:
        await rt.storage.delete(m.storage_key)
        await _mark_failed(session, m, f"mismatch: {problem.details[0]['field']}")  # type: ignore[index]
        return problem
    now = utcnow()
    await quota.settle(session, m.workspace_id, m.declared_size, info.size)
    m.status = "ready"
    m.size_bytes = info.size
    m.completed_at = now
    m.updated_at = now
    if m.content_type in rules.THUMBNAILABLE_TYPES:
        m.thumbnail_state = "pending"
        enqueue_after_commit(session, rt.jobs, THUMBNAIL_JOB, media_id=str(m.id))
    await session.flush()
    if m.bug_id is not None:
        bug = await session.get(Bug, m.bug_id)
        if bug is not None:
            await activity.record(
                session,
                bug,
                actor,
                "media_attached",
                {
                    "media_id": str(m.id),
                    "kind": m.kind,
                    "filename": m.filename,
                    "content_type": m.content_type,
                    "size_bytes": m.size_bytes,
                },
            )
            await session.flush()
    return None


async def _mark_failed(session: AsyncSession, m: Media, reason: str) -> None:
    await quota.release(session, m.workspace_id, reserved=m.declared_size)
    m.status = "failed"
    m.failure_reason = reason[:200]
    m.updated_at = utcnow()
    await session.flush()


async def complete(
    session: AsyncSession, rt: Runtime, principal: Principal, media_id: uuid.UUID
) -> tuple[Media, ValidationFailed | None]:
    m = await _writable(session, principal, media_id)
    return m, await complete_media(session, rt, m, principal)


async def fail_media(session: AsyncSession, rt: Runtime, m: Media, reason: str | None) -> None:
    """The client gave up: remove any partial object, give the reservation back. Idempotent."""
    if m.status == "failed":
        return
    if m.status == "ready":
        raise Conflict("This media is complete; delete it instead.")
    await rt.storage.delete(m.storage_key)
    await _mark_failed(session, m, f"client: {reason}" if reason else "client gave up")


async def fail(
    session: AsyncSession,
    rt: Runtime,
    principal: Principal,
    media_id: uuid.UUID,
    reason: str | None,
) -> Media:
    m = await _writable(session, principal, media_id)
    await fail_media(session, rt, m, reason)
    return m


async def _give_back(session: AsyncSession, m: Media) -> None:
    if m.status == "pending":
        await quota.release(session, m.workspace_id, reserved=m.declared_size)
    elif m.status == "ready":
        await quota.release(session, m.workspace_id, used=m.size_bytes or 0)


async def tombstone(session: AsyncSession, media: list[Media]) -> None:
    """For deletions that happen where no storage client is at hand (a bug's ON DELETE): give the
    bytes back now, hide the rows (status "deleted"), and let the sweeper remove the objects and
    rows. Also crash-safe: nothing is lost if the process dies before the objects are gone."""
    now = utcnow()
    for m in media:
        if m.status == "deleted":
            continue
        await _give_back(session, m)
        m.status = "deleted"
        m.updated_at = now
    await session.flush()


async def purge(session: AsyncSession, rt: Runtime, media: list[Media]) -> None:
    """Delete media rows, give their bytes back, and remove their objects once committed."""
    keys: list[str] = []
    for m in media:
        await _give_back(session, m)
        keys.append(m.storage_key)
        if m.thumbnail_key:
            keys.append(m.thumbnail_key)
        await session.delete(m)
    await session.flush()
    storage = rt.storage

    async def _remove() -> None:
        for key in keys:
            try:
                await storage.delete(key)
            except Exception:  # an orphaned object costs storage, never correctness
                log.exception("could not delete object %s", key)

    after_commit(session, _remove)


async def delete(
    session: AsyncSession, rt: Runtime, principal: Principal, media_id: uuid.UUID
) -> None:
    m = await _writable(session, principal, media_id)
    await purge(session, rt, [m])


async def purge_project(session: AsyncSession, app_state: Any, project: Project) -> None:
    """Before a project is deleted: its media's bytes go back to the quota, objects go away."""
    rt = Runtime(app_state.settings, app_state.storage, app_state.jobs)
    stmt = select(Media).where(Media.project_id == project.id).with_for_update()
    await purge(session, rt, list((await session.execute(stmt)).scalars()))


async def forget_workspace(session: AsyncSession, app_state: Any, ws: Workspace) -> None:
    """Before a workspace is deleted: once it is (its media rows go with it), a job removes every
    object under its prefix, uploads that never completed included."""
    enqueue_after_commit(session, app_state.jobs, WORKSPACE_OBJECTS_JOB, workspace_id=str(ws.id))


async def tombstone_bug_media(session: AsyncSession, bug: Bug) -> None:
    """Before a bug is deleted: its media's bytes go back to the quota at once; the sweeper
    removes the objects and rows (bug_id is SET NULL by the delete)."""
    stmt = select(Media).where(Media.bug_id == bug.id).with_for_update()
    await tombstone(session, list((await session.execute(stmt)).scalars()))


BUG_MEDIA = Keyset("bug_media", [(Media.created_at, False), (Media.id, False)])


async def list_bug_media(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, key: bytes, params: PageParams
) -> tuple[list[Media], str | None]:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "media.read")
    stmt = authz.visible(principal, Media).where(Media.bug_id == bug.id, Media.status != "deleted")
    rows = list((await session.execute(BUG_MEDIA.apply(stmt, key, params))).scalars())
    return BUG_MEDIA.page(rows, key, params, lambda m: (m.created_at, m.id))


async def sweep(session: AsyncSession, storage: Storage, settings: Settings, now: datetime) -> int:
    """Fail uploads whose URL expired more than the grace period ago; release their bytes."""
    cutoff = now - timedelta(seconds=settings.media_sweep_grace_seconds)
    stmt = (
        select(Media)
        .where(Media.status == "pending", Media.expires_at < cutoff)
        .order_by(Media.expires_at)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(stmt)).scalars())
    for m in rows:
        try:
            await storage.delete(m.storage_key)  # a PUT may have landed without a complete
        except Exception:
            log.exception("sweep: could not delete %s", m.storage_key)
        await _mark_failed(session, m, "expired: never completed")
    # Tombstones (bytes already given back): remove their objects, then the rows.
    stmt = (
        select(Media).where(Media.status == "deleted").limit(500).with_for_update(skip_locked=True)
    )
    dead = list((await session.execute(stmt)).scalars())
    for m in dead:
        try:
            for key in (m.storage_key, m.thumbnail_key):
                if key:
                    await storage.delete(key)
        except Exception:
            log.exception("sweep: could not delete %s; retried next sweep", m.storage_key)
            continue
        await session.delete(m)
    await session.flush()
    return len(rows) + len(dead)


def download_urls(rt: Runtime, m: Media) -> dict[str, Any]:
    out: dict[str, Any] = {
        "download_url": None,
        "download_url_expires_at": None,
        "thumbnail_url": None,
    }
    if m.status != "ready":
        return out
    ttl = rt.settings.media_download_url_ttl_seconds
    get = rt.storage.presign_get(m.storage_key, ttl, filename=m.filename)
    out["download_url"] = get.url
    out["download_url_expires_at"] = get.expires_at
    if m.thumbnail_state == "ready" and m.thumbnail_key:
        out["thumbnail_url"] = rt.storage.presign_get(m.thumbnail_key, ttl).url
    return out


def to_schema(rt: Runtime, m: Media) -> dict[str, Any]:
    return {
        "id": m.id,
        "workspace_id": m.workspace_id,
        "project_id": m.project_id,
        "bug_id": m.bug_id,
        "kind": m.kind,
        "filename": m.filename,
        "content_type": m.content_type,
        "declared_size_bytes": m.declared_size,
        "size_bytes": m.size_bytes,
        "status": m.status,
        "failure_reason": m.failure_reason,
        "thumbnail_state": m.thumbnail_state,
        "thumbnail_note": m.thumbnail_note,
        "source": m.source,
        "upload_expires_at": m.expires_at,
        "created_at": m.created_at,
        "completed_at": m.completed_at,
        **download_urls(rt, m),
    }
