"""Who may call the MCP bridge: signed-in users (with their role) and MCP tokens. Each tool's
scope is checked per call in tools.invoke (a token without it gets 403 insufficient_scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

BridgeCaller = Annotated[Principal, Depends(require(kinds=("user", "mcp_token")))]
BugsReader = Annotated[
    Principal, Depends(require(kinds=("user", "mcp_token"), scopes=("bugs:read",)))
]
