from __future__ import annotations

from typing import Any

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel


class ToolInfo(OutputModel):
    name: str
    title: str
    description: str
    scope: str = Field(description="The token scope this tool needs.")
    read_only: bool = Field(description="True when the tool changes nothing.")
    input_schema: dict[str, Any] = Field(description="JSON Schema of the tool's arguments.")


class ToolList(OutputModel):
    data: list[ToolInfo]
    next_cursor: str | None = Field(default=None, description="Always null: one page.")
    scopes: list[str] = Field(
        description="The caller's effective scopes (tokens; capped by the creator's role). "
        "Signed-in users: every scope, checked against their role per call."
    )


class ToolInvoke(InputModel):
    name: str = Field(
        min_length=1, max_length=100, description="A tool name from GET /v1/mcp/tools."
    )
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="Arguments, validated against the tool's input_schema."
    )


class ToolResult(OutputModel):
    tool: str
    result: dict[str, Any] = Field(description="Structured result (MCP `structured_content`).")
    text: str | None = Field(
        default=None,
        description="A text rendering when the tool has a natural one (the fix prompt's Markdown).",
    )


class McpConfig(OutputModel):
    api_url: str = Field(description="This deployment's API base URL (with /v1).")
    mcp_url: str = Field(description="The remote MCP endpoint (Streamable HTTP).")
    token_placeholder: str = Field(description="Replace with your bp_mcp_ token.")
    clients: dict[str, dict[str, Any]] = Field(
        description="Per client (claude_desktop, claude_code, cursor, vscode): `stdio` and `http` "
        "configurations ready to paste, plus where to paste them."
    )
