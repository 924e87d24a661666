"""Profile reconciliation with the identity provider (sync-profile) and the `me` view."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.models import Invite, Membership, User
from bugport.models.base import utcnow
from bugport.project.service import create_default_project
from bugport.workspace import service as workspaces


async def memberships(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    stmt = authz.my_workspaces(principal).order_by(Membership.created_at, Membership.workspace_id)
    rows = await session.execute(stmt)
    return [{"workspace_id": w.id, "workspace_name": w.name, "role": r} for w, r in rows]


def _profile_fields(claims: dict[str, Any]) -> dict[str, Any]:
    meta = claims.get("user_metadata") or {}
    name = meta.get("name") or meta.get("full_name") or meta.get("user_name")
    avatar = meta.get("avatar_url") or meta.get("picture")
    out: dict[str, Any] = {"email": claims.get("email") or None}
    if isinstance(name, str) and name.strip():
        out["name"] = name.strip()[:200]
    if isinstance(avatar, str) and avatar.startswith(("https://", "http://")):
        out["avatar_url"] = avatar[:2000]
    return out


async def sync_profile(
    session: AsyncSession, principal: Principal
) -> tuple[User, uuid.UUID | None, list[uuid.UUID]]:
    """Idempotent: updates profile fields from the token; on the first sync creates a personal
    workspace with a default project. Pending invites to the token's email are accepted."""
    user = principal.user
    assert user is not None
    for k, v in _profile_fields(principal.claims).items():
        setattr(user, k, v)
    created: uuid.UUID | None = None
    if user.synced_at is None:
        label = user.name or (user.email.split("@")[0] if user.email else "My")
        ws = await workspaces.create_workspace(session, user, f"{label}'s workspace"[:100])
        await create_default_project(session, ws.id)
        created = ws.id
    user.synced_at = utcnow()
    accepted: list[uuid.UUID] = []
    if user.email:
        pending = (
            await session.execute(
                select(Invite).where(
                    func.lower(Invite.email) == user.email.lower(),
                    Invite.accepted_at.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > utcnow(),
                )
            )
        ).scalars()
        for invite in pending:
            await workspaces.accept_invite_for(session, invite, user)
            accepted.append(invite.id)
    await session.flush()
    return user, created, accepted
