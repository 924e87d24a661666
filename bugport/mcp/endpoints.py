from __future__ import annotations

from fastapi import APIRouter, Request

from bugport.authz import SCOPE_MIN_ROLE
from bugport.db import Session
from bugport.mcp import client_config, tools
from bugport.mcp.auth import BridgeCaller
from bugport.mcp.bug_endpoints import router as bug_router
from bugport.mcp.schemas import McpConfig, ToolInfo, ToolInvoke, ToolList, ToolResult

router = APIRouter(prefix="/mcp", tags=["mcp"])
router.include_router(bug_router)


@router.get(
    "/tools",
    response_model=ToolList,
    summary="The MCP tools this credential may call, with their input JSON Schemas",
)
async def list_tools(principal: BridgeCaller) -> ToolList:
    scopes = sorted(principal.scopes if principal.kind == "mcp_token" else SCOPE_MIN_ROLE)
    return ToolList(
        data=[
            ToolInfo(
                name=t.name,
                title=t.title,
                description=t.description,
                scope=t.scope,
                read_only=t.read_only,
                input_schema=t.input_schema,
            )
            for t in tools.available(principal)
        ],
        scopes=scopes,
    )


@router.post(
    "/tools/invoke",
    response_model=ToolResult,
    summary="Call an MCP tool: 422 on arguments that don't match its schema, 403 without its scope",
)
async def invoke_tool(
    body: ToolInvoke, principal: BridgeCaller, session: Session, request: Request
) -> ToolResult:
    ctx = tools.ToolContext(session, principal, request.app.state.settings, request)
    result = await tools.invoke(ctx, body.name, body.arguments)
    text = result.pop("_text", None)
    return ToolResult(tool=body.name, result=result, text=text)


@router.get(
    "/config",
    response_model=McpConfig,
    summary="Ready-to-paste MCP client configuration (stdio and remote HTTP) for this deployment",
)
async def get_config(principal: BridgeCaller, request: Request) -> McpConfig:
    return McpConfig.model_validate(client_config.build(request.app.state.settings.public_base_url))
