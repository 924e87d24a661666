"""The browser extension authenticates as a signed-in user (Supabase JWT); roles as for media."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

ExtensionUser = Annotated[Principal, Depends(require(kinds=("user",)))]
