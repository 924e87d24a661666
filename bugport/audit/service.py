from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.kit.pagination import Keyset, PageParams
from bugport.models import AuditEntry

ENTRIES = Keyset("audit_log", [(AuditEntry.created_at, True), (AuditEntry.id, True)])


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    key: bytes,
    params: PageParams,
    *,
    token_id: uuid.UUID | None = None,
    outcome: str | None = None,
    tool: str | None = None,
    route: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], str | None]:
    stmt, _ = await authz.in_workspace(session, principal, AuditEntry, workspace_id, "audit.read")
    if token_id is not None:
        stmt = stmt.where(AuditEntry.token_id == token_id)
    if outcome is not None:
        stmt = stmt.where(AuditEntry.outcome == outcome)
    if tool is not None:
        stmt = stmt.where(AuditEntry.tool == tool)
    if route is not None:
        stmt = stmt.where(AuditEntry.route == route)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    rows = list((await session.execute(ENTRIES.apply(stmt, key, params))).scalars())
    return ENTRIES.page(rows, key, params, lambda e: (e.created_at, e.id))
