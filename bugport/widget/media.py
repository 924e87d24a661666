"""Widget uploads. Interim: the media feature is not on this branch yet, so a report can't name
uploads (422); the upload routes and real attachment come with the media feature."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.errors import ValidationFailed


async def attachable(
    session: AsyncSession, principal: Principal, media_ids: list[uuid.UUID]
) -> list[Any]:
    if media_ids:
        raise ValidationFailed("body.media_ids.0", "Uploads are not available on this server.")
    return []


async def attach(
    session: AsyncSession, principal: Principal, bug: Any, media: list[Any], actor: str
) -> None:
    return None
