"""The ONLY code that turns a Principal into workspace/project scope. Repositories start from
`visible(...)`; services check roles through `require_role`. Order: scoped fetch → 404 if not
visible → role check → 403, so a 403 never reveals another workspace's object."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.errors import InsufficientRole, NotFound, WorkspaceForbidden
from bugport.models import Membership, Project, Workspace

ROLES = ("viewer", "member", "admin", "owner")
RANK = {r: i for i, r in enumerate(ROLES)}

# Who may do what: the minimum role per action. docs/roles.md is generated from this table and a
# test walks it over HTTP for every role. Features add their actions here, nowhere else.
POLICY: dict[str, str] = {
    "workspace.read": "viewer",
    "workspace.update": "admin",
    "workspace.delete": "owner",
    "member.list": "viewer",
    "member.manage": "admin",
    "invite.manage": "admin",
    "storage.read": "viewer",
    "project.read": "viewer",
    "project.manage": "admin",
    "billing.read": "admin",
    "billing.manage": "owner",
    "bug.read": "viewer",
    "bug.write": "member",
    "bug.delete": "admin",
    "comment.write": "member",
    "comment.moderate": "admin",  # delete another member's comment
    "share.manage": "member",
    "media.read": "viewer",
    "media.write": "member",
    # Connectors: admins connect, test and disconnect trackers and map projects; members push.
    "connector.read": "viewer",
    "connector.use": "member",
    "connector.manage": "admin",
    # MCP tokens: anyone in the workspace may make tokens for themselves (scopes capped by their
    # role, see SCOPE_MIN_ROLE); admins list and revoke everyone's. The audit log is admin-only.
    "mcp_token.create": "viewer",
    "mcp_token.manage": "admin",
    "audit.read": "admin",
    "widget_key.manage": "admin",
    "webhook.manage": "admin",
}

# The least role that may hold each MCP token scope: a token never carries more than its creator.
SCOPE_MIN_ROLE: dict[str, str] = {"bugs:read": "viewer", "bugs:write": "member"}


def scopes_for_role(role: str) -> frozenset[str]:
    return frozenset(s for s, r in SCOPE_MIN_ROLE.items() if RANK[role] >= RANK[r])


M = TypeVar("M")


def workspace_ids(principal: Principal) -> Select[Any]:
    """The workspaces this principal can see, as a subquery. Membership is read from the database
    on every request, so a removed member loses access at once (tokens included)."""
    stmt = select(Membership.workspace_id).where(Membership.user_id == principal.user_id)
    if principal.kind != "user":
        stmt = stmt.where(Membership.workspace_id == principal.workspace_id)
    return stmt


def my_workspaces(principal: Principal) -> Select[Workspace, str]:
    """(Workspace, the principal's role there) for every workspace it belongs to. The one query
    behind "my workspaces" (the list route and `/v1/auth/me`)."""
    return (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.workspace_id.in_(workspace_ids(principal)))
        .where(Membership.user_id == principal.user_id)
    )


def visible(principal: Principal, model: Any) -> Select[Any]:
    """SELECT model rows inside the principal's scope. Every readable statement starts here."""
    if principal.kind == "widget_key":
        # Widget keys read nothing; they write only to their own project.
        return select(model).where(false())
    stmt = select(model).where(model.workspace_id.in_(workspace_ids(principal)))
    return _within_projects(principal, model, stmt)


async def visible_resolved(session: AsyncSession, principal: Principal, model: Any) -> Select[Any]:
    """`visible()` with the principal's workspace ids read first and inlined as a literal list.
    For big tables (bugs) this matters on PostgreSQL: with the membership subquery the planner
    mis-estimates the semi-join and sorts the whole scope instead of walking the sort index, so a
    keyset page would cost O(scope) instead of O(page). Same scope, one extra tiny query."""
    if principal.kind == "widget_key":
        return select(model).where(false())
    ids = list((await session.execute(workspace_ids(principal))).scalars())
    stmt = select(model).where(model.workspace_id.in_(ids))
    return _within_projects(principal, model, stmt)


def _within_projects(principal: Principal, model: Any, stmt: Select[Any]) -> Select[Any]:
    """A project restriction narrows project-owned rows by their project and `Project` itself by
    its own id: without the latter, every check that fetches a target project through `visible`
    (creating a bug, say) would let any project of the workspace through."""
    if principal.project_ids is None:
        return stmt
    if model is Project:
        return stmt.where(Project.id.in_(principal.project_ids))
    if hasattr(model, "project_id"):
        return stmt.where(model.project_id.in_(principal.project_ids))
    return stmt


def widget_writable(principal: Principal, model: Any) -> Select[Any]:
    """Rows a widget key may write to: its own project's, in its workspace (e.g. the uploads it
    completes or attaches). Never used to answer a read: `visible` stays empty for widget keys."""
    if principal.kind != "widget_key" or not principal.project_ids:
        return select(model).where(false())
    return select(model).where(
        model.workspace_id == principal.workspace_id,
        model.project_id.in_(principal.project_ids),
    )


async def writable_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, action: str
) -> Project:
    """The project a create names, when this principal may create there; 404 otherwise, for every
    credential kind alike. A widget key writes only to its own project (and reads nothing); a
    user or an MCP token needs to see the project (a restriction narrows it) and the role."""
    if principal.kind == "widget_key":
        stmt = select(Project).where(
            Project.id == project_id,
            Project.workspace_id == principal.workspace_id,
            Project.id.in_(principal.project_ids or ()),
        )
        project = (await session.execute(stmt)).scalar_one_or_none()
        if project is None:
            raise NotFound()
        return project
    project = await fetch_visible(session, principal, Project, project_id)
    await require_role(session, principal, project.workspace_id, action)
    return project


