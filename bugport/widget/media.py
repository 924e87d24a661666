"""Widget uploads, as seen by the rest of the widget: `router` (POST /v1/widget/media/upload-url
and /complete), `attachable` and `attach`.

The real implementation is widget/media_flow.py, on top of the media feature (bugport.media).
This branch was finished before that feature reached main, so the choice is made here, once, at
import: with bugport.media present the upload routes exist and reports attach uploads; without it
there are no upload routes and a report naming uploads is a 422. When both features are merged,
this module can become a plain re-export of media_flow."""

from __future__ import annotations

import importlib.util
import uuid
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.errors import ValidationFailed

MEDIA_AVAILABLE = importlib.util.find_spec("bugport.media") is not None
router: APIRouter | None = None

if MEDIA_AVAILABLE:
    from bugport.widget import media_flow

    router = media_flow.router


async def attachable(
    session: AsyncSession, principal: Principal, media_ids: list[uuid.UUID]
) -> list[Any]:
    if MEDIA_AVAILABLE:
        return list(await media_flow.attachable(session, principal, media_ids))
    if media_ids:
        raise ValidationFailed("body.media_ids.0", "Uploads are not available on this server.")
    return []


async def attach(
    session: AsyncSession, principal: Principal, bug: Any, media: list[Any], actor: str
) -> None:
    if MEDIA_AVAILABLE:
        await media_flow.attach(session, principal, bug, media, actor)
