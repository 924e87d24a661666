"""The bug timeline. `record` is THE way any feature (bugs, comments, media, share links,
connectors) adds an entry; it joins the caller's transaction, so the entry commits or rolls back
with the change it describes, and so does its event in the outbox (events/outbox.py).

Types and payloads (docs/api.md lists them for clients):
  created {source, key} · status_changed / severity_changed / priority_changed {from, to} ·
  assignee_changed {from, to} · labels_changed {added, removed} · title_edited {from, to} ·
  description_edited {} · repro_steps_edited {} · metadata_changed {} ·
  commented / comment_edited / comment_deleted {comment_id} · media_attached {media_id, ...} ·
  share_link_created / share_link_revoked {share_link_id, expires_at?} ·
  tracker_pushed {provider, key, url}
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.events import outbox
from bugport.models import Activity
from bugport.models.base import utcnow


def actor_of(principal: Principal | None, label: str | None = None) -> tuple[str, Any, str | None]:
    """(kind, user id, label). Widget and extension intake pass a label describing the reporter."""
    if principal is None:
        return "system", None, label
    if principal.kind == "user":
        user = principal.user
        return "user", principal.user_id, label or (user.name or user.email if user else None)
    if principal.kind == "mcp_token":
        name = getattr(principal.credential, "name", None)
        return (
            "mcp_token",
            principal.user_id,
            label or (f"MCP token {name}" if name else "MCP token"),
        )
    return principal.kind, None, label or "widget"


class BugRef(Protocol):
    """What an entry needs of its bug: a Bug, or a report bug/writer.py is writing."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def project_id(self) -> uuid.UUID: ...
    @property
    def workspace_id(self) -> uuid.UUID: ...


async def record(
    session: AsyncSession,
    bug: BugRef,
    actor_principal: Principal | None,
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    actor_label: str | None = None,
) -> Activity:
    kind, user_id, label = actor_of(actor_principal, actor_label)
    entry = Activity(
        bug_id=bug.id,
        workspace_id=bug.workspace_id,
        project_id=bug.project_id,
        actor_user_id=user_id,
        actor_kind=kind,
        actor_label=label[:400] if label else None,
        type=type,
        payload=payload or {},
        created_at=utcnow(),
    )
    session.add(entry)
    outbox.emit(
        session,
        workspace_id=bug.workspace_id,
        project_id=bug.project_id,
        bug_id=bug.id,
        activity_type=type,
        payload=entry.payload,
        actor=(kind, user_id, entry.actor_label),
    )
    return entry
