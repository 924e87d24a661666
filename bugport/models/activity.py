from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


class Activity(IdMixin, Base):
    """One timeline entry, written in the same transaction as the change it records."""

    __tablename__ = "bug_activity"
    __table_args__ = (Index("ix_bug_activity_bug_created", "bug_id", "created_at", "id"),)

    bug_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # A user when a person (or their MCP token) acted; otherwise kind + label describe the actor.
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_label: Mapped[str | None] = mapped_column(String(400), default=None)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
