"""The billed side of `workspace.quota.quota_bytes`: plan storage + add-on blocks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.billing.plans import catalogue
from bugport.billing.state import effective, quota
from bugport.config import Settings
from bugport.models import Workspace, WorkspaceBilling


async def billed_quota(
    session: AsyncSession, settings: Settings, workspace: Workspace
) -> int | None:
    row = await session.get(WorkspaceBilling, workspace.id, populate_existing=True)
    cat = catalogue(settings)
    return quota(cat, effective(settings, cat, row))
