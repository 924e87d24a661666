from __future__ import annotations

import uuid

from bugport.kit.schemas import OutputModel
from bugport.kit.timestamps import Timestamp


class MembershipOut(OutputModel):
    workspace_id: uuid.UUID
    workspace_name: str
    role: str


class Me(OutputModel):
    id: uuid.UUID
    email: str | None
    name: str | None
    avatar_url: str | None
    synced_at: Timestamp | None
    created_at: Timestamp
    memberships: list[MembershipOut]


class SyncResult(Me):
    created_workspace_id: uuid.UUID | None = None
    accepted_invite_ids: list[uuid.UUID] = []
