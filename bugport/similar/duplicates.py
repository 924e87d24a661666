"""Marking a bug a duplicate of another, and undoing it.

A duplicate always points at the canonical bug, never along a chain: marking A a duplicate of B
when B is a duplicate of C links A to C, and A's own duplicates move to C with it. A link that
would point a bug at itself (directly or through the chain) is refused. The duplicate's status
becomes `duplicate`; undoing restores the status it had before. Both bugs get a timeline entry.
Comments and media stay on each bug; the canonical bug lists its duplicates.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity
from bugport.errors import Conflict, NotFound, ValidationFailed
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Activity, Bug
from bugport.models.base import utcnow

DUPLICATES = Keyset("bug_duplicates", [(Bug.created_at, True), (Bug.id, True)])


async def _writable(session: AsyncSession, principal: Principal, bug_id: uuid.UUID) -> Bug:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id, for_update=True)
    await authz.require_role(session, principal, bug.workspace_id, "bug.write")
    return bug


async def mark(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, target_id: uuid.UUID
) -> Bug:
    bug = await _writable(session, principal, bug_id)
    if target_id == bug.id:
        raise ValidationFailed("body.bug_id", "A bug can't be a duplicate of itself.")
    try:
        target = await authz.fetch_visible(session, principal, Bug, target_id)
    except NotFound as exc:
        raise ValidationFailed("body.bug_id", "No such bug, or you can't see it.") from exc
    if target.workspace_id != bug.workspace_id:
        raise ValidationFailed("body.bug_id", "The canonical bug must be in the same workspace.")
    canonical = target
    if target.duplicate_of_id is not None:
        try:
            canonical = await authz.fetch_visible(session, principal, Bug, target.duplicate_of_id)
        except NotFound as exc:
            raise Conflict(
                f"{target.key} is a duplicate of a bug you can't see.", code="duplicate_hidden"
            ) from exc
    if canonical.id == bug.id:
        raise Conflict(
            f"{target.key} is already a duplicate of {bug.key}: that would be a cycle.",
            code="duplicate_cycle",
        )
    if bug.duplicate_of_id == canonical.id:
        return bug
    await _move_duplicates(session, principal, bug, canonical)
    if bug.duplicate_of_id is not None:
        await _unlink(session, principal, bug, restore=False)
    previous = bug.status
    bug.status = "duplicate"
    bug.duplicate_of_id = canonical.id
    bug.updated_at = utcnow()
    await activity.record(
        session,
        bug,
        principal,
        "marked_duplicate",
        {"of": str(canonical.id), "key": canonical.key, "from": previous},
    )
    await activity.record(
        session, canonical, principal, "duplicate_added", {"bug_id": str(bug.id), "key": bug.key}
    )
    await session.flush()
    return bug


async def _move_duplicates(
    session: AsyncSession, principal: Principal, bug: Bug, canonical: Bug
) -> None:
    """`bug`'s own duplicates follow it to `canonical` (chains collapse). They are in `bug`'s
    workspace; a project-restricted credential may move only those it can see."""
    own = Bug.duplicate_of_id == bug.id
    total = (await session.execute(select(func.count()).where(own))).scalar_one()
    if not total:
        return
    visible = (await authz.visible_resolved(session, principal, Bug)).where(own)
    ids = list((await session.execute(visible.with_only_columns(Bug.id))).scalars())
    if len(ids) != total:
        raise Conflict(
            f"{bug.key} has duplicates in projects you can't see; ask someone who can.",
            code="duplicate_hidden",
        )
    await session.execute(
        update(Bug).where(Bug.id.in_(ids)).values(duplicate_of_id=canonical.id, updated_at=utcnow())
    )


async def unmark(session: AsyncSession, principal: Principal, bug_id: uuid.UUID) -> Bug:
    """Undo: the bug's status goes back to what it was; a bug that is no duplicate is left as is."""
    bug = await _writable(session, principal, bug_id)
    if bug.duplicate_of_id is not None:
        await _unlink(session, principal, bug, restore=True)
        await session.flush()
    return bug


async def _unlink(
    session: AsyncSession, principal: Principal | None, bug: Bug, *, restore: bool
) -> None:
    canonical = await session.get(Bug, bug.duplicate_of_id)
    if restore:
        bug.status = await _status_before(session, bug) if bug.status == "duplicate" else bug.status
    bug.duplicate_of_id = None
    bug.updated_at = utcnow()
    payload: dict[str, Any] = {"of": str(canonical.id) if canonical else None}
    if canonical is not None:
        payload["key"] = canonical.key
        await activity.record(
            session,
            canonical,
            principal,
            "duplicate_removed",
            {"bug_id": str(bug.id), "key": bug.key},
        )
    await activity.record(session, bug, principal, "unmarked_duplicate", payload)


async def _status_before(session: AsyncSession, bug: Bug) -> str:
    entry = (
        await session.execute(
            select(Activity.payload)
            .where(Activity.bug_id == bug.id, Activity.type == "marked_duplicate")
            .order_by(Activity.created_at.desc(), Activity.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    previous = (entry or {}).get("from")
    return previous if previous and previous != "duplicate" else "open"


async def status_changed_away(session: AsyncSession, principal: Principal, bug: Bug) -> None:
    """A PATCH moved a duplicate to another status: it is no longer a duplicate."""
    if bug.duplicate_of_id is not None:
        await _unlink(session, principal, bug, restore=False)


async def canonical_deleted(session: AsyncSession, bug: Bug) -> None:
    """Before a bug is deleted, its duplicates stop being duplicates (their status back)."""
    dups = list((await session.execute(select(Bug).where(Bug.duplicate_of_id == bug.id))).scalars())
    for dup in dups:
        await _unlink(session, None, dup, restore=True)


async def list_duplicates(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, key: bytes, params: PageParams
) -> tuple[list[Bug], str | None]:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id)
    stmt = (await authz.visible_resolved(session, principal, Bug)).where(
        Bug.duplicate_of_id == bug.id
    )
    rows = list((await session.execute(DUPLICATES.apply(stmt, key, params))).scalars())
    return DUPLICATES.page(rows, key, params, lambda b: (b.created_at, b.id))


async def duplicate_count(session: AsyncSession, principal: Principal, bug: Bug) -> int:
    stmt = (await authz.visible_resolved(session, principal, Bug)).where(
        Bug.duplicate_of_id == bug.id
    )
    return int(
        (await session.execute(stmt.with_only_columns(func.count()).order_by(None))).scalar_one()
    )
