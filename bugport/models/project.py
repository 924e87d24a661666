from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, TimestampMixin


class Project(IdMixin, TimestampMixin, Base):
    """Groups bugs and owns widget keys; `key` prefixes human bug numbers (WEB-42)."""

    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key", name="uq_projects_workspace_key"),
        Index("ix_projects_workspace_created", "workspace_id", "created_at", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # Last human bug number handed out in this project (bugs issue); bumped under a row lock.
    bug_counter: Mapped[int] = mapped_column(Integer, default=0)
    # Extra names redacted at ingest on top of the built-in rules (kit/redaction.py).
    redact_headers: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    redact_params: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
