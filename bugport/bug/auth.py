"""Who may call the bug routes. Users and MCP tokens (by scope); widget keys never read bugs
(their intake route lives in the widget feature and calls service.create_bug). Share links are
users only: making data public is a person's decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

BugsRead = Annotated[
    Principal, Depends(require(kinds=("user", "mcp_token"), scopes=("bugs:read",)))
]
BugsWrite = Annotated[
    Principal, Depends(require(kinds=("user", "mcp_token"), scopes=("bugs:write",)))
]
ShareManage = Annotated[Principal, Depends(require(kinds=("user",)))]
