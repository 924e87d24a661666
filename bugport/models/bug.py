"""Bug reports and what arrives with them (console logs, network captures)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


def _partial(name: str, column: str, *columns: str) -> tuple[Index]:
    where = text(f"{column} IS NOT NULL")
    return (Index(name, *columns, postgresql_where=where, sqlite_where=where),)


class Bug(IdMixin, Base):
    """One report. `number` is the per-project human number (WEB-42 = project key + number).

    The full-text objects (PostgreSQL `search_vector` generated column + GIN, SQLite `bugs_fts`
    FTS5 table + triggers) are created by the migration and stay out of the model on purpose:
    the ORM never writes them, the database keeps them current."""

    __tablename__ = "bugs"
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_bugs_project_number"),
        # One index per sort (keyset pages seek along them) and per list filter.
        Index("ix_bugs_project_created", "project_id", "created_at", "id"),
        Index("ix_bugs_project_updated", "project_id", "updated_at", "id"),
        Index("ix_bugs_project_severity", "project_id", "severity_rank", "created_at", "id"),
        Index("ix_bugs_project_status_created", "project_id", "status", "created_at", "id"),
        Index("ix_bugs_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_bugs_workspace_updated", "workspace_id", "updated_at", "id"),
        Index("ix_bugs_workspace_severity", "workspace_id", "severity_rank", "created_at", "id"),
        Index("ix_bugs_assignee_created", "assignee_id", "created_at", "id"),
        Index("ix_bugs_reporter_user", "reporter_user_id", "created_at"),
        Index("ix_bugs_reporter_email", "reporter_email", "created_at"),
        Index("ix_bugs_project_source_created", "project_id", "source", "created_at"),
        # Similar bugs and groups (bugport/similar/): partial, so reports without a captured
        # failure cost these indexes nothing at intake.
        *_partial(
            "ix_bugs_project_fingerprint",
            "fingerprint",
            "project_id",
            "fingerprint",
            "created_at",
            "id",
        ),
        *_partial(
            "ix_bugs_workspace_fingerprint",
            "fingerprint",
            "workspace_id",
            "fingerprint",
            "created_at",
            "id",
        ),
        *_partial(
            "ix_bugs_workspace_fp_request",
            "fp_request",
            "workspace_id",
            "fp_request",
            "created_at",
            "id",
        ),
        *_partial(
            "ix_bugs_workspace_fp_error", "fp_error", "workspace_id", "fp_error", "created_at", "id"
        ),
        *_partial("ix_bugs_duplicate_of", "duplicate_of_id", "duplicate_of_id", "created_at", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # Set on every stored bug. On PostgreSQL they may be NULL inside the writing transaction only:
    # bug/writer.py inserts the rows first and numbers them last (migration 0009).
    number: Mapped[int] = mapped_column(Integer, nullable=True)
    key: Mapped[str] = mapped_column(String(24), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="open")
    severity: Mapped[str] = mapped_column(String(20), default="medium")
    # critical=0 … low=3: "severity" sort is an ascending index walk.
    severity_rank: Mapped[int] = mapped_column(Integer, default=2)
    priority: Mapped[str] = mapped_column(String(20), default="none")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reporter_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    reporter_name: Mapped[str | None] = mapped_column(String(200), default=None)
    reporter_email: Mapped[str | None] = mapped_column(String(320), default=None)
    source: Mapped[str] = mapped_column(String(20))
    page_url: Mapped[str | None] = mapped_column(Text, default=None)
    environment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    custom_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    repro_steps: Mapped[str | None] = mapped_column(Text, default=None)
    # Redaction receipt: [{"path": "network[0].request_headers.authorization", "rule": "header"}]
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Filled by tracker connectors: {"provider", "key", "url", "pushed_at"}.
    external_issue: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    log_count: Mapped[int] = mapped_column(Integer, default=0)
    network_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_request_count: Mapped[int] = mapped_column(Integer, default=0)
    # The failure fingerprint and its two parts (bugport/similar/fingerprint.py), set at ingest.
    fingerprint: Mapped[str | None] = mapped_column(String(32), default=None)
    fp_request: Mapped[str | None] = mapped_column(String(300), default=None)
    fp_error: Mapped[str | None] = mapped_column(String(300), default=None)
    # Set when marked a duplicate (status `duplicate`): always the canonical bug, never a chain.
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bugs.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BugCaptures(Base):
    """A report's console and network entries, redacted, as one row: written in the statement
    that inserts its bug, read whole (the intake limits bound it: 1000 console and 500 network
    entries). Entries are positional; bug/captures.py gives each its id and reads them."""

    __tablename__ = "bug_captures"

    bug_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bugs.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"level", "message", "args", "stack", "timestamp", "source"}, …]
    logs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # [{"method", "url", "status", "failed", "request_headers", …, "started_at"}, …]
    network: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
