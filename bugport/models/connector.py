from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, TimestampMixin, utcnow


class Connector(IdMixin, TimestampMixin, Base):
    """One workspace's OAuth connection to an issue tracker account. Tokens are stored encrypted
    (bugport/connector/vault.py) and never leave the server."""

    __tablename__ = "connectors"
    __table_args__ = (
        # Re-authorising the same provider account updates the row instead of adding one.
        UniqueConstraint(
            "workspace_id", "provider", "external_key", name="uq_connectors_workspace_account"
        ),
        Index("ix_connectors_workspace_created", "workspace_id", "created_at", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))
    # active | needs_reauth (the provider rejected the token or its refresh)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Provider account identity: GitHub user id, Linear organization+user, Jira cloud id+account.
    external_key: Mapped[str] = mapped_column(String(255))
    account_name: Mapped[str] = mapped_column(String(255))
    site_name: Mapped[str | None] = mapped_column(String(255), default=None)
    site_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    cloud_id: Mapped[str | None] = mapped_column(String(100), default=None)
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, default=None)
    # Signs the tracker's webhooks back to us (connector/sync.py); set by an admin on demand.
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text, default=None)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    last_test_at: Mapped[datetime | None] = mapped_column(default=None)
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    last_test_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class ConnectorOAuthState(IdMixin, Base):
    """A pending authorization: the `state` handed to the provider names this row, is HMAC-signed
    over its binding (provider, workspace, user, expiry) and is spent on the first callback."""

    __tablename__ = "connector_oauth_states"
    __table_args__ = (Index("ix_connector_oauth_states_expires", "expires_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))
    # PKCE verifier, encrypted like tokens (null where the provider has no PKCE).
    code_verifier_enc: Mapped[str | None] = mapped_column(Text, default=None)
    return_path: Mapped[str | None] = mapped_column(String(2000), default=None)
    site_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)


class TrackerTarget(Base):
    """Where a project's bugs go: one target per project, through one connector."""

    __tablename__ = "tracker_targets"
    __table_args__ = (Index("ix_tracker_targets_connector", "connector_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Disconnecting a tracker removes the mappings that used it.
    connector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connectors.id", ondelete="CASCADE"))
    repo: Mapped[str | None] = mapped_column(String(200), default=None)  # GitHub owner/repo
    team_id: Mapped[str | None] = mapped_column(String(100), default=None)  # Linear team id
    project_key: Mapped[str | None] = mapped_column(String(20), default=None)  # Jira project key
    issue_type: Mapped[str | None] = mapped_column(String(100), default=None)  # Jira issue type
    auto_push: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TrackerPush(IdMixin, Base):
    """One bug pushed to one tracker target. Written before the provider is called, so a retry
    knows an earlier attempt may already have created the issue and looks it up (by the marker
    `bugport:push:<id>` the issue carries) instead of creating a second one."""

    __tablename__ = "tracker_pushes"
    __table_args__ = (
        UniqueConstraint("bug_id", "connector_id", "target", name="uq_tracker_pushes_bug_target"),
        Index("ix_tracker_pushes_bug", "bug_id", "created_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    bug_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bugs.id", ondelete="CASCADE"))
    connector_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="SET NULL")
    )
    provider: Mapped[str] = mapped_column(String(20))
    # The target as pushed: "owner/repo", a Linear team id, or "PROJECT:Issue type".
    target: Mapped[str] = mapped_column(String(200))
    # pending (queued or waiting for a retry) | running | succeeded | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    external_key: Mapped[str | None] = mapped_column(String(200), default=None)
    external_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
