"""Who may call the widget-key routes: signed-in users only (admin+ is checked by the service);
MCP tokens and widget keys themselves get 403."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

WidgetKeyAdmin = Annotated[Principal, Depends(require(kinds=("user",)))]
