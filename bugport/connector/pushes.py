"""The push routes' logic: who may push a bug, queueing it, listing a bug's pushes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.connector import push as push_mod
from bugport.connector.tasks import schedule_after_commit
from bugport.errors import Conflict
from bugport.models import Bug, TrackerPush


async def push_bug(
    session: AsyncSession,
    principal: Principal,
    bug_id: uuid.UUID,
    connector_id: uuid.UUID | None,
) -> tuple[TrackerPush, bool]:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "connector.use")
    out = await push_mod.request_push(
        session,
        workspace_id=bug.workspace_id,
        project_id=bug.project_id,
        bug_id=bug.id,
        requested_by_id=principal.user_id,
        connector_id=connector_id,
    )
    if out is None:
        raise Conflict(
            "This bug's project has no tracker target; an admin sets one with "
            "PUT /v1/projects/{project_id}/tracker-target."
        )
    push, queued = out
    if queued:
        schedule_after_commit(session, push.id)
    return push, queued


async def list_pushes(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID
) -> list[TrackerPush]:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id)
    await authz.require_role(session, principal, bug.workspace_id, "connector.read")
    stmt = (
        select(TrackerPush)
        .where(TrackerPush.bug_id == bug.id)
        .order_by(TrackerPush.created_at.desc())
        .limit(50)
    )
    return list((await session.execute(stmt)).scalars())
