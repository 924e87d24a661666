"""The one write path for new reports: `prepare` (redaction, rows, no database) and `write`
(numbers, rows, timeline) for one report or many in one transaction.

Every intake ends here: POST /v1/bugs, extension captures and MCP write one report in the request's
transaction; widget intake writes the reports that arrived together in one transaction
(widget/batch.py). Writing N reports costs the same statements as writing one: one counter bump per
project, then the bugs, their console and network rows and their timeline entries — one statement
on PostgreSQL, one executemany per table on SQLite (kit/bulk_insert.py). The human key comes from the project's counter, bumped under its row lock (held until
commit), so keys have no gaps or duplicates; a rollback gives the numbers back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bugport.bug import captures
from bugport.bug.schemas import SEVERITY_RANK, ReportContent
from bugport.kit.bulk_insert import Rows, insert_rows
from bugport.kit.redaction import Redactor
from bugport.models import Activity, Bug, BugLog, BugNetwork, Project
from bugport.models.base import utcnow


@dataclass(frozen=True)
class Reporter:
    """Who reported: a signed-in user, or the name/email a widget visitor typed."""

    user_id: uuid.UUID | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Actor:
    """The timeline's actor for the `created` entry (see activity.actor_of)."""

    kind: str
    user_id: uuid.UUID | None
    label: str | None


@dataclass(frozen=True)
class Triage:
    status: str = "open"
    severity: str = "medium"
    priority: str = "none"
    assignee_id: uuid.UUID | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class NewReport:
    """A report ready to write: redacted, with its rows; numbered by `write`."""

    id: uuid.UUID
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    project_key: str
    source: str
    actor: Actor
    values: dict[str, Any]  # bug attributes other than ids, number and key
    logs: list[dict[str, Any]]  # rows of bug_logs / bug_network, ids included
    network: list[dict[str, Any]]


def redactor_for(project: Project) -> Redactor:
    return Redactor.for_project(project.redact_headers or [], project.redact_params or [])


def prepare(
    project: Project,
    data: ReportContent,
    *,
    source: str,
    reporter: Reporter,
    actor: Actor,
    triage: Triage | None = None,
) -> NewReport:
    """Redact everything that came from the reporter and shape the rows (no database)."""
    triage = triage or Triage()
    red = redactor_for(project)
    now = utcnow()
    values: dict[str, Any] = {
        "title": red.text("title", data.title) or "",
        "description": red.text("description", data.description),
        "page_url": red.url("page_url", data.page_url),
        "environment": red.json("environment", data.environment.model_dump(exclude_none=True)),
        "custom_metadata": red.json("metadata", data.metadata),
        "repro_steps": red.text("repro_steps", data.repro_steps),
    }
    bug_id = uuid.uuid4()
    # Plain UUIDs: ids read through asyncpg are its own UUID subclass, which orjson serialises
    # through a Python callback (kit/bulk_insert.py) — a cost on every capture row.
    owner = {
        "bug_id": bug_id,
        "workspace_id": uuid.UUID(int=project.workspace_id.int),
        "project_id": uuid.UUID(int=project.id.int),
    }
    logs = captures.log_rows(data.logs, red, owner)
    network = captures.network_rows(data.network, red, owner)
    values.update(
        status=triage.status,
        severity=triage.severity,
        severity_rank=SEVERITY_RANK[triage.severity],
        priority=triage.priority,
        assignee_id=triage.assignee_id,
        labels=triage.labels,
        reporter_user_id=reporter.user_id,
        reporter_name=reporter.name,
        reporter_email=reporter.email.lower() if reporter.email else None,
        source=source,
        redactions=red.receipts,
        external_issue=None,
        log_count=len(logs),
        network_count=len(network),
        failed_request_count=sum(1 for n in network if n["failed"]),
        created_at=now,
        updated_at=now,
    )
    return NewReport(
        id=bug_id,
        project_id=project.id,
        workspace_id=project.workspace_id,
        project_key=project.key,
        source=source,
        actor=actor,
        values=values,
        logs=logs,
        network=network,
    )


