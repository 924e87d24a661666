from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from bugport.auth.dependencies import CurrentUser
from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.mcp_token import resolver as _resolver  # noqa: F401  (registers the bp_mcp_ resolver)
from bugport.mcp_token import service
from bugport.mcp_token.schemas import McpToken, McpTokenCreate, McpTokenCreated

# Management routes take signed-in users only (CurrentUser): an MCP token gets 403 here.
router = APIRouter(tags=["mcp-tokens"])
Paging = Annotated[PageParams, Depends(page_params)]
WorkspaceId = Annotated[uuid.UUID, Path(description="Workspace id")]
TokenId = Annotated[uuid.UUID, Path(description="MCP token id")]


@router.post(
    "/workspaces/{workspace_id}/mcp-tokens",
    status_code=201,
    response_model=McpTokenCreated,
    summary="Create an MCP token for yourself (the secret is shown only in this response)",
)
async def create_token(
    workspace_id: WorkspaceId,
    body: McpTokenCreate,
    principal: CurrentUser,
    session: Session,
    request: Request,
    response: Response,
) -> McpTokenCreated:
    row, token = await service.create_token(
        session, principal, workspace_id, body, request.app.state.settings
    )
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/mcp-tokens/{row.id}"
    return McpTokenCreated.model_validate({**service.as_dict(row), "token": token})


@router.get(
    "/workspaces/{workspace_id}/mcp-tokens",
    response_model=Page[McpToken],
    summary="List MCP tokens (admins: all; others: their own)",
)
async def list_tokens(
    workspace_id: WorkspaceId,
    principal: CurrentUser,
    session: Session,
    paging: Paging,
    request: Request,
) -> Page[McpToken]:
    rows, nxt = await service.list_tokens(
        session, principal, workspace_id, signing_key(request), paging
    )
    return Page(data=[McpToken.model_validate(service.as_dict(r)) for r in rows], next_cursor=nxt)


@router.get(
    "/workspaces/{workspace_id}/mcp-tokens/{token_id}",
    response_model=McpToken,
    summary="Get an MCP token (admins: any; others: their own)",
)
async def get_token(
    workspace_id: WorkspaceId, token_id: TokenId, principal: CurrentUser, session: Session
) -> McpToken:
    row = await service.get_token(session, principal, workspace_id, token_id)
    return McpToken.model_validate(service.as_dict(row))


@router.delete(
    "/workspaces/{workspace_id}/mcp-tokens/{token_id}",
    status_code=204,
    summary="Revoke an MCP token at once (admins: any; others: their own)",
)
async def revoke_token(
    workspace_id: WorkspaceId, token_id: TokenId, principal: CurrentUser, session: Session
) -> Response:
    await service.revoke_token(session, principal, workspace_id, token_id)
    return Response(status_code=204)
