"""Per-project tracker targets: where a project's bugs are pushed, through which connector."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.connector.schemas import TrackerTargetPut
from bugport.errors import NotFound, ValidationFailed
from bugport.models import Connector, Project, TrackerTarget
from bugport.models.base import utcnow

# Which body fields each provider takes; any other target field is a 422.
FIELDS = {
    "github": {"repo"},
    "linear": {"team_id"},
    "jira": {"project_key", "issue_type"},
}
REQUIRED = {"github": ("repo",), "linear": ("team_id",), "jira": ("project_key",)}


async def _project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, action: str
) -> Project:
    project = await authz.fetch_visible(session, principal, Project, project_id)
    await authz.require_role(session, principal, project.workspace_id, action)
    return project


async def get_target(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> tuple[TrackerTarget, Connector]:
    await _project(session, principal, project_id, "connector.read")
    target = await session.get(TrackerTarget, project_id)
    if target is None:
        raise NotFound("This project has no tracker target.")
    conn = await session.get(Connector, target.connector_id)
    assert conn is not None  # the foreign key cascades
    return target, conn


async def put_target(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, body: TrackerTargetPut
) -> tuple[TrackerTarget, Connector, bool]:
    project = await _project(session, principal, project_id, "connector.manage")
    conn = (
        await session.execute(
            authz.visible(principal, Connector).where(Connector.id == body.connector_id)
        )
    ).scalar_one_or_none()
    if conn is None or conn.workspace_id != project.workspace_id:
        raise ValidationFailed(
            "body.connector_id", "No connector with this id in the project's workspace."
        )
    sent = body.model_dump(exclude_unset=True)
    allowed = FIELDS[conn.provider]
    for name in ("repo", "team_id", "project_key", "issue_type"):
        if sent.get(name) is not None and name not in allowed:
            raise ValidationFailed(f"body.{name}", f"{name} does not apply to {conn.provider}.")
    for name in REQUIRED[conn.provider]:
        if not sent.get(name):
            raise ValidationFailed(f"body.{name}", f"{name} is required for {conn.provider}.")
    target = await session.get(TrackerTarget, project_id)
    created = target is None
    now = utcnow()
    if target is None:
        target = TrackerTarget(project_id=project_id, created_at=now)
        session.add(target)
    target.workspace_id = project.workspace_id
    target.connector_id = conn.id
    target.repo = body.repo
    target.team_id = body.team_id
    target.project_key = body.project_key
    target.issue_type = (body.issue_type or "Bug") if conn.provider == "jira" else None
    target.auto_push = body.auto_push
    target.updated_by_id = principal.user_id
    target.updated_at = now
    await session.flush()
    return target, conn, created


async def delete_target(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> None:
    await _project(session, principal, project_id, "connector.manage")
    target = await session.get(TrackerTarget, project_id)
    if target is None:
        raise NotFound("This project has no tracker target.")
    await session.delete(target)
    await session.flush()
