from __future__ import annotations

from fastapi import APIRouter

from bugport.account import service
from bugport.account.schemas import Me, SyncResult
from bugport.auth.dependencies import CurrentUser
from bugport.db import Session

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/me", response_model=Me, summary="The signed-in user and their workspace memberships")
async def me(principal: CurrentUser, session: Session) -> Me:
    user = principal.user
    assert user is not None
    return Me.model_validate(
        {**_user_dict(user), "memberships": await service.memberships(session, principal)}
    )


@router.post(
    "/sync-profile",
    response_model=SyncResult,
    summary="Reconcile the identity provider's profile with BugPort's",
)
async def sync_profile(principal: CurrentUser, session: Session) -> SyncResult:
    user, created, accepted = await service.sync_profile(session, principal)
    return SyncResult.model_validate(
        {
            **_user_dict(user),
            "memberships": await service.memberships(session, principal),
            "created_workspace_id": created,
            "accepted_invite_ids": accepted,
        }
    )


def _user_dict(user: object) -> dict[str, object]:
    return {
        k: getattr(user, k)
        for k in ("id", "email", "name", "avatar_url", "synced_at", "created_at")
    }
