from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, utcnow


class ShareLink(IdMixin, Base):
    """A public, read-only view of one bug. `share_id` (192 random bits) is the public handle;
    it is unrelated to the bug id and to this row's id."""

    __tablename__ = "bug_share_links"
    __table_args__ = (Index("ix_bug_share_links_bug_created", "bug_id", "created_at", "id"),)

    share_id: Mapped[str] = mapped_column(String(64), unique=True)
    bug_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(default=None)
