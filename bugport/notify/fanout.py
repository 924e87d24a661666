"""Who hears about an event by email, decided from the event stream (the relay calls `fanout`
in its transaction, see webhook/delivery.py):

  assigned   the new assignee of a bug
  mentioned  members @mentioned in a new comment
  watching   watchers of a bug (its reporter, assignees and commenters are added on their own,
             anyone may watch it) on a new comment or a status change

Never the person who made the change; only current members of the workspace; each recipient's
preferences (`User.notification_prefs`) apply. Items for one recipient and one bug gather in one
`PendingEmail` until its batching window ends."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.config import Settings
from bugport.models import Bug, BugWatcher, Comment, Event, PendingEmail, User

CATEGORIES = ("assigned", "mentioned", "watching")
HANDLED = {"bug.created", "bug.assignee_changed", "comment.created", "bug.status_changed"}


def _uid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


async def watch(session: AsyncSession, bug: Bug, user_id: uuid.UUID) -> None:
    if await session.get(BugWatcher, (bug.id, user_id)) is None:
        session.add(BugWatcher(bug_id=bug.id, user_id=user_id, workspace_id=bug.workspace_id))
        await session.flush()


async def watchers(session: AsyncSession, bug_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(select(BugWatcher.user_id).where(BugWatcher.bug_id == bug_id))
    return set(rows.scalars())


async def fanout(
    session: AsyncSession, settings: Settings, events: list[Event], now: datetime
) -> None:
    for event in events:
        if event.bug_id is None or event.type not in HANDLED:
            continue
        bug = await session.get(Bug, event.bug_id)
        if bug is None:
            continue
        change = (event.data or {}).get("change") or {}
        actor = (event.data or {}).get("actor") or {}
        actor_id = _uid(actor.get("user_id"))
        by = str(actor.get("label") or "Someone")
        wanted: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
        if event.type == "bug.created":
            if bug.reporter_user_id:
                await watch(session, bug, bug.reporter_user_id)
            continue
        if event.type == "bug.assignee_changed":
            to = _uid(change.get("to"))
            if to is not None:
                await watch(session, bug, to)
                wanted[to] = ("assigned", {"what": "assigned", "by": by})
        elif event.type == "comment.created":
            comment = await session.get(Comment, _uid(change.get("comment_id")))
            if comment is None:
                continue
            if actor_id is not None:
                await watch(session, bug, actor_id)
            excerpt = comment.body[:500]
            for w in await watchers(session, bug.id):
                wanted[w] = ("watching", {"what": "commented", "by": by, "text": excerpt})
            for m in comment.mentions or []:
                mid = _uid(m)
                if mid is not None:
                    wanted[mid] = ("mentioned", {"what": "mentioned", "by": by, "text": excerpt})
        elif event.type == "bug.status_changed":
            item = {"what": "status", "by": by, "from": change.get("from"), "to": change.get("to")}
            for w in await watchers(session, bug.id):
                wanted[w] = ("watching", item)
        else:
            continue
        if actor_id is not None:
            wanted.pop(actor_id, None)
        if not wanted:
            continue
        members = await authz.members_among(session, bug.workspace_id, user_ids=set(wanted))
        users = {
            u.id: u
            for u in (await session.execute(select(User).where(User.id.in_(members)))).scalars()
        }
        for user_id, (category, item) in wanted.items():
            user = users.get(user_id)
            if user is None or not user.email:
                continue
            if (user.notification_prefs or {}).get(category, True) is False:
                continue
            # The window opens at the change, not when the relay saw it.
            at = event.created_at
            item = {**item, "category": category, "at": at.isoformat()}
            await _add(session, settings, user, bug, item, at)


async def _add(
    session: AsyncSession,
    settings: Settings,
    user: User,
    bug: Bug,
    item: dict[str, Any],
    now: datetime,
) -> None:
    pending = await session.scalar(
        select(PendingEmail).where(
            PendingEmail.user_id == user.id,
            PendingEmail.bug_id == bug.id,
            PendingEmail.claimed_at.is_(None),
        )
    )
    if pending is None:
        session.add(
            PendingEmail(
                user_id=user.id,
                email=user.email,
                workspace_id=bug.workspace_id,
                bug_id=bug.id,
                kind="bug",
                items=[item],
                send_after=now + timedelta(seconds=settings.notification_batch_seconds),
                created_at=now,
            )
        )
        await session.flush()
    else:
        pending.items = [*pending.items, item]  # a new list: JSON columns track assignment
