"""Bug reports: the one create path every intake uses, list/search, update, delete.
Takes (session, principal, ...); never commits (the request owns the transaction)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity, repository, writer
from bugport.bug.schemas import (
    MAX_ENTRY_BYTES,
    MAX_LABELS,
    MAX_LOGS_BYTES,
    MAX_NETWORK_BYTES,
    SEVERITY_RANK,
    BugData,
    BugFilters,
    BugGroup,
    BugUpdate,
    BulkUpdate,
    ReportContent,
)
from bugport.errors import NotFound, PayloadTooLarge, ValidationFailed
from bugport.kit.pagination import PageParams
from bugport.models import Bug, Project
from bugport.models.base import utcnow
from bugport.similar import duplicates, groups


def reporter_of(principal: Principal) -> writer.Reporter:
    user = principal.user
    if user is None:
        return writer.Reporter()
    return writer.Reporter(user.id, user.name, user.email)


def _entry_size(entry: BaseModel) -> int:
    try:
        return len(entry.__pydantic_serializer__.to_json(entry))
    except PydanticSerializationError:
        # Lone surrogates (redaction replaces them later) don't encode as UTF-8: count them.
        dumped = json.dumps(entry.model_dump(mode="python"), ensure_ascii=False, default=str)
        return len(dumped.encode("utf-8", "surrogatepass"))


# What one entry's stored JSON can add to its bytes in the request: the fields it left out,
# written with their defaults (~200 bytes at most), and number/date normalisation.
ENTRY_SLACK = 512


def check_sizes(data: ReportContent, body_bytes: int | None = None) -> None:
    """Byte limits per entry and per array (413 naming the field); counts and string lengths are
    already enforced by the schema (422). With the request's size known, a body too small to
    reach any limit is not measured entry by entry."""
    if body_bytes is not None:
        bound = body_bytes + ENTRY_SLACK * (len(data.logs) + len(data.network))
        if bound <= min(MAX_ENTRY_BYTES, MAX_LOGS_BYTES, MAX_NETWORK_BYTES):
            return
    for name, entries, cap in (
        ("logs", data.logs, MAX_LOGS_BYTES),
        ("network", data.network, MAX_NETWORK_BYTES),
    ):
        total = 0
        for i, entry in enumerate(entries):
            # Compact UTF-8 JSON, as stored (pydantic's serializer: no Python-side dump).
            size = _entry_size(entry)
            if size > MAX_ENTRY_BYTES:
                raise PayloadTooLarge(
                    f"body.{name}.{i} is {size} bytes; an entry may be {MAX_ENTRY_BYTES}.",
                    details=[
                        {"field": f"body.{name}.{i}", "message": f"over {MAX_ENTRY_BYTES} bytes"}
                    ],
                )
            total += size
        if total > cap:
            raise PayloadTooLarge(
                f"body.{name} is {total} bytes; the array may be {cap}. Attach a HAR file instead.",
                details=[{"field": f"body.{name}", "message": f"over {cap} bytes"}],
            )


async def _check_assignee(
    session: AsyncSession, workspace_id: uuid.UUID, assignee_id: uuid.UUID | None
) -> None:
    if assignee_id is None:
        return
    if not await authz.members_among(session, workspace_id, user_ids={assignee_id}):
        raise ValidationFailed(
            "body.assignee_id", "The assignee must be a member of the workspace."
        )


async def create_bug(
    session: AsyncSession,
    principal: Principal,
    data: BugData,
    *,
    source: str,
    project_id: uuid.UUID,
    reporter: writer.Reporter | None = None,
    actor_label: str | None = None,
) -> Bug:
    """Create one report with its logs, network entries and `created` activity in the caller's
    transaction, through the shared writer (bug/writer.py)."""
    project = await authz.writable_project(session, principal, project_id, "bug.write")
    if principal.kind == "mcp_token":
        source = "mcp"
    check_sizes(data)
    await _check_assignee(session, project.workspace_id, data.assignee_id)
    report = writer.prepare(
        project,
        data,
        source=source,
        reporter=reporter or reporter_of(principal),
        actor=writer.Actor(*activity.actor_of(principal, actor_label)),
        triage=writer.Triage(
            status=data.status,
            severity=data.severity,
            priority=data.priority,
            assignee_id=data.assignee_id,
            labels=data.labels,
        ),
    )
    inserted = await writer.insert(session, [report])
    for hook in AFTER_CREATE:  # trackers with auto-push queue the push (bugport/hooks.py)
        await hook(session, [report])
    (written,) = await writer.number(session, inserted)
    return written.loaded(session)


async def get_bug(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, *, for_update: bool = False
) -> Bug:
    """A visible bug (404 otherwise); reading needs the viewer role, which every member has."""
    return await authz.fetch_visible(session, principal, Bug, bug_id, for_update=for_update)


BUG_KEY = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,9})")


async def resolve_bug_ref(session: AsyncSession, principal: Principal, ref: str) -> uuid.UUID:
    """A bug's id from its id or its human key (`APP-1`, any case), within the principal's scope:
    an invisible key is as unknown as a key that does not exist (404)."""
    ref = ref.strip()
    try:
        return uuid.UUID(ref)
    except ValueError:
        pass
    m = BUG_KEY.fullmatch(ref)
    if m is None:
        raise ValidationFailed("bug_id", "Not a bug id (UUID) or a bug key like APP-1.")
    stmt = (
        authz.visible(principal, Bug)
        .join(Project, Project.id == Bug.project_id)
        .where(Project.key == m.group(1).upper(), Bug.number == int(m.group(2)))
        .with_only_columns(Bug.id)
        .limit(2)
    )
    ids = (await session.execute(stmt)).scalars().all()
    if not ids:
        raise NotFound()
    if len(ids) > 1:  # a user in two workspaces whose projects share a key
        raise ValidationFailed(
            "bug_id", f"{ref} names a bug in more than one of your workspaces: use its id."
        )
    return ids[0]


async def list_bugs(
    session: AsyncSession,
    principal: Principal,
    filters: BugFilters,
    key: bytes,
    params: PageParams,
) -> tuple[list[Bug], str | None]:
    await _check_list_scope(session, principal, filters)
    return await repository.list_bugs(session, principal, filters, key, params)


async def list_groups(
    session: AsyncSession,
    principal: Principal,
    filters: BugFilters,
    key: bytes,
    params: PageParams,
) -> tuple[list[Bug], dict[uuid.UUID, BugGroup], str | None]:
    """The list grouped by failure fingerprint (bugport/similar/groups.py)."""
    await _check_list_scope(session, principal, filters)
    stmt = await repository.filtered(session, principal, filters)
    return await groups.page(session, stmt, filters, key, params)


async def _check_list_scope(session: AsyncSession, principal: Principal, f: BugFilters) -> None:
    if f.workspace_id is not None:
        await authz.require_workspace(session, principal, f.workspace_id, "bug.read")
    if f.project_id is not None:
        await authz.fetch_visible(session, principal, Project, f.project_id)


_NULLABLE = {"description", "assignee_id", "repro_steps"}


async def update_bug(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, body: BugUpdate
) -> Bug:
    bug = await get_bug(session, principal, bug_id, for_update=True)
    await authz.require_role(session, principal, bug.workspace_id, "bug.write")
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in _NULLABLE:
            raise ValidationFailed(f"body.{name}", f"{name} can't be null.")
    if not changes:
        return bug
    await _apply(session, principal, bug, changes)
    await session.flush()
    return bug


async def bulk_update(
    session: AsyncSession, principal: Principal, body: BulkUpdate
) -> tuple[list[Bug], list[uuid.UUID]]:
    """Apply one set of triage changes to up to 100 bugs in the request's one transaction.
    Each id is scoped as the single PATCH scopes it: an id the caller can't see is only reported
    back (never a 404 for the batch, never a hint that it exists); a visible bug in a workspace
    where the caller may not write refuses the whole batch (403) so nothing half-applies."""
    changes = body.changes.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "assignee_id":
            raise ValidationFailed(f"body.changes.{name}", f"{name} can't be null.")
    ids = list(dict.fromkeys(body.ids))
    # Locked in id order: two overlapping bulk edits can't deadlock each other.
    stmt = authz.visible(principal, Bug).where(Bug.id.in_(ids)).order_by(Bug.id).with_for_update()
    bugs = list((await session.execute(stmt)).scalars())
    found = {b.id for b in bugs}
    for workspace_id in dict.fromkeys(b.workspace_id for b in bugs):
        await authz.require_role(session, principal, workspace_id, "bug.write")
        if changes.get("assignee_id") is not None:
            try:
                await _check_assignee(session, workspace_id, changes["assignee_id"])
            except ValidationFailed:
                raise ValidationFailed(
                    "body.changes.assignee_id",
                    "The assignee must be a member of every selected bug's workspace.",
                ) from None
    label_change = changes.pop("labels", None)
    for bug in bugs:
        per_bug = dict(changes)
        if label_change is not None:
            per_bug["labels"] = _edit_labels(bug.labels or [], label_change)
        # The assignee was checked once per workspace above, not again per bug.
        await _apply(session, principal, bug, per_bug, assignee_checked=True)
    await session.flush()
    by_id = {b.id: b for b in bugs}
    return [by_id[i] for i in ids if i in by_id], [i for i in ids if i not in found]


def _edit_labels(current: list[str], change: dict[str, Any]) -> list[str]:
    if change.get("set") is not None:
        return list(change["set"])
    remove = set(change.get("remove") or [])
    out = [x for x in current if x not in remove]
    out += [x for x in change.get("add") or [] if x not in out]
    if len(out) > MAX_LABELS:
        raise ValidationFailed(
            "body.changes.labels", f"A bug may carry {MAX_LABELS} labels; this edit exceeds it."
        )
    return out


async def _apply(
    session: AsyncSession,
    principal: Principal,
    bug: Bug,
    changes: dict[str, Any],
    *,
    assignee_checked: bool = False,
) -> None:
    """Set the changed fields of one visible, writable bug and record one activity per change."""
    project = await session.get(Project, bug.project_id)
    assert project is not None
    red = writer.redactor_for(project)
    events: list[tuple[str, dict[str, Any]]] = []
    if "status" in changes and changes["status"] != bug.status:
        if changes["status"] == "duplicate":
            raise ValidationFailed(
                "body.status",
                "Mark a duplicate with POST /v1/bugs/{bug_id}/duplicate-of, naming the canonical bug.",
            )
        await duplicates.status_changed_away(session, principal, bug)
    for name in ("status", "severity", "priority"):
        if name in changes and changes[name] != getattr(bug, name):
            events.append((f"{name}_changed", {"from": getattr(bug, name), "to": changes[name]}))
            setattr(bug, name, changes[name])
    if "severity" in changes:
        bug.severity_rank = SEVERITY_RANK[bug.severity]
    if "assignee_id" in changes and changes["assignee_id"] != bug.assignee_id:
        if not assignee_checked:
            await _check_assignee(session, bug.workspace_id, changes["assignee_id"])
        events.append(
            (
                "assignee_changed",
                {
                    "from": str(bug.assignee_id) if bug.assignee_id else None,
                    "to": str(changes["assignee_id"]) if changes["assignee_id"] else None,
                },
            )
        )
        bug.assignee_id = changes["assignee_id"]
    if "labels" in changes and changes["labels"] != bug.labels:
        old, new = bug.labels or [], changes["labels"]
        events.append(
            (
                "labels_changed",
                {
                    "added": [x for x in new if x not in old],
                    "removed": [x for x in old if x not in new],
                },
            )
        )
        bug.labels = new
    if "title" in changes:
        title = red.text("title", changes["title"]) or ""
        if title != bug.title:
            events.append(("title_edited", {"from": bug.title, "to": title}))
            bug.title = title
    for name, event in (
        ("description", "description_edited"),
        ("repro_steps", "repro_steps_edited"),
    ):
        if name in changes:
            value = red.text(name, changes[name])
            if value != getattr(bug, name):
                events.append((event, {}))
                setattr(bug, name, value)
    if "metadata" in changes:
        value = red.json("metadata", changes["metadata"])
        if value != bug.custom_metadata:
            events.append(("metadata_changed", {}))
            bug.custom_metadata = value
    if red.receipts:
        bug.redactions = [
            *(bug.redactions or []),
            *[r for r in red.receipts if r not in (bug.redactions or [])],
        ]
    if events:
        bug.updated_at = utcnow()
        for type_, payload in events:
            await activity.record(session, bug, principal, type_, payload)


# Run in the creating transaction once the bug rows are written (connector auto-push). Each hook:
# async (session, [reports]). Registered in bugport/hooks.py.
AFTER_CREATE: list[Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]] = []

# Run in the deleting transaction before a bug row goes (media gives its bytes back to the
# quota and hands its objects to the sweeper). Each hook: async (session, bug).
BEFORE_DELETE: list[Callable[[AsyncSession, Bug], Awaitable[None]]] = []


async def delete_bug(session: AsyncSession, principal: Principal, bug_id: uuid.UUID) -> None:
    bug = await get_bug(session, principal, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "bug.delete")
    for hook in BEFORE_DELETE:
        await hook(session, bug)
    # Logs, network, comments, activity and share links go with it (ON DELETE CASCADE).
    await session.execute(delete(Bug).where(Bug.id == bug.id))
    session.expunge(bug)