async def _numbers(session: AsyncSession, reports: list[NewReport]) -> dict[uuid.UUID, int]:
    """Reserve consecutive numbers per project. Projects are bumped in id order, so two batches
    touching the same projects take their row locks in the same order (no deadlock)."""
    wanted: dict[uuid.UUID, int] = {}
    for r in reports:
        wanted[r.project_id] = wanted.get(r.project_id, 0) + 1
    first: dict[uuid.UUID, int] = {}
    for project_id in sorted(wanted):
        # UPDATE … RETURNING takes the project row lock until commit (PostgreSQL); SQLite
        # transactions are BEGIN IMMEDIATE.
        last = (
            await session.execute(_BUMP, {"project_id": project_id, "wanted": wanted[project_id]})
        ).scalar_one()
        first[project_id] = last - wanted[project_id] + 1
    numbers: dict[uuid.UUID, int] = {}
    for r in reports:
        numbers[r.id] = first[r.project_id]
        first[r.project_id] += 1
    return numbers


def _table(model: type[Any]) -> Table:
    return model.__table__  # type: ignore[no-any-return]


_PROJECTS = _table(Project)
# Built once: a statement object built per call is compiled-cache-keyed per call.
_BUMP = (
    update(_PROJECTS)
    .where(_PROJECTS.c.id == bindparam("project_id"))
    .values(bug_counter=_PROJECTS.c.bug_counter + bindparam("wanted"))
    .returning(_PROJECTS.c.bug_counter)
)
_BUG_COLUMNS = {attr.key: attr.columns[0].name for attr in Bug.__mapper__.column_attrs}


@dataclass(frozen=True)
class Written:
    """A report as `write` stored it: its bug row's values by attribute name."""

    attrs: dict[str, Any]

    @property
    def id(self) -> uuid.UUID:
        return self.attrs["id"]  # type: ignore[no-any-return]

    @property
    def key(self) -> str:
        return self.attrs["key"]  # type: ignore[no-any-return]

    @property
    def project_id(self) -> uuid.UUID:
        return self.attrs["project_id"]  # type: ignore[no-any-return]

    @property
    def workspace_id(self) -> uuid.UUID:
        return self.attrs["workspace_id"]  # type: ignore[no-any-return]

    def loaded(self, session: AsyncSession) -> Bug:
        """The bug as a persistent object of the session, as if loaded (no SELECT)."""
        bug = Bug(**self.attrs)
        make_transient_to_detached(bug)
        session.add(bug)
        return bug


async def write(session: AsyncSession, reports: list[NewReport]) -> list[Written]:
    """Number and insert the reports with their captures and `created` entries, in the session's
    transaction. Returns what was written, in order (`Written.loaded` makes a Bug of one)."""
    if not reports:
        return []
    numbers = await _numbers(session, reports)
    attrs: list[dict[str, Any]] = []
    for r in reports:
        number = numbers[r.id]
        attrs.append(
            {
                "id": r.id,
                "workspace_id": r.workspace_id,
                "project_id": r.project_id,
                "number": number,
                "key": f"{r.project_key}-{number}",
                **r.values,
            }
        )
    logs = [row for r in reports for row in r.logs]
    network = [row for r in reports for row in r.network]
    now = utcnow()
    activity = [
        {
            "id": uuid.uuid4(),
            "bug_id": r.id,
            "workspace_id": r.workspace_id,
            "project_id": r.project_id,
            "actor_user_id": r.actor.user_id,
            "actor_kind": r.actor.kind,
            "actor_label": r.actor.label[:400] if r.actor.label else None,
            "type": "created",
            "payload": {"source": r.source, "key": a["key"]},
            "created_at": now,
        }
        for r, a in zip(reports, attrs, strict=True)
    ]
    # Bugs, their console and network rows and their `created` entries: one statement on
    # PostgreSQL whatever the number of reports (kit/bulk_insert.py).
    await insert_rows(
        session,
        [
            Rows(_table(Bug), [{_BUG_COLUMNS[k]: v for k, v in a.items()} for a in attrs]),
            Rows(_table(BugLog), logs, generated_id=True),
            Rows(_table(BugNetwork), network, generated_id=True),
            Rows(_table(Activity), activity),
        ],
    )
    return [Written(a) for a in attrs]
