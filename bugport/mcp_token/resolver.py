"""`bp_mcp_…` → Principal. Token state and the creator's membership are read on every request,
so revoking the token or removing (or demoting) its creator takes effect at once."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.authz import scopes_for_role
from bugport.errors import Unauthorized
from bugport.kit.crypto import hash_token, token_is_well_formed
from bugport.models import McpToken, Membership, User
from bugport.models.base import utcnow

PREFIX = "bp_mcp_"


async def find_token(session: AsyncSession, token: str) -> McpToken | None:
    """The row for a well-formed token; the checksum rejects typos before any lookup."""
    if not token_is_well_formed(token, PREFIX):
        return None
    stmt = select(McpToken).where(McpToken.token_hash == hash_token(token))
    return (await session.execute(stmt)).scalar_one_or_none()


async def resolve_mcp_token(token: str, request: Request, session: AsyncSession) -> Principal:
    row = await find_token(session, token)
    if row is None:
        raise Unauthorized("The MCP token is invalid.", code="invalid_token")
    state = row.state(utcnow())
    if state == "revoked":
        raise Unauthorized("The MCP token has been revoked.", code="invalid_token")
    if state == "expired":
        raise Unauthorized("The MCP token has expired.", code="token_expired")
    role = (
        await session.execute(
            select(Membership.role).where(
                Membership.workspace_id == row.workspace_id,
                Membership.user_id == row.created_by_id,
            )
        )
    ).scalar_one_or_none()
    user = await session.get(User, row.created_by_id)
    if role is None or user is None:
        raise Unauthorized(
            "The member who created this MCP token is no longer in its workspace.",
            code="invalid_token",
        )
    # Never beyond the creator's current rights: a demoted creator's write scope lapses.
    scopes = frozenset(row.scopes) & scopes_for_role(role)
    projects = (
        frozenset(uuid.UUID(p) for p in row.project_ids) if row.project_ids is not None else None
    )
    return Principal(
        kind="mcp_token",
        user=user,
        scopes=scopes,
        workspace_id=row.workspace_id,
        project_ids=projects,
        credential_id=row.id,
        credential=row,
    )
