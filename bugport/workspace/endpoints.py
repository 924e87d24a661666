from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from bugport.auth.dependencies import CurrentUser
from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.models import Workspace as WorkspaceRow
from bugport.notify import service as notify
from bugport.workspace import service
from bugport.workspace.schemas import (
    AcceptedInvite,
    Invite,
    InviteCreate,
    InviteCreated,
    Member,
    MemberUpdate,
    Storage,
    Workspace,
    WorkspaceCreate,
    WorkspaceUpdate,
)

router = APIRouter(tags=["workspaces"])
Paging = Annotated[PageParams, Depends(page_params)]
WorkspaceId = Annotated[uuid.UUID, Path(description="Workspace id")]


def _ws(ws: Any, role: str) -> Workspace:
    return Workspace.model_validate(
        {
            **{k: getattr(ws, k) for k in ("id", "name", "plan_id", "created_at", "updated_at")},
            "role": role,
        }
    )


def _member(m: Any, u: Any) -> Member:
    return Member(
        user_id=u.id,
        email=u.email,
        name=u.name,
        avatar_url=u.avatar_url,
        role=m.role,
        joined_at=m.created_at,
    )


def _invite(inv: Any) -> dict[str, Any]:
    fields = (
        "id",
        "workspace_id",
        "email",
        "role",
        "token_hint",
        "invited_by_id",
        "created_at",
        "expires_at",
        "accepted_at",
    )
    return {**{k: getattr(inv, k) for k in fields}, "status": service.invite_status(inv)}


@router.post(
    "/workspaces",
    status_code=201,
    response_model=Workspace,
    summary="Create a workspace (you become its owner)",
)
async def create_workspace(
    body: WorkspaceCreate, principal: CurrentUser, session: Session, response: Response
) -> Workspace:
    assert principal.user is not None
    ws = await service.create_workspace(session, principal.user, body.name)
    response.headers["Location"] = f"/v1/workspaces/{ws.id}"
    return _ws(ws, "owner")


@router.get(
    "/workspaces", response_model=Page[Workspace], summary="List the workspaces you are a member of"
)
async def list_workspaces(
    principal: CurrentUser, session: Session, paging: Paging, request: Request
) -> Page[Workspace]:
    rows, nxt = await service.list_workspaces(session, principal, signing_key(request), paging)
    return Page(data=[_ws(ws, role) for ws, role in rows], next_cursor=nxt)


@router.get("/workspaces/{workspace_id}", response_model=Workspace, summary="Get a workspace")
async def get_workspace(
    workspace_id: WorkspaceId, principal: CurrentUser, session: Session
) -> Workspace:
    return _ws(*await service.get_workspace(session, principal, workspace_id))


@router.patch(
    "/workspaces/{workspace_id}", response_model=Workspace, summary="Rename a workspace (admin)"
)
async def update_workspace(
    workspace_id: WorkspaceId, body: WorkspaceUpdate, principal: CurrentUser, session: Session
) -> Workspace:
    return _ws(*await service.rename_workspace(session, principal, workspace_id, body.name))


@router.delete(
    "/workspaces/{workspace_id}",
    status_code=204,
    summary="Delete a workspace and everything in it (owner)",
    description="Its projects, bugs, members and invites go at once; its stored files are removed "
    "right after by a background job; a paid subscription is canceled at Stripe first (if Stripe "
    "refuses or can't be reached: 502/503, and nothing is deleted).",
)
async def delete_workspace(
    workspace_id: WorkspaceId, principal: CurrentUser, session: Session, request: Request
) -> Response:
    await service.delete_workspace(session, principal, workspace_id, request.app.state)
    return Response(status_code=204)


@router.get(
    "/workspaces/{workspace_id}/members", response_model=Page[Member], summary="List members"
)
async def list_members(
    workspace_id: WorkspaceId,
    principal: CurrentUser,
    session: Session,
    paging: Paging,
    request: Request,
) -> Page[Member]:
    rows, nxt = await service.list_members(
        session, principal, workspace_id, signing_key(request), paging
    )
    return Page(data=[_member(m, u) for m, u in rows], next_cursor=nxt)


