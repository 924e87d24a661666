from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


class BugWatcher(Base):
    """Who follows a bug: its comments and status changes reach them by email. Reporters,
    assignees and commenters are added on their own; anyone may watch or unwatch."""

    __tablename__ = "bug_watchers"
    __table_args__ = (Index("ix_bug_watchers_user", "user_id"),)

    bug_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bugs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingEmail(IdMixin, Base):
    """One email being gathered: every notification for one recipient about one bug within the
    batching window lands in `items`, and one email goes when `send_after` passes."""

    __tablename__ = "pending_emails"
    __table_args__ = (
        Index("ix_pending_emails_due", "send_after"),
        Index(
            "uq_pending_emails_open",
            "user_id",
            "bug_id",
            unique=True,
            postgresql_where=text("bug_id IS NOT NULL AND claimed_at IS NULL"),
            sqlite_where=text("bug_id IS NOT NULL AND claimed_at IS NULL"),
        ),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    email: Mapped[str] = mapped_column(String(320))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    bug_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bugs.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(20))  # bug | invite
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
