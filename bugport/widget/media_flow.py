"""Widget uploads: presign → PUT → complete for the key's own project, and attaching completed
uploads to the report (active when the media feature is present: see widget/media.py). Built on the media service (quota reserved at upload-url, the object
verified at complete). Answers never carry download URLs: a widget key reads nothing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import activity
from bugport.db import Session
from bugport.errors import NotFound, ValidationFailed, render
from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp
from bugport.media import service as media_service
from bugport.media.rules import Kind
from bugport.media.service import Runtime, UploadSpec
from bugport.models.media import Media
from bugport.widget.auth import WidgetCaller

router = APIRouter(prefix="/widget/media", tags=["widget"])
Rt = Annotated[Runtime, Depends(media_service.runtime)]


class WidgetUploadUrlCreate(InputModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100)
    size_bytes: int = Field(ge=1)
    kind: Kind = "screenshot"


class WidgetUploadInstructions(OutputModel):
    url: str
    method: str
    headers: dict[str, str]


class WidgetUploadUrl(OutputModel):
    media_id: uuid.UUID
    upload: WidgetUploadInstructions
    expires_at: Timestamp


class WidgetMediaComplete(InputModel):
    media_id: uuid.UUID


class WidgetMedia(OutputModel):
    id: uuid.UUID
    status: str = Field(description="ready once verified.")
    size_bytes: int | None


def _project_of(principal: Principal) -> uuid.UUID:
    assert principal.project_ids and len(principal.project_ids) == 1
    return next(iter(principal.project_ids))


async def _own_media(
    session: AsyncSession, principal: Principal, media_ids: list[uuid.UUID], *, for_update: bool
) -> list[Media]:
    stmt = authz.widget_writable(principal, Media).where(
        Media.id.in_(media_ids), Media.source == "widget"
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).scalars())


async def attachable(
    session: AsyncSession, principal: Principal, media_ids: list[uuid.UUID]
) -> list[Media]:
    """The named uploads, locked; 422 naming the first that is not a completed, unattached
    widget upload of this key's project."""
    if not media_ids:
        return []
    found = {m.id: m for m in await _own_media(session, principal, media_ids, for_update=True)}
    for i, mid in enumerate(media_ids):
        m = found.get(mid)
        if m is not None:
            await session.refresh(m)
        if m is None or m.status != "ready" or m.bug_id is not None:
            raise ValidationFailed(
                f"body.media_ids.{i}",
                "Not a completed, unattached upload of this widget's project.",
            )
    return [found[mid] for mid in media_ids]


async def attach(
    session: AsyncSession,
    principal: Principal,
    bug: activity.BugRef,
    media: list[Media],
    actor: str,
) -> None:
    for m in media:
        m.bug_id = bug.id
        await activity.record(
            session,
            bug,
            principal,
            "media_attached",
            {"media_id": str(m.id), "kind": m.kind, "filename": m.filename},
            actor_label=actor,
        )
    await session.flush()


def _limit_headers(request: Request) -> dict[str, str]:
    return dict(getattr(request.state, "widget_limit_headers", None) or {})


@router.post(
    "/upload-url",
    status_code=201,
    response_model=WidgetUploadUrl,
    summary="Get a presigned PUT URL for a screenshot or attachment (widget key)",
    description="Type, size and the workspace's storage quota (402 `quota_exceeded`) are checked "
    "before any URL is issued. PUT the file with exactly `upload.headers`, then complete it.",
)
async def upload_url(
    body: WidgetUploadUrlCreate,
    principal: WidgetCaller,
    session: Session,
    rt: Rt,
    response: Response,
) -> WidgetUploadUrl:
    assert principal.workspace_id is not None
    spec = UploadSpec(body.filename, body.content_type, body.size_bytes, body.kind)
    m, presigned = await media_service.issue_upload(
        session,
        rt,
        workspace_id=principal.workspace_id,
        project_id=_project_of(principal),
        bug_id=None,
        created_by_id=None,
        source="widget",
        spec=spec,
    )
    response.headers["Location"] = f"/v1/media/{m.id}"
    return WidgetUploadUrl.model_validate(
        {
            "media_id": m.id,
            "upload": {
                "url": presigned.url,
                "method": presigned.method,
                "headers": presigned.headers,
            },
            "expires_at": m.expires_at,
        }
    )


@router.post(
    "/complete",
    response_model=WidgetMedia,
    summary="Verify an uploaded widget file and mark it ready (widget key)",
    responses={
        404: {"description": "No upload with this id in this widget key's project"},
        422: {"description": "Upload does not match the declaration"},
    },
)
async def complete_upload(
    body: WidgetMediaComplete,
    principal: WidgetCaller,
    session: Session,
    rt: Rt,
    request: Request,
) -> WidgetMedia | JSONResponse:
    found = await _own_media(session, principal, [body.media_id], for_update=True)
    if not found:
        # Another project's upload is invisible to this key: 404 like every credential kind.
        raise NotFound("No upload with this id for this widget's project.")
    m = found[0]
    await session.refresh(m)
    problem = await media_service.complete_media(session, rt, m)
    if problem is not None:
        return render(
            request,
            problem.status,
            problem.code,
            problem.message,
            problem.details,
            _limit_headers(request),
        )
    return WidgetMedia(id=m.id, status=m.status, size_bytes=m.size_bytes)
