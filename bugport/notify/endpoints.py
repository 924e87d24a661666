"""Notification routes: my email preferences, watching a bug, and the one-click unsubscribe
link (public: its HMAC signature is the credential; GET shows a confirmation page so that mail
scanners following links don't unsubscribe anyone, POST does it, as RFC 8058 asks)."""

from __future__ import annotations

import html
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bugport.auth.dependencies import CurrentUser
from bugport.db import Session
from bugport.notify import service
from bugport.notify.schemas import (
    NotificationPrefs,
    NotificationPrefsUpdate,
    Unsubscribed,
    Watching,
)

router = APIRouter(tags=["notifications"])


@router.get(
    "/auth/me/notifications",
    response_model=NotificationPrefs,
    summary="My email notification preferences",
)
async def get_prefs(principal: CurrentUser) -> NotificationPrefs:
    assert principal.user is not None
    return NotificationPrefs(**service.prefs_of(principal.user))


@router.patch(
    "/auth/me/notifications",
    response_model=NotificationPrefs,
    summary="Change my email notification preferences",
)
async def update_prefs(
    body: NotificationPrefsUpdate, principal: CurrentUser, session: Session
) -> NotificationPrefs:
    assert principal.user is not None
    user = await session.merge(principal.user)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return NotificationPrefs(**service.set_prefs(user, changes))


@router.get("/bugs/{bug_id}/watch", response_model=Watching, summary="Do I watch this bug?")
async def get_watch(bug_id: uuid.UUID, principal: CurrentUser, session: Session) -> Watching:
    return Watching(watching=await service.is_watching(session, principal, bug_id))


@router.put(
    "/bugs/{bug_id}/watch",
    response_model=Watching,
    summary="Watch a bug: its comments and status changes reach me by email",
)
async def watch(bug_id: uuid.UUID, principal: CurrentUser, session: Session) -> Watching:
    return Watching(watching=await service.set_watching(session, principal, bug_id, True))


@router.delete("/bugs/{bug_id}/watch", response_model=Watching, summary="Stop watching a bug")
async def unwatch(bug_id: uuid.UUID, principal: CurrentUser, session: Session) -> Watching:
    return Watching(watching=await service.set_watching(session, principal, bug_id, False))


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>BugPort emails</title></head><body style="font-family:system-ui;max-width:32rem;margin:3rem auto">
{body}</body></html>"""


@router.get(
    "/notifications/unsubscribe",
    response_class=HTMLResponse,
    summary="The unsubscribe link of an email: a page asking to confirm",
)
async def unsubscribe_page(u: str, c: str, s: str) -> HTMLResponse:
    form = (
        f"<p>Stop BugPort emails for: <b>{html.escape(c)}</b>?</p>"
        f'<form method="post"><button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_PAGE.format(body=form))


@router.post(
    "/notifications/unsubscribe",
    response_model=Unsubscribed,
    summary="One-click unsubscribe (List-Unsubscribe-Post), authenticated by the link's signature",
    responses={403: {"description": "The link's signature does not match"}},
)
async def unsubscribe(u: str, c: str, s: str, session: Session, request: Request) -> Unsubscribed:
    cats = await service.unsubscribe(session, request.app.state.settings, u, c, s)
    return Unsubscribed(unsubscribed=cats)
