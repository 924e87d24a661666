"""The bug list grouped by failure (`GET /v1/bugs?group=fingerprint`).

One row per (project, fingerprint): the group's newest report that matches the filters, with
the group's count and first/last seen among the matching reports; a report with no fingerprint
is a group of its own. Groups are ordered by their newest report, newest first, so the keyset is
the newest-first keyset of the bugs themselves: a report heads its group when no newer matching
report shares its project and fingerprint, which one probe of the partial fingerprint index
answers. The page's counts come from one aggregate over the page's groups (same index).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bugport.bug import repository
from bugport.bug.schemas import BugFilters, BugGroup
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Bug

GROUPS = Keyset("bugs.groups", [(Bug.created_at, True), (Bug.id, True)])


async def page(
    session: AsyncSession, stmt: Select[Any], f: BugFilters, key: bytes, params: PageParams
) -> tuple[list[Bug], dict[uuid.UUID, BugGroup], str | None]:
    """`stmt`: the visible bugs the filters select (bug/repository.py `filtered`)."""
    dialect = session.get_bind().dialect.name
    Newer = aliased(Bug, name="newer")
    heads = stmt.where(
        or_(
            Bug.fingerprint.is_(None),
            ~exists(
                select(literal_column("1"))
                .select_from(Newer)
                .where(
                    Newer.project_id == Bug.project_id,
                    Newer.fingerprint == Bug.fingerprint,
                    or_(
                        Newer.created_at > Bug.created_at,
                        and_(Newer.created_at == Bug.created_at, Newer.id > Bug.id),
                    ),
                    *repository.conditions(dialect, f, Newer),
                )
            ),
        )
    )
    rows = list((await session.execute(GROUPS.apply(heads, key, params))).scalars())
    rows, nxt = GROUPS.page(rows, key, params, lambda b: (b.created_at, b.id))
    return rows, await _stats(session, rows, dialect, f), nxt


async def _stats(
    session: AsyncSession, heads: list[Bug], dialect: str, f: BugFilters
) -> dict[uuid.UUID, BugGroup]:
    out = {
        b.id: BugGroup(fingerprint=None, count=1, first_seen=b.created_at, last_seen=b.created_at)
        for b in heads
    }
    keyed = [b for b in heads if b.fingerprint]
    if not keyed:
        return out
    # The heads were read through the caller's scope; their groups live in the same projects.
    pairs = {(b.project_id, b.fingerprint) for b in keyed}
    Member = aliased(Bug, name="member")
    stats = (
        select(
            Member.project_id,
            Member.fingerprint,
            func.count(),
            func.min(Member.created_at),
        )
        .where(
            or_(*[and_(Member.project_id == p, Member.fingerprint == fp) for p, fp in pairs]),
            *repository.conditions(dialect, f, Member),
        )
        .group_by(Member.project_id, Member.fingerprint)
    )
    found = {
        (project_id, fp): (count, first)
        for project_id, fp, count, first in (await session.execute(stats)).all()
    }
    for b in keyed:
        count, first = found.get((b.project_id, b.fingerprint), (1, b.created_at))
        out[b.id] = BugGroup(
            fingerprint=b.fingerprint, count=count, first_seen=first, last_seen=b.created_at
        )
    return out
