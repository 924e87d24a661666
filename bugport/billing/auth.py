"""Who may call billing routes: signed-in users only (MCP tokens and widget keys get 403); the
role (billing.read = admin, billing.manage = owner) is checked in the service through authz.
The Stripe webhook is public: its signature is the credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal

BillingUser = Annotated[Principal, Depends(require(kinds=("user",)))]
