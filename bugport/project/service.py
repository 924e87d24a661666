from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.errors import Conflict, ValidationFailed
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import Project
from bugport.models.base import utcnow
from bugport.project.schemas import ProjectCreate, ProjectUpdate

# Run inside the deleting transaction before a project row goes (media gives its bytes back to the
# quota and schedules its objects' removal). Each hook: async (session, app_state, project).
BEFORE_DELETE: list[Callable[[AsyncSession, Any, Project], Awaitable[None]]] = []

PROJECTS = Keyset("projects", [(Project.created_at, False), (Project.id, False)])


async def create_default_project(session: AsyncSession, workspace_id: uuid.UUID) -> Project:
    now = utcnow()
    p = Project(
        workspace_id=workspace_id,
        name="My app",
        key="APP",
        redact_headers=[],
        redact_params=[],
        created_at=now,
        updated_at=now,
    )
    session.add(p)
    await session.flush()
    return p


async def create_project(
    session: AsyncSession, principal: Principal, body: ProjectCreate
) -> Project:
    await authz.require_workspace(session, principal, body.workspace_id, "project.manage")
    taken = await session.execute(
        select(Project.id).where(Project.workspace_id == body.workspace_id, Project.key == body.key)
    )
    if taken.first():
        raise Conflict(f"A project with key {body.key} already exists in this workspace.")
    now = utcnow()
    p = Project(
        **body.model_dump(), redact_headers=[], redact_params=[], created_at=now, updated_at=now
    )
    session.add(p)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent create took the key
        raise Conflict(f"A project with key {body.key} already exists in this workspace.") from exc
    return p


async def list_projects(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID | None,
    key: bytes,
    params: PageParams,
) -> tuple[list[Project], str | None]:
    if workspace_id is None:
        stmt = authz.visible(principal, Project)
    else:
        stmt, _ = await authz.in_workspace(
            session, principal, Project, workspace_id, "project.read"
        )
    rows = list((await session.execute(PROJECTS.apply(stmt, key, params))).scalars())
    return PROJECTS.page(rows, key, params, lambda p: (p.created_at, p.id))


async def get_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> Project:
    return await authz.fetch_visible(session, principal, Project, project_id)


async def update_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, body: ProjectUpdate
) -> Project:
    p = await get_project(session, principal, project_id)
    await authz.require_role(session, principal, p.workspace_id, "project.manage")
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "redact_headers", "redact_params"):
        if field in changes and changes[field] is None:
            raise ValidationFailed(f"body.{field}", f"{field} can't be null.")
    for k, v in changes.items():
        setattr(p, k, v)
    p.updated_at = utcnow()
    await session.flush()
    return p


async def delete_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, app_state: Any = None
) -> None:
    p = await get_project(session, principal, project_id)
    await authz.require_role(session, principal, p.workspace_id, "project.manage")
    for hook in BEFORE_DELETE:
        await hook(session, app_state, p)
    await session.delete(p)
    await session.flush()
