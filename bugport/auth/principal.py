from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from bugport.models import User

Kind = Literal["user", "mcp_token", "widget_key"]


@dataclass
class Principal:
    """Who is calling, resolved once per request from the credential and the database."""

    kind: Kind
    user: User | None = None  # the signed-in user, or the member who made an MCP token
    scopes: frozenset[str] = frozenset()
    workspace_id: uuid.UUID | None = None  # fixed for tokens and widget keys
    project_ids: frozenset[uuid.UUID] | None = None  # restriction for tokens / widget keys
    credential_id: uuid.UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    credential: Any = None

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None
