"""Workspaces, members and invites. Takes (session, principal, ...); never commits."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.config import Settings
from bugport.errors import Conflict, Forbidden, InsufficientRole, NotFound
from bugport.kit.crypto import generate_token, hash_token, token_hint
from bugport.kit.pagination import Keyset, PageParams
from bugport.media.rules import KINDS as MEDIA_KINDS
from bugport.models import Bug, Invite, Media, Membership, User, Workspace
from bugport.models.base import utcnow
from bugport.workspace import quota

INVITE_PREFIX = "bp_inv_"
WORKSPACES = Keyset("workspaces", [(Workspace.created_at, False), (Workspace.id, False)])
MEMBERS = Keyset("members", [(Membership.created_at, False), (Membership.user_id, False)])
INVITES = Keyset("invites", [(Invite.created_at, True), (Invite.id, True)])


async def create_workspace(session: AsyncSession, user: User, name: str) -> Workspace:
    now = utcnow()
    ws = Workspace(name=name, created_at=now, updated_at=now)
    session.add(ws)
    await session.flush()
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role="owner", created_at=now))
    await session.flush()
    return ws


async def list_workspaces(
    session: AsyncSession, principal: Principal, key: bytes, params: PageParams
) -> tuple[list[tuple[Workspace, str]], str | None]:
    stmt = authz.my_workspaces(principal)
    rows = list((await session.execute(WORKSPACES.apply(stmt, key, params))).all())
    return WORKSPACES.page(rows, key, params, lambda r: (r[0].created_at, r[0].id))


async def get_workspace(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    action: str = "workspace.read",
) -> tuple[Workspace, str]:
    role = await authz.require_workspace(session, principal, workspace_id, action)
    ws = await session.get(Workspace, workspace_id)
    if ws is None:  # deleted between the membership read and now
        raise NotFound()
    return ws, role


async def rename_workspace(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, name: str
) -> tuple[Workspace, str]:
    ws, role = await get_workspace(session, principal, workspace_id, "workspace.update")
    ws.name = name
    ws.updated_at = utcnow()
    await session.flush()
    return ws, role


# What other features do before a workspace goes, in its transaction: `hook(session, app_state,
# workspace)` (billing cancels its subscription, media schedules its objects' removal). A hook
# that raises keeps the workspace.
BEFORE_DELETE: list[Callable[[AsyncSession, Any, Workspace], Awaitable[None]]] = []


async def delete_workspace(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, app_state: Any
) -> None:
    ws, _ = await get_workspace(session, principal, workspace_id, "workspace.delete")
    for hook in BEFORE_DELETE:
        await hook(session, app_state, ws)
    await session.delete(ws)  # ON DELETE CASCADE removes projects, bugs, memberships, invites
    await session.flush()


async def list_members(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    key: bytes,
    params: PageParams,
) -> tuple[list[Any], str | None]:
    members, _ = await authz.in_workspace(
        session, principal, Membership, workspace_id, "member.list"
    )
    stmt = members.add_columns(User).join(User, User.id == Membership.user_id)
    rows = list((await session.execute(MEMBERS.apply(stmt, key, params))).all())
    return MEMBERS.page(rows, key, params, lambda r: (r[0].created_at, r[0].user_id))


async def _membership(
    session: AsyncSession, workspace_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> Membership:
    stmt = select(Membership).where(
        Membership.workspace_id == workspace_id, Membership.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update()
    m = (await session.execute(stmt)).scalar_one_or_none()
    if m is None:
        raise NotFound("No such member in this workspace.")
    return m


async def _owner_count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    # Lock the owners' rows so two concurrent demotions can't both see "another owner left".
    rows = await session.execute(
        select(Membership.user_id)
        .where(Membership.workspace_id == workspace_id, Membership.role == "owner")
        .with_for_update()
    )
    return len(rows.all())


async def change_role(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
) -> tuple[Membership, User]:
    my_role = await authz.require_workspace(session, principal, workspace_id, "member.manage")
    m = await _membership(session, workspace_id, user_id, lock=True)
    if "owner" in (role, m.role) and my_role != "owner":
        raise InsufficientRole("Only an owner can grant or take away the owner role.")
    if m.role == "owner" and role != "owner" and await _owner_count(session, workspace_id) <= 1:
        raise Conflict("The last owner can't be demoted; make someone else owner first.")
    m.role = role
    await session.flush()
    user = await session.get(User, user_id)
    assert user is not None
    return m, user


async def remove_member(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    leaving_self = user_id == principal.user_id and principal.kind == "user"
    my_role = await authz.require_workspace(
        session, principal, workspace_id, "member.list" if leaving_self else "member.manage"
    )
    m = await _membership(session, workspace_id, user_id, lock=True)
    if m.role == "owner" and my_role != "owner":
        raise InsufficientRole("Only an owner can remove an owner.")
    if m.role == "owner" and await _owner_count(session, workspace_id) <= 1:
        raise Conflict("The last owner can't be removed; make someone else owner first.")
    await session.delete(m)
    await session.flush()


def invite_status(inv: Invite) -> str:
    if inv.accepted_at:
        return "accepted"
    if inv.revoked_at:
        return "revoked"
    if inv.expires_at <= utcnow():
        return "expired"
    return "pending"


async def create_invite(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    email: str,
    role: str,
    ttl_days: int,
) -> tuple[Invite, str]:
    my_role = await authz.require_workspace(session, principal, workspace_id, "invite.manage")
    if role == "owner" and my_role != "owner":
        raise InsufficientRole("Only an owner can invite another owner.")
    token = generate_token(INVITE_PREFIX)
    now = utcnow()
    inv = Invite(
        workspace_id=workspace_id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        token_hint=token_hint(token, INVITE_PREFIX),
        invited_by_id=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    session.add(inv)
    await session.flush()
    return inv, token


async def list_invites(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    key: bytes,
    params: PageParams,
) -> tuple[list[Invite], str | None]:
    stmt, _ = await authz.in_workspace(session, principal, Invite, workspace_id, "invite.manage")
    rows = list((await session.execute(INVITES.apply(stmt, key, params))).scalars())
    return INVITES.page(rows, key, params, lambda r: (r.created_at, r.id))


async def revoke_invite(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, invite_id: uuid.UUID
) -> None:
    stmt, _ = await authz.in_workspace(session, principal, Invite, workspace_id, "invite.manage")
    inv = (await session.execute(stmt.where(Invite.id == invite_id))).scalar_one_or_none()
    if inv is None:
        raise NotFound()
    if inv.accepted_at:
        raise Conflict("This invite was already accepted; remove the member instead.")
    if inv.revoked_at is None:
        inv.revoked_at = utcnow()
    await session.flush()


async def accept_invite_for(session: AsyncSession, inv: Invite, user: User) -> Membership:
    existing = (
        await session.execute(
            select(Membership).where(
                Membership.workspace_id == inv.workspace_id, Membership.user_id == user.id
            )
        )
    ).scalar_one_or_none()
    inv.accepted_at = utcnow()
    inv.accepted_by_id = user.id
    if existing:
        # Joining again never lowers a role someone already has.
        if authz.RANK[inv.role] > authz.RANK[existing.role]:
            existing.role = inv.role
        await session.flush()
        return existing
    m = Membership(
        workspace_id=inv.workspace_id, user_id=user.id, role=inv.role, created_at=utcnow()
    )
    session.add(m)
    await session.flush()
    return m


async def accept_invite(session: AsyncSession, principal: Principal, token: str) -> Membership:
    user = principal.user
    assert user is not None
    inv = (
        await session.execute(
            select(Invite).where(Invite.token_hash == hash_token(token)).with_for_update()
        )
    ).scalar_one_or_none()
    if inv is None or inv.revoked_at is not None or inv.expires_at <= utcnow():
        raise NotFound("This invite does not exist, has expired or was revoked.")
    if inv.accepted_at is not None:
        # The invitee asking again (signing in already accepts pending invites to their email,
        # so an invite page's "Accept" often comes second) gets their membership back; anyone
        # else, or the invitee after leaving, finds the invite spent.
        if inv.accepted_by_id == user.id:
            role = await authz.role_in(session, principal, inv.workspace_id)
            if role is not None:
                # Not added to the session: only read back into the response.
                return Membership(workspace_id=inv.workspace_id, user_id=user.id, role=role)
        raise Conflict("This invite has already been used.", code="conflict")
    if not user.email or user.email.lower() != inv.email.lower():
        raise Forbidden("This invite was sent to a different email address.")
    return await accept_invite_for(session, inv, user)


async def storage(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, settings: Settings
) -> dict[str, Any]:
    ws, _ = await get_workspace(session, principal, workspace_id, "storage.read")
    quota_bytes = await quota.quota_bytes(session, settings, ws)
    used = ws.storage_used_bytes
    by_kind = {kind: 0 for kind in MEDIA_KINDS}
    rows = await session.execute(
        select(Media.kind, func.coalesce(func.sum(Media.size_bytes), 0))
        .where(Media.workspace_id == ws.id, Media.status == "ready")
        .group_by(Media.kind)
    )
    for kind, nbytes in rows.all():
        by_kind[kind] = int(nbytes or 0)
    return {
        "workspace_id": ws.id,
        "used_bytes": used,
        "reserved_bytes": ws.storage_reserved_bytes,
        "quota_bytes": quota_bytes,
        "percent_used": round(100.0 * used / quota_bytes, 2) if quota_bytes else None,
        "by_kind": by_kind,
        "biggest_bugs": await _biggest_bugs(session, principal, ws.id),
        "bug_count": await _bug_count(session, principal, ws.id),
    }


async def _bug_count(session: AsyncSession, principal: Principal, workspace_id: uuid.UUID) -> int:
    """How many bugs the workspace holds (what deleting it takes with it); an index-only count
    over ix_bugs_workspace_created."""
    bugs, _ = await authz.in_workspace(session, principal, Bug, workspace_id, "storage.read")
    count = bugs.with_only_columns(func.count()).order_by(None)
    return int((await session.execute(count)).scalar_one())


BIGGEST_BUGS = 10


async def _biggest_bugs(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The bugs whose ready media weigh the most (storage page: what to clean up first)."""
    media, _ = await authz.in_workspace(session, principal, Media, workspace_id, "storage.read")
    total = func.sum(Media.size_bytes).label("total")
    top = (
        media.with_only_columns(Media.bug_id, total)
        .where(Media.status == "ready", Media.bug_id.is_not(None))
        .group_by(Media.bug_id)
        .order_by(total.desc(), Media.bug_id)
        .limit(BIGGEST_BUGS)
        .subquery()
    )
    rows = await session.execute(
        select(Bug.id, Bug.key, Bug.title, top.c.total)
        .join(top, top.c.bug_id == Bug.id)
        .order_by(top.c.total.desc(), Bug.id)
    )
    return [
        {"bug_id": bug_id, "key": key, "title": title, "bytes": int(nbytes or 0)}
        for bug_id, key, title, nbytes in rows.all()
    ]
