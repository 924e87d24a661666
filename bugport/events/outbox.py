"""The event stream: every change a user sees in a bug's timeline becomes an `events` row in the
same transaction (the outbox), so there is no event for a rolled-back change and no change
without its event. `activity.record` and the shared writer call `emit`/`created_rows`; nothing
else writes events. After commit the relay (events/relay.py) fans each event out to the
webhook endpoints that want it.

An event holds what changed (`change`: the activity payload) and who did it; the bug itself is
read at delivery time as the API returns it, except for `bug.deleted`, which keeps the bug's
last state because the row is gone."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.models import Event
from bugport.models.base import utcnow

# Timeline entry type -> event type (docs/webhooks.md lists them).
EVENT_TYPES: dict[str, str] = {
    "created": "bug.created",
    "status_changed": "bug.status_changed",
    "severity_changed": "bug.severity_changed",
    "priority_changed": "bug.priority_changed",
    "assignee_changed": "bug.assignee_changed",
    "labels_changed": "bug.labels_changed",
    "title_edited": "bug.title_edited",
    "description_edited": "bug.description_edited",
    "repro_steps_edited": "bug.repro_steps_edited",
    "metadata_changed": "bug.metadata_changed",
    "commented": "comment.created",
    "comment_edited": "comment.edited",
    "comment_deleted": "comment.deleted",
    "media_attached": "media.attached",
    "share_link_created": "share_link.created",
    "share_link_revoked": "share_link.revoked",
    "tracker_pushed": "bug.tracker_pushed",
}
BUG_DELETED = "bug.deleted"
ENDPOINT_DISABLED = "webhook.disabled"
PING = "webhook.ping"
ALL_TYPES: tuple[str, ...] = (*EVENT_TYPES.values(), BUG_DELETED, ENDPOINT_DISABLED)


def _actor(kind: str, user_id: Any, label: str | None) -> dict[str, Any]:
    return {"kind": kind, "user_id": str(user_id) if user_id else None, "label": label}


def emit(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    project_id: uuid.UUID | None,
    bug_id: uuid.UUID | None,
    activity_type: str,
    payload: dict[str, Any],
    actor: tuple[str, Any, str | None],
) -> None:
    event_type = EVENT_TYPES.get(activity_type)
    if event_type is None:
        return
    session.add(
        Event(
            workspace_id=workspace_id,
            project_id=project_id,
            bug_id=bug_id,
            type=event_type,
            data={"change": payload, "actor": _actor(*actor)},
            created_at=utcnow(),
        )
    )


def created_rows(reports: list[Any]) -> list[dict[str, Any]]:
    """`bug.created` rows for the shared writer's bulk insert (bug/writer.py)."""
    now = utcnow()
    return [
        {
            "id": uuid.uuid4(),
            "workspace_id": r.workspace_id,
            "project_id": r.project_id,
            "bug_id": r.id,
            "type": "bug.created",
            "data": {
                "change": {"source": r.source},
                "actor": _actor(r.actor.kind, r.actor.user_id, r.actor.label),
            },
            "created_at": now,
            "relayed_at": None,
        }
        for r in reports
    ]


async def bug_deleted(session: AsyncSession, bug: Any) -> None:
    """BEFORE_DELETE hook of bugs: the event keeps the bug as the API returned it."""
    from bugport.bug.schemas import Bug as BugOut

    session.add(
        Event(
            workspace_id=bug.workspace_id,
            project_id=bug.project_id,
            bug_id=bug.id,
            type=BUG_DELETED,
            data={"bug": BugOut.of(bug).model_dump(mode="json"), "change": {}},
            created_at=utcnow(),
        )
    )


def system_event(
    session: AsyncSession, workspace_id: uuid.UUID, event_type: str, data: dict[str, Any]
) -> None:
    session.add(Event(workspace_id=workspace_id, type=event_type, data=data, created_at=utcnow()))
