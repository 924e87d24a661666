from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, TimestampMixin


class WidgetKey(IdMixin, TimestampMixin, Base):
    """A project's public `bp_pub_` key: origin-restricted, create-only. Only its hash is stored.

    DELETE sets `revoked_at` (stops at once, hidden from lists); rotation issues a new key and sets
    the old one's `expires_at` (it keeps working until then)."""

    __tablename__ = "widget_keys"
    __table_args__ = (
        Index("ix_widget_keys_project_created", "project_id", "created_at", "id"),
        Index("ix_widget_keys_workspace", "workspace_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(40))
    allowed_origins: Mapped[list[str]] = mapped_column(JSONType)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    rotated_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("widget_keys.id", ondelete="SET NULL"), default=None
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
