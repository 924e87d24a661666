"""a report's console and network entries as one row: bug_captures

Console and network entries were ~70 rows per report in `bug_logs` / `bug_network`, each with its
index entry, written in every intake and only ever read per bug, in order. They become two JSON
documents (a list each) in one `bug_captures` row per report, which goes with its bug by a plain
cascading foreign key (one check per report), so the `bugs_delete_captures` trigger goes.

Entry ids were random and stored; they are now derived from the bug id and the position
(bug/captures.py, uuid5), so the ids of entries written before this migration change once. Nothing
stores them. Cursors of the /logs and /network pages stay valid (they hold the position).

Revision ID: 0012_capture_documents
Revises: 0011_capture_cascade
Create Date: 2026-11-29 00:40:00
"""

import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

import bugport.models.base
from bugport.models.base import JSONType

revision: str = "0012_capture_documents"
down_revision: str | None = "0011_capture_cascade"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Stamp = bugport.models.base.UTCDateTime(timezone=True)
LOG_FIELDS: dict[str, Any] = {
    "level": sa.String(10),
    "message": sa.Text(),
    "args": JSONType,
    "stack": sa.Text(),
    "timestamp": Stamp,
    "source": sa.Text(),
}
NETWORK_FIELDS: dict[str, Any] = {
    "method": sa.String(16),
    "url": sa.Text(),
    "status": sa.Integer(),
    "failed": sa.Boolean(),
    "request_headers": JSONType,
    "response_headers": JSONType,
    "timing": JSONType,
    "request_size": sa.Integer(),
    "response_size": sa.Integer(),
    "request_body": sa.Text(),
    "response_body": sa.Text(),
    "error": sa.Text(),
    "started_at": Stamp,
}
STAMPS = ("timestamp", "started_at")
_NULLABLE = {
    "logs": {"stack", "timestamp", "source"},
    "network": {
        "status",
        "request_size",
        "response_size",
        "request_body",
        "response_body",
        "error",
        "started_at",
    },
}
KINDS = {"logs": ("bug_logs", LOG_FIELDS), "network": ("bug_network", NETWORK_FIELDS)}
OWNER: dict[str, Any] = {"bug_id": sa.Uuid(), "workspace_id": sa.Uuid(), "project_id": sa.Uuid()}

CAPTURES = sa.table(
    "bug_captures",
    sa.column("bug_id", sa.Uuid()),
    sa.column("logs", JSONType),
    sa.column("network", JSONType),
)
BUGS = sa.table("bugs", *[sa.column(c, sa.Uuid()) for c in ("id", "workspace_id", "project_id")])
BATCH = 200  # bugs per read and write, and the progress step


def _old_table(kind: str) -> sa.TableClause:
    name, fields = KINDS[kind]
    return sa.table(
        name,
        *[sa.column(c, t) for c, t in OWNER.items()],
        sa.column("position", sa.Integer()),
        sa.column("id", sa.Uuid()),
        *[sa.column(c, t) for c, t in fields.items()],
    )


def _entry(kind: str, row: Any) -> dict[str, Any]:
    entry = {c: getattr(row, c) for c in KINDS[kind][1]}
    for c in STAMPS:
        if isinstance(entry.get(c), datetime):
            entry[c] = entry[c].astimezone(UTC).isoformat()
    return entry


_last_said = [0.0]


def _progress(what: str, done: int, *, last: bool = False) -> None:
    """A line every few seconds (and at the end): a big table takes minutes."""
    if last or time.monotonic() - _last_said[0] >= 2:
        _last_said[0] = time.monotonic()
        print(f"  0012: {what}: {done} bugs", file=sys.stderr, flush=True)


def _by_bug(conn: sa.Connection, table: Any, column: Any) -> Iterator[list[Any]]:
    """A table's ids of bugs, BATCH at a time, in order: keyset pages (PostgreSQL keeps a streaming
    cursor open until commit, and a table with one open cannot be dropped)."""
    after = None
    while True:
        stmt = sa.select(column).distinct().order_by(column).limit(BATCH)
        if after is not None:
            stmt = stmt.where(column > after)
        ids = list(conn.execute(stmt).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]


def _documents(conn: sa.Connection, kind: str) -> Iterator[list[tuple[uuid.UUID, list[Any]]]]:
    """Each bug's entries of one kind, in order, BATCH bugs at a time."""
    old = _old_table(kind)
    for ids in _by_bug(conn, old, old.c.bug_id):
        rows = conn.execute(
            sa.select(old).where(old.c.bug_id.in_(ids)).order_by(old.c.bug_id, old.c.position)
        )
        documents: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for row in rows:
            documents.setdefault(row.bug_id, []).append(_entry(kind, row))
        yield list(documents.items())


