from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp

Scope = Literal["bugs:read", "bugs:write"]
TokenStatus = Literal["active", "revoked", "expired"]


class McpTokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    scopes: list[Scope] = Field(
        min_length=1,
        description="`bugs:read` reads bugs, logs, network, comments; `bugs:write` changes status, "
        "severity, assignee, labels and adds comments. Capped by your role: viewers can only "
        "hold `bugs:read`.",
    )
    project_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Restrict the token to these projects of the workspace; null = all projects.",
    )
    expires_at: datetime | None = Field(
        default=None,
        description="When the token stops working (RFC 3339). Default: now + "
        "BUGPORT_MCP_TOKEN_DEFAULT_TTL_DAYS (90); at most BUGPORT_MCP_TOKEN_MAX_TTL_DAYS (365).",
    )


class McpToken(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    scopes: list[Scope]
    project_ids: list[uuid.UUID] | None
    token_hint: str = Field(description="Prefix and last four characters.")
    created_by_id: uuid.UUID
    status: TokenStatus
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None
    last_used_ip: str | None


class McpTokenCreated(McpToken):
    token: str = Field(description="The secret `bp_mcp_…` token. Shown only in this response.")
