"""The one write path for new reports: `prepare` (redaction, rows, no database), `insert` (the
rows) and `number` (keys, timeline, replies), for one report or many in one transaction.

Every intake ends here: POST /v1/bugs, extension captures and MCP write one report in the request's
transaction; widget intake writes the reports that arrived together in one transaction
(widget/batch.py). Writing N reports costs the same statements as writing one.

The human key comes from the project's counter, bumped under its row lock, held until commit, so
keys have no gaps or duplicates and a rollback gives the numbers back. On PostgreSQL the rows (the
bugs and their captures: console and network entries, one document per report) go in first,
unnumbered, in one statement; then ONE statement takes the counter locks, numbers the bugs,
writes their `created` entries and completes the idempotent replies. Only that statement and the
commit run under the lock, so many writers can fill one busy project at once. SQLite writers take
turns anyway (BEGIN IMMEDIATE): there, rows are numbered before they are inserted."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bugport.bug import captures
from bugport.bug.schemas import SEVERITY_RANK, ReportContent
from bugport.events import outbox
from bugport.kit import idempotency
from bugport.kit.bulk_insert import Rows, insert_rows, insert_select, json_payload
from bugport.kit.idempotency import Reply
from bugport.kit.redaction import Redactor
from bugport.models import Activity, Bug, BugCaptures, Event, Project
from bugport.models.base import utcnow
from bugport.similar import fingerprint


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
    """A report ready to write: redacted, with its captures; written by `insert`, then `number`."""

    id: uuid.UUID
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    source: str
    actor: Actor
    values: dict[str, Any]  # bug attributes other than ids, number and key
    logs: list[dict[str, Any]]  # its bug_captures document (bug/captures.py)
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
    logs = captures.log_entries(data.logs, red)
    network = captures.network_entries(data.network, red)
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
        **fingerprint.of_captures(logs, network, values["page_url"]).columns(),
        duplicate_of_id=None,
        created_at=now,
        updated_at=now,
    )
    return NewReport(
        id=uuid.uuid4(),
        project_id=project.id,
        workspace_id=project.workspace_id,
        source=source,
        actor=actor,
        values=values,
        logs=logs,
        network=network,
    )


def _table(model: type[Any]) -> Table:
    return model.__table__  # type: ignore[no-any-return]


_BUG_COLUMNS = {attr.key: attr.columns[0].name for attr in Bug.__mapper__.column_attrs}


@dataclass(frozen=True)
class Written:
    """A report as `number` stored it: its bug row's values by attribute name."""

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


@dataclass
class Inserted:
    """Reports whose rows are in the transaction, to be numbered by `number` (PostgreSQL) or
    already numbered (SQLite). Each report's `created` entry waits for its key."""

    attrs: list[dict[str, Any]]
    created: list[dict[str, Any]]
    numbered: bool


def _created_entries(reports: list[NewReport]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "id": uuid.uuid4(),
            "bug_id": r.id,
            "workspace_id": r.workspace_id,
            "project_id": r.project_id,
            "actor_user_id": r.actor.user_id,
            "actor_kind": r.actor.kind,
            "actor_label": r.actor.label[:400] if r.actor.label else None,
            "type": "created",
            "payload": {"source": r.source},  # + "key" once numbered
            "created_at": now,
        }
        for r in reports
    ]


async def insert(session: AsyncSession, reports: list[NewReport]) -> Inserted:
    """Insert the reports' bugs with their captures rows, in the session's transaction.

    PostgreSQL: unnumbered (`number`/`key` NULL until `number`, in this same transaction), so
    the project's counter lock is not held while these rows are written: one statement for every
    row (kit/bulk_insert.py). SQLite, whose writers never overlap: numbered here, with the
    `created` entries."""
    attrs = [
        {"id": r.id, "workspace_id": r.workspace_id, "project_id": r.project_id, **r.values}
        for r in reports
    ]
    created = _created_entries(reports)
    numbered = session.get_bind().dialect.name != "postgresql"
    if numbered and reports:
        await _number_in_turn(session, attrs, created)
    await insert_rows(
        session,
        [
            Rows(_table(Bug), [{_BUG_COLUMNS[k]: v for k, v in a.items()} for a in attrs]),
            Rows(
                _table(BugCaptures),
                [
                    {"bug_id": r.id, "logs": r.logs, "network": r.network}
                    for r in reports
                    if r.logs or r.network
                ],
            ),
            Rows(_table(Activity), created if numbered else []),
            Rows(_table(Event), outbox.created_rows(reports)),  # the outbox (events/outbox.py)
        ],
    )
    return Inserted(attrs, created, numbered)


