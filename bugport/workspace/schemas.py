from __future__ import annotations

import uuid
from typing import Literal

from pydantic import EmailStr, Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp

Role = Literal["owner", "admin", "member", "viewer"]


class WorkspaceCreate(InputModel):
    name: SingleLine = Field(min_length=1, max_length=100)


class WorkspaceUpdate(InputModel):
    name: SingleLine = Field(min_length=1, max_length=100)


class Workspace(OutputModel):
    id: uuid.UUID
    name: str
    plan_id: str
    role: Role = Field(description="The caller's role in this workspace.")
    created_at: Timestamp
    updated_at: Timestamp


class Member(OutputModel):
    user_id: uuid.UUID
    email: str | None
    name: str | None
    avatar_url: str | None
    role: Role
    joined_at: Timestamp


class MemberUpdate(InputModel):
    role: Role


class InviteCreate(InputModel):
    email: EmailStr
    role: Role = "member"


InviteStatus = Literal["pending", "accepted", "revoked", "expired"]


class Invite(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    email: str
    role: Role
    status: InviteStatus
    token_hint: str = Field(
        description="Prefix and last four characters; the token is shown only at creation."
    )
    invited_by_id: uuid.UUID | None
    created_at: Timestamp
    expires_at: Timestamp
    accepted_at: Timestamp | None


class InviteCreated(Invite):
    token: str = Field(
        description="Shown once. The invitee accepts with POST /v1/invites/{token}/accept."
    )
    accept_path: str


class AcceptedInvite(OutputModel):
    workspace_id: uuid.UUID
    role: Role


class StorageBug(OutputModel):
    bug_id: uuid.UUID
    key: str | None
    title: str
    bytes: int = Field(description="Settled bytes of the bug's ready media.")


class Storage(OutputModel):
    workspace_id: uuid.UUID
    used_bytes: int
    reserved_bytes: int
    quota_bytes: int | None = Field(description="null means unlimited.")
    percent_used: float | None
    by_kind: dict[str, int] = Field(
        default_factory=dict,
        description="Settled bytes of ready media by kind: screenshot, video, attachment, har.",
    )
    biggest_bugs: list[StorageBug] = Field(
        default_factory=list,
        description="The (at most 10) bugs whose ready media take the most bytes, biggest first.",
    )
    bug_count: int = Field(
        description="Bugs in the workspace (visible to the caller): what deleting it removes."
    )
