from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


class AuditEntry(IdMixin, Base):
    """One call made with an MCP token, allowed or denied. Written in its own short transaction
    after the outcome is known (a failed request rolls its own session back). Append-only: the API
    has no route that edits or deletes an entry."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_audit_log_token_created", "token_id", "created_at", "id"),
        Index(
            "ix_audit_log_workspace_outcome_created", "workspace_id", "outcome", "created_at", "id"
        ),
        Index("ix_audit_log_workspace_tool_created", "workspace_id", "tool", "created_at", "id"),
        Index("ix_audit_log_workspace_route_created", "workspace_id", "route", "created_at", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Kept when a token row goes away only with its workspace or creator (CASCADE there).
    token_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mcp_tokens.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(300))  # route template, never the raw query string
    tool: Mapped[str | None] = mapped_column(String(100), default=None)
    bug_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))  # allowed | denied | failed
    error_code: Mapped[str | None] = mapped_column(String(50), default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    mcp_client: Mapped[str | None] = mapped_column(String(200), default=None)
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