async def fetch_visible(
    session: AsyncSession,
    principal: Principal,
    model: type[M],
    obj_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> M:
    stmt = visible(principal, model).where(model.id == obj_id)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    obj = (await session.execute(stmt)).scalar_one_or_none()
    if obj is None:
        raise NotFound()
    return obj


def _token_ceiling(principal: Principal) -> str:
    """An MCP token never exceeds its scopes: bugs:write acts as a member, bugs:read as a viewer."""
    return "member" if "bugs:write" in principal.scopes else "viewer"


async def role_in(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID
) -> str | None:
    if principal.kind == "widget_key" or principal.user_id is None:
        return None
    if principal.kind == "mcp_token" and principal.workspace_id != workspace_id:
        return None
    role = (
        await session.execute(
            select(Membership.role).where(
                Membership.workspace_id == workspace_id, Membership.user_id == principal.user_id
            )
        )
    ).scalar_one_or_none()
    if role is None:
        return None
    if principal.kind == "mcp_token":
        ceiling = _token_ceiling(principal)
        return role if RANK[role] <= RANK[ceiling] else ceiling
    return role


async def require_workspace(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, action: str
) -> str:
    """For routes addressed by workspace id: 403 whether or not the workspace exists."""
    role = await role_in(session, principal, workspace_id)
    if role is None:
        raise WorkspaceForbidden()
    return check_role(role, action)


async def in_workspace(
    session: AsyncSession, principal: Principal, model: Any, workspace_id: uuid.UUID, action: str
) -> tuple[Select[Any], str]:
    """For routes addressed by workspace id: (SELECT of the model's rows in that workspace, the
    caller's role there), after `require_workspace` (403 whether or not it exists). Services add
    their own filters to the statement; the workspace condition is never written by hand, and a
    project restriction narrows the rows as in `visible`."""
    role = await require_workspace(session, principal, workspace_id, action)
    stmt = select(model).where(model.workspace_id == workspace_id)
    return _within_projects(principal, model, stmt), role


def check_role(role: str, action: str) -> str:
    needed = POLICY[action]
    if RANK[role] < RANK[needed]:
        raise InsufficientRole(f"'{action}' needs the {needed} role or higher; you are {role}.")
    return role


def allows(role: str, action: str) -> bool:
    return RANK[role] >= RANK[POLICY[action]]


async def require_role(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, action: str
) -> str:
    """For an object already fetched through `visible`: the caller can see it, so a low role is 403."""
    role = await role_in(session, principal, workspace_id)
    if role is None:
        raise NotFound()
    return check_role(role, action)


async def members_among(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    user_ids: set[uuid.UUID] | None = None,
    emails: set[str] | None = None,
) -> dict[uuid.UUID, str | None]:
    """Which of these users (by id or email) are members of the workspace: {user_id: email}.
    Used for assignees and @mentions; scoping of reads still goes through `visible`."""
    from sqlalchemy import func, or_

    from bugport.models import User

    conds = []
    if user_ids:
        conds.append(User.id.in_(user_ids))
    if emails:
        conds.append(func.lower(User.email).in_({e.lower() for e in emails}))
    if not conds:
        return {}
    rows = await session.execute(
        select(User.id, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, or_(*conds))
    )
    return {uid: email for uid, email in rows.all()}
