"""A workspace's storage quota and the byte ledger media uploads move through.

`quota_bytes` is THE answer to "how many bytes may this workspace hold": with billing enabled
(Stripe configured) the effective plan's storage + add-on blocks (see bugport/billing/state.py for
past_due grace and canceled → free); self-hosted, the operator's BUGPORT_STORAGE_QUOTA_BYTES
(None = unlimited). A quota below current usage deletes nothing: reserve() refuses new bytes.
Uploads reserve declared bytes before any URL is issued, settle to the real size on completion, and
release on failure/expiry. Every move locks the workspace row, so concurrent reservations near the
limit can never push used + reserved past the quota."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.config import Settings
from bugport.errors import QuotaExceeded
from bugport.models import Workspace


async def quota_bytes(
    session: AsyncSession, settings: Settings, workspace: Workspace
) -> int | None:
    """None means unlimited."""
    if not settings.billing_enabled:
        return settings.storage_quota_bytes
    from bugport.billing.quota import billed_quota  # billing imports workspace models

    return await billed_quota(session, settings, workspace)


async def _locked(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace:
    ws = (
        await session.execute(
            select(Workspace).where(Workspace.id == workspace_id).with_for_update()
        )
    ).scalar_one()
    await session.refresh(ws)  # the row as of the lock, not an identity-map copy
    return ws


async def reserve(
    session: AsyncSession, settings: Settings, workspace_id: uuid.UUID, nbytes: int
) -> None:
    ws = await _locked(session, workspace_id)
    quota = await quota_bytes(session, settings, ws)
    if quota is not None and ws.storage_used_bytes + ws.storage_reserved_bytes + nbytes > quota:
        used = ws.storage_used_bytes + ws.storage_reserved_bytes
        raise QuotaExceeded(
            f"This upload needs {nbytes} bytes; the workspace has {max(quota - used, 0)} left of {quota}.",
            details=[
                {"field": "used", "message": str(used)},
                {"field": "quota", "message": str(quota)},
                {"field": "requested", "message": str(nbytes)},
            ],
        )
    ws.storage_reserved_bytes += nbytes


async def settle(
    session: AsyncSession, workspace_id: uuid.UUID, reserved: int, actual: int
) -> None:
    """A completed upload: its reservation becomes used bytes at the object's real size."""
    ws = await _locked(session, workspace_id)
    ws.storage_reserved_bytes = max(ws.storage_reserved_bytes - reserved, 0)
    ws.storage_used_bytes += actual


async def release(
    session: AsyncSession, workspace_id: uuid.UUID, reserved: int = 0, used: int = 0
) -> None:
    """A failed/expired upload gives back its reservation; a deleted object gives back its bytes."""
    ws = await _locked(session, workspace_id)
    ws.storage_reserved_bytes = max(ws.storage_reserved_bytes - reserved, 0)
    ws.storage_used_bytes = max(ws.storage_used_bytes - used, 0)
