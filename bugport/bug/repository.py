"""All SQL of the bug lists. Every statement starts from `authz.visible`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, exists, func, inspect, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import captures
from bugport.bug.schemas import BugFilters, LogEntry, NetworkEntry
from bugport.bug.search import fulltext_match
from bugport.kit.pagination import Keyset, PageParams, page_in_order
from bugport.models import Activity, Bug, Comment

# One keyset per sort; each matches an index (project_id|workspace_id, <columns>).
SORTS: dict[str, Keyset] = {
    "newest": Keyset("bugs.newest", [(Bug.created_at, True), (Bug.id, True)]),
    "oldest": Keyset("bugs.oldest", [(Bug.created_at, False), (Bug.id, False)]),
    "updated": Keyset("bugs.updated", [(Bug.updated_at, True), (Bug.id, True)]),
    "severity": Keyset(
        "bugs.severity", [(Bug.severity_rank, False), (Bug.created_at, True), (Bug.id, True)]
    ),
}
_VALUES = {
    "newest": lambda b: (b.created_at, b.id),
    "oldest": lambda b: (b.created_at, b.id),
    "updated": lambda b: (b.updated_at, b.id),
    "severity": lambda b: (b.severity_rank, b.created_at, b.id),
}
# Cursor kinds of the capture pages (bug/captures.py: paged in memory, by position).
LOGS, NETWORK = "bug_logs", "bug_network"
COMMENTS = Keyset("bug_comments", [(Comment.created_at, False), (Comment.id, False)])
ACTIVITY = Keyset("bug_activity", [(Activity.created_at, False), (Activity.id, False)])


def label_contains(dialect: str, label: str, entity: Any = Bug) -> Any:
    if dialect == "postgresql":
        return entity.labels.op("@>")(func.jsonb_build_array(label))
    each = func.json_each(entity.labels).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value == label))


def conditions(dialect: str, f: BugFilters, entity: Any = Bug) -> list[Any]:
    """The list filters other than scope, on `entity` (Bug, or an alias of it: a grouped list
    applies them again to the group's other reports)."""
    out: list[Any] = []
    if f.status:
        out.append(entity.status.in_(f.status))
    if f.severity:
        out.append(entity.severity.in_(f.severity))
    if f.assignee_id is not None:
        out.append(entity.assignee_id == f.assignee_id)
    if f.label:
        out.append(label_contains(dialect, f.label, entity))
    if f.source:
        out.append(entity.source == f.source)
    if f.reporter:
        try:
            out.append(entity.reporter_user_id == uuid.UUID(f.reporter))
        except ValueError:
            out.append(entity.reporter_email == f.reporter.strip().lower())
    if f.created_after is not None:
        out.append(entity.created_at >= f.created_after)
    if f.created_before is not None:
        out.append(entity.created_at < f.created_before)
    if f.q:
        out.append(fulltext_match(dialect, f.q, _table_name(entity)))
    return out


def _table_name(entity: Any) -> str:
    return str(inspect(entity).selectable.name)


async def filtered(session: AsyncSession, principal: Principal, f: BugFilters) -> Select[Any]:
    """The visible bugs the list filters select (not yet ordered or paged)."""
    dialect = session.get_bind().dialect.name
    stmt = await authz.visible_resolved(session, principal, Bug)
    if f.workspace_id is not None:
        stmt = stmt.where(Bug.workspace_id == f.workspace_id)
    if f.project_id is not None:
        stmt = stmt.where(Bug.project_id == f.project_id)
    return stmt.where(*conditions(dialect, f))


async def list_bugs(
    session: AsyncSession,
    principal: Principal,
    f: BugFilters,
    key: bytes,
    params: PageParams,
) -> tuple[list[Bug], str | None]:
    stmt = await filtered(session, principal, f)
    keyset = SORTS[f.sort]
    rows = list((await session.execute(keyset.apply(stmt, key, params))).scalars())
    return keyset.page(rows, key, params, _VALUES[f.sort])


async def list_logs(
    session: AsyncSession,
    bug: Bug,
    levels: list[str] | None,
    key: bytes,
    params: PageParams,
) -> tuple[list[LogEntry], str | None]:
    entries = await captures.entries(session, bug.id, "logs")
    if levels:
        entries = [e for e in entries if e["level"] in levels]
    page, nxt = page_in_order(LOGS, entries, key, params, _position)
    return [LogEntry.model_validate(e) for e in page], nxt


async def list_network(
    session: AsyncSession,
    bug: Bug,
    *,
    failed: bool | None,
    method: str | None,
    status_min: int | None,
    status_max: int | None,
    key: bytes,
    params: PageParams,
) -> tuple[list[NetworkEntry], str | None]:
    def wanted(e: dict[str, Any]) -> bool:
        status = e["status"]
        return (
            (failed is None or e["failed"] is failed)
            and (not method or e["method"] == method.upper())
            and (status_min is None or (status is not None and status >= status_min))
            and (status_max is None or (status is not None and status <= status_max))
        )

    entries = await captures.entries(session, bug.id, "network")
    page, nxt = page_in_order(NETWORK, [e for e in entries if wanted(e)], key, params, _position)
    return [NetworkEntry.model_validate(e) for e in page], nxt


def _position(entry: dict[str, Any]) -> int:
    return entry["position"]  # type: ignore[no-any-return]


async def list_activity(
    session: AsyncSession, principal: Principal, bug: Bug, key: bytes, params: PageParams
) -> tuple[list[Activity], str | None]:
    stmt = authz.visible(principal, Activity).where(Activity.bug_id == bug.id)
    rows = list((await session.execute(ACTIVITY.apply(stmt, key, params))).scalars())
    return ACTIVITY.page(rows, key, params, lambda a: (a.created_at, a.id))


async def all_of(session: AsyncSession, model: Any, bug_id: uuid.UUID, *order: Any) -> list[Any]:
    """Every row of a bug's child table (export, public share): bounded by the ingest limits."""
    return list(
        (
            await session.execute(select(model).where(model.bug_id == bug_id).order_by(*order))
        ).scalars()
    )
