from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, TimestampMixin


class Media(IdMixin, TimestampMixin, Base):
    """One uploaded file (screenshot, video, attachment, HAR). The bytes live in object storage
    under `storage_key` (BugPort-made, per-workspace prefix); this row is the ledger entry.

    status: pending (URL issued, `declared_size` reserved) -> ready (verified, `size_bytes` used)
    or failed (object removed, reservation released). thumbnail_state: none (kind has none),
    pending, ready, skipped (e.g. no ffmpeg for video posters), failed."""

    __tablename__ = "media"
    __table_args__ = (
        Index("ix_media_status_expires", "status", "expires_at"),  # the sweeper's scan
        Index("ix_media_bug_created", "bug_id", "created_at", "id"),
        Index("ix_media_project_created", "project_id", "created_at", "id"),
        Index("ix_media_workspace_kind", "workspace_id", "status", "kind"),  # usage by kind
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # SET NULL, not CASCADE: a bug's deletion first tombstones its media (bytes back to the quota,
    # objects removed by the sweeper), which a cascade would skip.
    bug_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bugs.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    declared_size: Mapped[int] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    failure_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512), default=None)
    thumbnail_state: Mapped[str] = mapped_column(String(20), default="none")
    thumbnail_note: Mapped[str | None] = mapped_column(String(200), default=None)
    source: Mapped[str] = mapped_column(String(20), default="api")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    expires_at: Mapped[datetime]  # the upload URL's expiry
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
