from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from bugport.auth.dependencies import CurrentUser, require
from bugport.auth.principal import Principal
from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.project import service
from bugport.project.schemas import Project, ProjectCreate, ProjectUpdate

router = APIRouter(prefix="/projects", tags=["projects"])
# Reading projects is what an agent does first (which project is WEB?): MCP tokens with bugs:read
# may, within their restriction, and see exactly what the MCP tool list_projects shows.
ProjectsRead = Annotated[
    Principal, Depends(require(kinds=("user", "mcp_token"), scopes=("bugs:read",)))
]


@router.post("", status_code=201, response_model=Project, summary="Create a project (admin)")
async def create_project(
    body: ProjectCreate, principal: CurrentUser, session: Session, response: Response
) -> Project:
    p = await service.create_project(session, principal, body)
    response.headers["Location"] = f"/v1/projects/{p.id}"
    return Project.model_validate(p)


@router.get(
    "",
    response_model=Page[Project],
    summary="List projects you can see, optionally in one workspace",
)
async def list_projects(
    principal: ProjectsRead,
    session: Session,
    paging: Annotated[PageParams, Depends(page_params)],
    request: Request,
    workspace_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[Project]:
    rows, nxt = await service.list_projects(
        session, principal, workspace_id, signing_key(request), paging
    )
    return Page(data=[Project.model_validate(p) for p in rows], next_cursor=nxt)


@router.get("/{project_id}", response_model=Project, summary="Get a project")
async def get_project(project_id: uuid.UUID, principal: ProjectsRead, session: Session) -> Project:
    return Project.model_validate(await service.get_project(session, principal, project_id))


@router.patch(
    "/{project_id}",
    response_model=Project,
    summary="Update a project's name or description (admin)",
)
async def update_project(
    project_id: uuid.UUID, body: ProjectUpdate, principal: CurrentUser, session: Session
) -> Project:
    return Project.model_validate(
        await service.update_project(session, principal, project_id, body)
    )


@router.delete("/{project_id}", status_code=204, summary="Delete a project and its bugs (admin)")
async def delete_project(
    project_id: uuid.UUID, principal: CurrentUser, session: Session, request: Request
) -> Response:
    await service.delete_project(session, principal, project_id, request.app.state)
    return Response(status_code=204)
