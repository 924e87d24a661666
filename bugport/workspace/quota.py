"""A workspace's storage quota. Media reserves against it; billing decides what it is.

One place answers "how many bytes may this workspace hold": today the operator's setting
(BUGPORT_STORAGE_QUOTA_BYTES, unlimited when unset); the billing feature replaces the body of
`quota_bytes` with plan + add-ons."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.config import Settings
from bugport.models import Workspace


async def quota_bytes(session: AsyncSession, settings: Settings, workspace: Workspace) -> int | None:
    """None means unlimited."""
    return settings.storage_quota_bytes
