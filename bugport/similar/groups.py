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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bugport.bug import repository
from bugport.bug.schemas import BugFilters, BugGroup
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Bug

COUNT_CAP = 1000
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
                    # Newer in (created_at, id) order; the first conjunct is the index range.
                    Newer.created_at >= Bug.created_at,
                    or_(Newer.created_at > Bug.created_at, Newer.id > Bug.id),
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
        b.id: BugGroup(
            fingerprint=None,
            count=1,
            count_capped=False,
            first_seen=b.created_at,
            last_seen=b.created_at,
        )
        for b in heads
    }
    keyed = [b for b in heads if b.fingerprint]
    if not keyed:
        return out
    # The heads were read through the caller's scope; their groups live in the same projects.
    # One statement, two bounded subqueries per group: the count stops at COUNT_CAP + 1 rows (a
    # page of outages would otherwise count every report of every outage), the first report is
    # the first index entry of the group that matches the filters.
    Member = aliased(Bug, name="member")
    columns: list[Any] = []
    for b in keyed:
        of_group = [
            Member.project_id == b.project_id,
            Member.fingerprint == b.fingerprint,
            *repository.conditions(dialect, f, Member),
        ]
        capped: Select[Any] = (
            select(literal_column("1")).select_from(Member).where(*of_group).limit(COUNT_CAP + 1)
        )
        columns.append(select(func.count()).select_from(capped.subquery()).scalar_subquery())
        columns.append(
            select(Member.created_at)
            .where(*of_group)
            .order_by(Member.created_at, Member.id)
            .limit(1)
            .scalar_subquery()
        )
    row = (await session.execute(select(*columns))).one()
    for i, b in enumerate(keyed):
        count, first = row[2 * i], row[2 * i + 1]
        out[b.id] = BugGroup(
            fingerprint=b.fingerprint,
            count=min(count or 1, COUNT_CAP),
            count_capped=(count or 0) > COUNT_CAP,
            first_seen=_aware(first) if first is not None else b.created_at,
            last_seen=b.created_at,
        )
    return out


def _aware(value: Any) -> Any:
    """A scalar subquery's timestamp: the column type's processing may not apply to it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
