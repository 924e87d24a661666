from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from bugport.audit import service
from bugport.audit.schemas import AuditEntry, Outcome
from bugport.auth.dependencies import CurrentUser
from bugport.db import Session
from bugport.errors import ValidationFailed
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page

router = APIRouter(tags=["audit-log"])
Paging = Annotated[PageParams, Depends(page_params)]


def _aware(field: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(field, "Give a time zone (e.g. a trailing Z).")
    return value


@router.get(
    "/workspaces/{workspace_id}/audit-log",
    response_model=Page[AuditEntry],
    summary="Calls made with MCP tokens, newest first (admin). Entries can't be edited or deleted.",
)
async def list_audit_log(
    workspace_id: Annotated[uuid.UUID, Path(description="Workspace id")],
    principal: CurrentUser,
    session: Session,
    paging: Paging,
    request: Request,
    token_id: Annotated[uuid.UUID | None, Query(description="Only this token's calls.")] = None,
    outcome: Annotated[Outcome | None, Query(description="allowed, denied or failed.")] = None,
    tool: Annotated[
        str | None, Query(max_length=100, description="Only calls of this MCP tool (exact name).")
    ] = None,
    route: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Only calls to this route template (exact, e.g. `/mcp` or "
            "`/v1/mcp/tools/invoke`).",
        ),
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (exclusive).")] = None,
) -> Page[AuditEntry]:
    rows, nxt = await service.list_entries(
        session,
        principal,
        workspace_id,
        signing_key(request),
        paging,
        token_id=token_id,
        outcome=outcome,
        tool=tool,
        route=route,
        since=_aware("query.since", since),
        until=_aware("query.until", until),
    )
    return Page(data=[AuditEntry.model_validate(r) for r in rows], next_cursor=nxt)