@router.patch(
    "/workspaces/{workspace_id}/members/{user_id}",
    response_model=Member,
    summary="Change a member's role (admin; owner role by owners)",
)
async def update_member(
    workspace_id: WorkspaceId,
    user_id: uuid.UUID,
    body: MemberUpdate,
    principal: CurrentUser,
    session: Session,
) -> Member:
    return _member(*await service.change_role(session, principal, workspace_id, user_id, body.role))


@router.delete(
    "/workspaces/{workspace_id}/members/{user_id}",
    status_code=204,
    summary="Remove a member (admin), or leave",
)
async def remove_member(
    workspace_id: WorkspaceId, user_id: uuid.UUID, principal: CurrentUser, session: Session
) -> Response:
    await service.remove_member(session, principal, workspace_id, user_id)
    return Response(status_code=204)


@router.post(
    "/workspaces/{workspace_id}/invites",
    status_code=201,
    response_model=InviteCreated,
    summary="Invite someone by email (admin)",
)
async def create_invite(
    workspace_id: WorkspaceId,
    body: InviteCreate,
    principal: CurrentUser,
    session: Session,
    request: Request,
    response: Response,
) -> InviteCreated:
    ttl = request.app.state.settings.invite_ttl_days
    inv, token = await service.create_invite(
        session, principal, workspace_id, str(body.email), body.role, ttl
    )
    ws = await session.get(WorkspaceRow, workspace_id)
    user = principal.user
    inviter = (user.name or user.email) if user else None
    notify.queue_invite(
        session, request.app.state.settings, inv, token, inviter or "Someone", ws.name if ws else ""
    )
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/invites/{inv.id}"
    return InviteCreated.model_validate(
        {**_invite(inv), "token": token, "accept_path": f"/v1/invites/{token}/accept"}
    )


@router.get(
    "/workspaces/{workspace_id}/invites",
    response_model=Page[Invite],
    summary="List invites (admin)",
)
async def list_invites(
    workspace_id: WorkspaceId,
    principal: CurrentUser,
    session: Session,
    paging: Paging,
    request: Request,
) -> Page[Invite]:
    rows, nxt = await service.list_invites(
        session, principal, workspace_id, signing_key(request), paging
    )
    return Page(data=[Invite.model_validate(_invite(i)) for i in rows], next_cursor=nxt)


@router.delete(
    "/workspaces/{workspace_id}/invites/{invite_id}",
    status_code=204,
    summary="Revoke an invite (admin)",
)
async def revoke_invite(
    workspace_id: WorkspaceId, invite_id: uuid.UUID, principal: CurrentUser, session: Session
) -> Response:
    await service.revoke_invite(session, principal, workspace_id, invite_id)
    return Response(status_code=204)


@router.post(
    "/invites/{token}/accept",
    response_model=AcceptedInvite,
    summary="Accept an invite (signed-in user with the invited email)",
    description=(
        "Joins the workspace with the invited role (never lowering a role you already have). "
        "Signing in (`POST /v1/auth/sync-profile`) already accepts pending invites to your "
        "email, so accepting again as the user who accepted it, while still a member, answers "
        "200 with the same body and changes nothing. Otherwise a used invite is 409 `conflict`; "
        "an unknown, expired or revoked one 404; another email's 403."
    ),
)
async def accept_invite(
    token: Annotated[str, Path(max_length=100)], principal: CurrentUser, session: Session
) -> AcceptedInvite:
    m = await service.accept_invite(session, principal, token)
    return AcceptedInvite(workspace_id=m.workspace_id, role=m.role)  # type: ignore[arg-type]


@router.get(
    "/workspaces/{workspace_id}/storage",
    response_model=Storage,
    summary="Storage used, reserved and the quota",
)
async def get_storage(
    workspace_id: WorkspaceId, principal: CurrentUser, session: Session, request: Request
) -> Storage:
    return Storage.model_validate(
        await service.storage(session, principal, workspace_id, request.app.state.settings)
    )
