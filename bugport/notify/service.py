"""Preferences, one-click unsubscribe, watching a bug, and invite emails."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.bug import service as bugs
from bugport.config import Settings
from bugport.errors import Forbidden
from bugport.kit.crypto import same_text
from bugport.models import BugWatcher, Invite, PendingEmail, User
from bugport.models.base import utcnow
from bugport.notify import fanout, mailer


def prefs_of(user: User) -> dict[str, bool]:
    saved = user.notification_prefs or {}
    return {c: bool(saved.get(c, True)) for c in fanout.CATEGORIES}


def set_prefs(user: User, changes: dict[str, bool]) -> dict[str, bool]:
    user.notification_prefs = {**prefs_of(user), **changes}
    return prefs_of(user)


async def unsubscribe(
    session: AsyncSession, settings: Settings, user_id: str, categories: str, sig: str
) -> list[str]:
    """Turn off the categories a signed link names; the signature is the credential."""
    want = mailer.unsubscribe_sig(settings, user_id, categories)
    if not same_text(want, sig or ""):
        raise Forbidden("This unsubscribe link is not valid.")
    cats = [c for c in categories.split(",") if c in fanout.CATEGORIES]
    try:
        uid = uuid.UUID(user_id)
    except ValueError as exc:
        raise Forbidden("This unsubscribe link is not valid.") from exc
    user = await session.get(User, uid)
    if user is not None and cats:
        set_prefs(user, dict.fromkeys(cats, False))
    return cats


async def set_watching(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, on: bool
) -> bool:
    bug = await bugs.get_bug(session, principal, bug_id)  # visible, or 404
    assert principal.user_id is not None
    if on:
        await fanout.watch(session, bug, principal.user_id)
    else:
        await session.execute(
            delete(BugWatcher).where(
                BugWatcher.bug_id == bug.id, BugWatcher.user_id == principal.user_id
            )
        )
    return on


async def is_watching(session: AsyncSession, principal: Principal, bug_id: uuid.UUID) -> bool:
    bug = await bugs.get_bug(session, principal, bug_id)
    assert principal.user_id is not None
    return await session.get(BugWatcher, (bug.id, principal.user_id)) is not None


def queue_invite(
    session: AsyncSession,
    settings: Settings,
    inv: Invite,
    token: str,
    inviter: str,
    workspace_name: str,
) -> None:
    """The invite email, sent by the next sweep (no batching)."""
    link = f"{settings.public_base_url.rstrip('/')}/invite#token={token}"
    item: dict[str, Any] = {
        "by": inviter,
        "workspace": workspace_name,
        "role": inv.role,
        "link": link,
    }
    session.add(
        PendingEmail(
            email=inv.email,
            workspace_id=inv.workspace_id,
            kind="invite",
            items=[item],
            send_after=utcnow(),
        )
    )
