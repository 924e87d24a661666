"""Who may call the media routes: signed-in users (roles checked per workspace by authz:
viewers read, members upload/complete/fail/delete). Widget keys use /v1/widget/media (widget
feature), the browser extension /v1/plugin/... (signed-in user too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

MediaUser = Annotated[Principal, Depends(require(kinds=("user",)))]
