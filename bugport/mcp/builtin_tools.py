"""Tools over the workspace itself. Bug tools live in bug_tools.py."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from bugport import authz
from bugport.errors import NotFound
from bugport.kit.schemas import InputModel
from bugport.mcp.registry import ToolContext, tool
from bugport.models import Project


class ListProjectsInput(InputModel):
    limit: int = Field(default=50, ge=1, le=100, description="At most this many projects.")


@tool(
    "list_projects",
    title="List projects",
    description="List the projects this credential can see (id, key, name). Bug keys like WEB-42 "
    "start with the project key.",
    scope="bugs:read",
    input_model=ListProjectsInput,
)
async def list_projects(ctx: ToolContext, args: ListProjectsInput) -> dict[str, Any]:
    stmt = authz.visible(ctx.principal, Project)
    stmt = stmt.order_by(Project.created_at, Project.id).limit(args.limit)
    rows = (await ctx.session.execute(stmt)).scalars().all()
    return {
        "projects": [
            {
                "id": str(p.id),
                "workspace_id": str(p.workspace_id),
                "key": p.key,
                "name": p.name,
            }
            for p in rows
        ]
    }


class GetProjectInput(InputModel):
    project_id: uuid.UUID = Field(description="The project's id (from list_projects).")


@tool(
    "get_project",
    title="Get a project",
    description="One project by id: key, name and description.",
    scope="bugs:read",
    input_model=GetProjectInput,
)
async def get_project(ctx: ToolContext, args: GetProjectInput) -> dict[str, Any]:
    stmt = authz.visible(ctx.principal, Project).where(Project.id == args.project_id)
    p = (await ctx.session.execute(stmt)).scalar_one_or_none()
    if p is None:
        raise NotFound()
    return {
        "id": str(p.id),
        "workspace_id": str(p.workspace_id),
        "key": p.key,
        "name": p.name,
        "description": p.description,
    }
