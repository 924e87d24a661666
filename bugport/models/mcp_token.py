from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


class McpToken(IdMixin, Base):
    """A workspace-bound credential for AI assistants (`bp_mcp_…`). Only the SHA-256 of the token
    is stored; it acts as its creator, capped by its scopes, and only while the creator is still a
    member of the workspace."""

    __tablename__ = "mcp_tokens"
    __table_args__ = (
        Index("ix_mcp_tokens_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_mcp_tokens_created_by", "created_by_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # A token dies with its creator's account (and stops at once when the membership goes).
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    # None = every project of the workspace; otherwise a list of project id strings.
    project_ids: Mapped[list[str] | None] = mapped_column(JSONType, default=None)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_ip: Mapped[str | None] = mapped_column(String(64), default=None)

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