async def number(
    session: AsyncSession, inserted: Inserted, replies: list[Reply] | None = None
) -> list[Written]:
    """Give the inserted reports their numbers and keys, write their `created` entries, and store
    `replies` (idempotent responses to replay) with the bug's key added to each body under "key".

    PostgreSQL: ONE statement, which takes the projects' counter locks (in id order, so batches
    sharing projects never deadlock) and holds them until commit: the only work done under them
    is this statement and the commit. Returns what was written, in order."""
    replies = replies or []
    if not inserted.attrs:
        await idempotency.complete_many(session, replies)
        return []
    if inserted.numbered:
        keys = {a["id"]: a["key"] for a in inserted.attrs}
        await idempotency.complete_many(
            session,
            [dataclasses.replace(r, body={**r.body, "key": keys[r.resource_id]}) for r in replies],
        )
        return [Written(a) for a in inserted.attrs]
    await session.flush()  # anything the ORM holds goes in before the locks are taken
    ordinal: dict[uuid.UUID, int] = {}
    bugs = []
    for a in inserted.attrs:
        ordinal[a["project_id"]] = ordinal.get(a["project_id"], 0) + 1
        bugs.append({"id": a["id"], "project_id": a["project_id"], "ord": ordinal[a["project_id"]]})
    rows = await session.execute(
        _NUMBERING,
        {
            "wanted": json_payload([{"project_id": p, "n": n} for p, n in ordinal.items()]),
            "bugs": json_payload(bugs),
            "created": json_payload(inserted.created),
            "replies": json_payload([idempotency.reply_row(r) for r in replies]),
            "bug_count": len(bugs),
        },
    )
    given = {bug_id: (n, key) for bug_id, n, key in rows}
    for a in inserted.attrs:
        a["number"], a["key"] = given[a["id"]]
    return [Written(a) for a in inserted.attrs]


def _key(project_key: str, number: int) -> str:
    return f"{project_key}-{number}"  # PostgreSQL spells the same in _NUMBERING


_PROJECTS = _table(Project)
# Built once: a statement object built per call is compiled-cache-keyed per call.
_BUMP = (
    update(_PROJECTS)
    .where(_PROJECTS.c.id == bindparam("project_id"))
    .values(bug_counter=_PROJECTS.c.bug_counter + bindparam("wanted"))
    .returning(_PROJECTS.c.bug_counter, _PROJECTS.c.key)
)


async def _number_in_turn(
    session: AsyncSession, attrs: list[dict[str, Any]], created: list[dict[str, Any]]
) -> None:
    """SQLite: bump each project's counter (the transaction is BEGIN IMMEDIATE: writers take
    turns) and number the rows before they are inserted."""
    wanted: dict[uuid.UUID, int] = {}
    for a in attrs:
        wanted[a["project_id"]] = wanted.get(a["project_id"], 0) + 1
    next_of: dict[uuid.UUID, tuple[int, str]] = {}
    for project_id, n in wanted.items():
        last, project_key = (
            await session.execute(_BUMP, {"project_id": project_id, "wanted": n})
        ).one()
        next_of[project_id] = (last - n + 1, project_key)
    for a, entry in zip(attrs, created, strict=True):
        n, project_key = next_of[a["project_id"]]
        next_of[a["project_id"]] = (n + 1, project_key)
        a["number"], a["key"] = n, _key(project_key, n)
        entry["payload"] = {**entry["payload"], "key": a["key"]}


# The `created` entries, inserted once their bugs are numbered (their payload gets the key).
_CREATED = insert_select(
    _table(Activity),
    "created",
    postgresql.dialect(),
    join="JOIN numbered ON numbered.id = r.bug_id",
    overrides={"payload": "r.payload || jsonb_build_object('key', numbered.key)"},
)
# PostgreSQL's numbering statement: lock the counters in id order, bump them, number the bugs,
# insert their `created` entries and complete the replies, with the keys made here. NO KEY UPDATE,
# the lock an UPDATE of the counter takes anyway: FOR UPDATE would also wait for the key-share
# locks that other writers' unnumbered bugs hold on the project (their foreign key): a deadlock.
# LIMIT :bug_count tells the planner how many rows a JSON set holds (it assumes 100, and would
# then rather scan a table it believes small than look the rows up by index).
_NUMBERING = text(f"""
WITH wanted AS (
  SELECT * FROM jsonb_to_recordset(CAST(:wanted AS jsonb)) AS w(project_id uuid, n int)
), locked AS (
  SELECT id FROM projects WHERE id IN (SELECT project_id FROM wanted) ORDER BY id FOR NO KEY UPDATE
), bumped AS (
  UPDATE projects p SET bug_counter = p.bug_counter + w.n
  FROM locked JOIN wanted w ON w.project_id = locked.id
  WHERE p.id = locked.id
  RETURNING p.id, p.key, p.bug_counter - w.n AS base
), numbered AS (
  UPDATE bugs b SET number = bumped.base + r.ord, key = bumped.key || '-' || (bumped.base + r.ord)
  FROM (
    SELECT * FROM jsonb_to_recordset(CAST(:bugs AS jsonb)) AS r(id uuid, project_id uuid, ord int)
    LIMIT :bug_count
  ) AS r
  JOIN bumped ON bumped.id = r.project_id
  WHERE b.id = r.id
  RETURNING b.id, b.number, b.key
), created AS ({_CREATED}
), replied AS (
  UPDATE idempotency_keys k SET status_code = r.status_code,
    body = r.body || jsonb_build_object('key', numbered.key),
    headers = r.headers, resource_id = r.resource_id
  FROM (
    SELECT * FROM jsonb_to_recordset(CAST(:replies AS jsonb))
      AS r(scope text, route text, key text, status_code int, body jsonb, headers jsonb,
           resource_id uuid)
    LIMIT :bug_count
  ) AS r
  JOIN numbered ON numbered.id = r.resource_id
  WHERE k.scope = r.scope AND k.route = r.route AND k.key = r.key
)
SELECT id, number, key FROM numbered""")
