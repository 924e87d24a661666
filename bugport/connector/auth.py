"""Who may call connector routes: signed-in people only. MCP tokens and widget keys get 403
(connecting trackers and moving data out of BugPort is a person's decision); roles are checked
in the service through authz (viewer reads, member pushes, admin manages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

ConnectorUser = Annotated[Principal, Depends(require(kinds=("user",)))]
