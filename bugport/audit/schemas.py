from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field

from bugport.kit.schemas import OutputModel
from bugport.kit.timestamps import Timestamp

Outcome = Literal["allowed", "denied", "failed"]


class AuditEntry(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    token_id: uuid.UUID
    created_at: Timestamp
    request_id: str
    method: str
    route: str = Field(description="Route template (e.g. `/v1/mcp/tools/invoke`), or `/mcp`.")
    tool: str | None = Field(description="MCP tool name for tool calls.")
    bug_id: str | None
    status: int = Field(description="HTTP status of the response.")
    outcome: Outcome = Field(
        description="`allowed` (< 400), `denied` (401, 403, 429) or `failed` (other errors)."
    )
    error_code: str | None = Field(description="The error's machine code when refused.")
    client_ip: str | None
    user_agent: str | None
    mcp_client: str | None = Field(description="MCP client name/version when known.")
    arguments: dict[str, Any] | None = Field(
        description="Summary of the arguments: top-level keys with short values; secrets removed."
    )