def _fill(conn: sa.Connection) -> None:
    """Move every bug's entries into its bug_captures row: console entries make the rows, network
    entries are added to them (or make their own: a bug may have only those)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for kind in KINDS:
        stmt = dialect_insert(CAPTURES)
        if kind == "network":
            stmt = stmt.on_conflict_do_update(
                index_elements=["bug_id"], set_={"network": stmt.excluded.network}
            )
        done = 0
        for documents in _documents(conn, kind):
            conn.execute(
                stmt,
                [
                    {"bug_id": bug_id, "logs": [], "network": [], kind: document}
                    for bug_id, document in documents
                ],
            )
            done += len(documents)
            _progress(kind, done)
        if done:  # a fresh database has nothing to move: say nothing
            _progress(f"{kind} moved", done, last=True)


def _unfill(conn: sa.Connection) -> None:
    """Back to one row per entry, with the ids the API showed."""
    doc = sa.select(CAPTURES, BUGS.c.workspace_id, BUGS.c.project_id).join(
        BUGS, BUGS.c.id == CAPTURES.c.bug_id
    )
    done = 0
    for ids in _by_bug(conn, CAPTURES, CAPTURES.c.bug_id):
        chunk = conn.execute(doc.where(CAPTURES.c.bug_id.in_(ids))).all()
        for kind in KINDS:
            rows = [
                {
                    "bug_id": r.bug_id,
                    "workspace_id": r.workspace_id,
                    "project_id": r.project_id,
                    "position": i,
                    "id": uuid.uuid5(r.bug_id, f"{kind}/{i}"),
                    **{c: _stamp(c, v) for c, v in e.items()},
                }
                for r in chunk
                for i, e in enumerate(getattr(r, kind) or [])
            ]
            if rows:
                conn.execute(_old_table(kind).insert(), rows)
        done += len(chunk)
        _progress("entries restored", done)
    _progress("entries restored", done, last=True)


def _stamp(column: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if column in STAMPS and value else value


def _old_tables() -> None:
    for kind, (name, fields) in KINDS.items():
        op.create_table(
            name,
            *[sa.Column(c, t, nullable=False) for c, t in OWNER.items()],
            sa.Column("position", sa.Integer(), nullable=False),
            *[sa.Column(c, t, nullable=c in _NULLABLE[kind]) for c, t in fields.items()],
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(
                ["project_id"],
                ["projects.id"],
                name=op.f(f"fk_{name}_project_id_projects"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["workspace_id"],
                ["workspaces.id"],
                name=op.f(f"fk_{name}_workspace_id_workspaces"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("bug_id", "position", name=op.f(f"pk_{name}")),
        )


# As migration 0011 made it.
PG_TRIGGER = [
    """
    CREATE FUNCTION bugs_delete_captures() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM bug_logs WHERE bug_id IN (SELECT id FROM gone);
      DELETE FROM bug_network WHERE bug_id IN (SELECT id FROM gone);
      RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER bugs_delete_captures AFTER DELETE ON bugs REFERENCING OLD TABLE AS gone "
    "FOR EACH STATEMENT EXECUTE FUNCTION bugs_delete_captures()",
]
SQLITE_TRIGGER = [
    "CREATE TRIGGER bugs_delete_captures AFTER DELETE ON bugs BEGIN "
    "DELETE FROM bug_logs WHERE bug_id = old.id; "
    "DELETE FROM bug_network WHERE bug_id = old.id; END",
]


def upgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "bug_captures",
        sa.Column("bug_id", sa.Uuid(), nullable=False),
        sa.Column("logs", JSONType, nullable=False),
        sa.Column("network", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["bug_id"], ["bugs.id"], name=op.f("fk_bug_captures_bug_id_bugs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("bug_id", name=op.f("pk_bug_captures")),
    )
    _fill(conn)
    if conn.dialect.name == "postgresql":
        op.execute("DROP TRIGGER bugs_delete_captures ON bugs")
        op.execute("DROP FUNCTION bugs_delete_captures()")
    else:
        op.execute("DROP TRIGGER bugs_delete_captures")
    for name, _ in KINDS.values():
        op.drop_table(name)


def downgrade() -> None:
    conn = op.get_bind()
    _old_tables()
    for sql in PG_TRIGGER if conn.dialect.name == "postgresql" else SQLITE_TRIGGER:
        op.execute(sql)
    _unfill(conn)
    op.drop_table("bug_captures")
