"""MCP token management. Takes (session, principal, ...); never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.config import Settings
from bugport.errors import InsufficientRole, NotFound, ValidationFailed
from bugport.kit.crypto import generate_token, hash_token, token_hint
from bugport.kit.pagination import Keyset, PageParams
from bugport.mcp_token.resolver import PREFIX
from bugport.mcp_token.schemas import McpTokenCreate
from bugport.models import McpToken, Project
from bugport.models.base import utcnow

TOKENS = Keyset("mcp_tokens", [(McpToken.created_at, True), (McpToken.id, True)])


def as_dict(row: McpToken) -> dict[str, Any]:
    fields = (
        "id",
        "workspace_id",
        "name",
        "scopes",
        "project_ids",
        "token_hint",
        "created_by_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "last_used_ip",
    )
    return {**{f: getattr(row, f) for f in fields}, "status": row.state(utcnow())}


def _expiry(settings: Settings, requested: datetime | None, now: datetime) -> datetime:
    if requested is None:
        return now + timedelta(days=settings.mcp_token_default_ttl_days)
    if requested.tzinfo is None:
        raise ValidationFailed("body.expires_at", "Give a time zone (e.g. a trailing Z).")
    if requested <= now:
        raise ValidationFailed("body.expires_at", "Must be in the future.")
    if requested > now + timedelta(days=settings.mcp_token_max_ttl_days):
        raise ValidationFailed(
            "body.expires_at",
            f"At most {settings.mcp_token_max_ttl_days} days from now.",
        )
    return requested


async def create_token(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    body: McpTokenCreate,
    settings: Settings,
) -> tuple[McpToken, str]:
    role = await authz.require_workspace(session, principal, workspace_id, "mcp_token.create")
    allowed = authz.scopes_for_role(role)
    for scope in body.scopes:
        if scope not in allowed:
            raise InsufficientRole(
                f"Your role ({role}) can't grant '{scope}': a token never exceeds its creator."
            )
    projects: list[str] | None = None
    if body.project_ids is not None:
        wanted = set(body.project_ids)
        in_ws, _ = await authz.in_workspace(
            session, principal, Project, workspace_id, "mcp_token.create"
        )
        stmt = in_ws.where(Project.id.in_(wanted)).with_only_columns(Project.id)
        found = set((await session.execute(stmt)).scalars())
        if found != wanted:
            # Same answer for a project of another workspace and one that doesn't exist.
            raise ValidationFailed("body.project_ids", "Unknown project in this workspace.")
        projects = sorted(str(p) for p in wanted)
    now = utcnow()
    assert principal.user is not None
    token = generate_token(PREFIX)
    row = McpToken(
        workspace_id=workspace_id,
        created_by_id=principal.user.id,
        name=body.name,
        scopes=sorted(set(body.scopes)),
        project_ids=projects,
        token_hash=hash_token(token),
        token_hint=token_hint(token, PREFIX),
        created_at=now,
        expires_at=_expiry(settings, body.expires_at, now),
    )
    session.add(row)
    await session.flush()
    return row, token


def _own_only(role: str) -> bool:
    return not authz.allows(role, "mcp_token.manage")


async def list_tokens(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    key: bytes,
    params: PageParams,
) -> tuple[list[McpToken], str | None]:
    """Admins see every token of the workspace; others see their own."""
    stmt, role = await authz.in_workspace(
        session, principal, McpToken, workspace_id, "mcp_token.create"
    )
    if _own_only(role):
        stmt = stmt.where(McpToken.created_by_id == principal.user_id)
    rows = list((await session.execute(TOKENS.apply(stmt, key, params))).scalars())
    return TOKENS.page(rows, key, params, lambda t: (t.created_at, t.id))


async def _get(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, token_id: uuid.UUID
) -> McpToken:
    stmt, role = await authz.in_workspace(
        session, principal, McpToken, workspace_id, "mcp_token.create"
    )
    row = (
        await session.execute(stmt.where(McpToken.id == token_id).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound()
    if row.created_by_id != principal.user_id:
        authz.check_role(role, "mcp_token.manage")  # someone else's token: admins only
    return row


async def get_token(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, token_id: uuid.UUID
) -> McpToken:
    return await _get(session, principal, workspace_id, token_id)


async def revoke_token(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, token_id: uuid.UUID
) -> None:
    row = await _get(session, principal, workspace_id, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()
