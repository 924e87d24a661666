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


class _Batch:
    """Lookups shared by one relay batch: a burst of events on one bug costs a few queries, not a
    few per event, and each recipient's items are written once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.watchers: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.users: dict[uuid.UUID, User | None] = {}
        self.members: dict[tuple[uuid.UUID, uuid.UUID], bool] = {}
        self.items: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = {}
        self.bugs: dict[uuid.UUID, Bug] = {}

    async def watchers_of(self, bug: Bug) -> set[uuid.UUID]:
        if bug.id not in self.watchers:
            self.watchers[bug.id] = await watchers(self.session, bug.id)
        return self.watchers[bug.id]

    async def watch(self, bug: Bug, user_id: uuid.UUID) -> None:
        known = await self.watchers_of(bug)
        if user_id not in known:
            await watch(self.session, bug, user_id)
            known.add(user_id)

    async def recipients(self, bug: Bug, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
        unknown = {i for i in ids if (bug.workspace_id, i) not in self.members}
        if unknown:
            found = await authz.members_among(self.session, bug.workspace_id, user_ids=unknown)
            for i in unknown:
                self.members[(bug.workspace_id, i)] = i in found
            missing = [i for i in found if i not in self.users]
            if missing:
                rows = await self.session.execute(select(User).where(User.id.in_(missing)))
                for u in rows.scalars():
                    self.users[u.id] = u
        out: dict[uuid.UUID, User] = {}
        for i in ids:
            user = self.users.get(i)
            if self.members.get((bug.workspace_id, i)) and user is not None:
                out[i] = user
        return out


async def fanout(
    session: AsyncSession, settings: Settings, events: list[Event], now: datetime
) -> None:
    batch = _Batch(session)
    for event in events:
        if event.bug_id is None or event.type not in HANDLED:
            continue
        bug = batch.bugs.get(event.bug_id) or await session.get(Bug, event.bug_id)
        if bug is None:
            continue
        batch.bugs[bug.id] = bug
        change = (event.data or {}).get("change") or {}
        actor = (event.data or {}).get("actor") or {}
        actor_id = _uid(actor.get("user_id"))
        by = str(actor.get("label") or "Someone")
        wanted: dict[uuid.UUID, tuple[str, dict[str, Any]]] = {}
        if event.type == "bug.created":
            if bug.reporter_user_id:
                await batch.watch(bug, bug.reporter_user_id)
            continue
        if event.type == "bug.assignee_changed":
            to = _uid(change.get("to"))
            if to is not None:
                await batch.watch(bug, to)
                wanted[to] = ("assigned", {"what": "assigned", "by": by})
        elif event.type == "comment.created":
            comment = await session.get(Comment, _uid(change.get("comment_id")))
            if comment is None:
                continue
            if actor_id is not None:
                await batch.watch(bug, actor_id)
            excerpt = comment.body[:500]
            for w in await batch.watchers_of(bug):
                wanted[w] = ("watching", {"what": "commented", "by": by, "text": excerpt})
            for m in comment.mentions or []:
                mid = _uid(m)
                if mid is not None:
                    wanted[mid] = ("mentioned", {"what": "mentioned", "by": by, "text": excerpt})
        elif event.type == "bug.status_changed":
            item = {"what": "status", "by": by, "from": change.get("from"), "to": change.get("to")}
            for w in await batch.watchers_of(bug):
                wanted[w] = ("watching", item)
        if actor_id is not None:
            wanted.pop(actor_id, None)
        if not wanted:
            continue
        users = await batch.recipients(bug, set(wanted))
        for user_id, (category, item) in wanted.items():
            user = users.get(user_id)
            if user is None or not user.email:
                continue
            if (user.notification_prefs or {}).get(category, True) is False:
                continue
            # The window opens at the change, not when the relay saw it.
            at = event.created_at
            item = {**item, "category": category, "at": at.isoformat()}
            batch.items.setdefault((user.id, bug.id), []).append(item)
    for (user_id, bug_id), items in batch.items.items():
        user = batch.users[user_id]
        assert user is not None
        await _add(session, settings, user, batch.bugs[bug_id], items)


MAX_ITEMS = 50  # an email lists at most this many changes ("and N more" beyond)


async def _add(
    session: AsyncSession,
    settings: Settings,
    user: User,
    bug: Bug,
    items: list[dict[str, Any]],
) -> None:
    pending = await session.scalar(
        select(PendingEmail).where(
            PendingEmail.user_id == user.id,
            PendingEmail.bug_id == bug.id,
            PendingEmail.claimed_at.is_(None),
        )
    )
    if pending is None:
        first = datetime.fromisoformat(items[0]["at"])
        session.add(
            PendingEmail(
                user_id=user.id,
                email=user.email,
                workspace_id=bug.workspace_id,
                bug_id=bug.id,
                kind="bug",
                items=_capped(items),
                send_after=first + timedelta(seconds=settings.notification_batch_seconds),
                created_at=first,
            )
        )
        await session.flush()
    else:
        pending.items = _capped([*pending.items, *items])  # a new list: JSON tracks assignment


def _capped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first MAX_ITEMS - 1 and the latest: a burst can't grow an email without bound."""
    if len(items) <= MAX_ITEMS:
        return items
    skipped = sum(int(i.get("skipped", 1)) for i in items[MAX_ITEMS - 2 : -1])
    return [
        *items[: MAX_ITEMS - 2],
        {"what": "more", "skipped": skipped, "category": items[-1]["category"]},
        items[-1],
    ]
