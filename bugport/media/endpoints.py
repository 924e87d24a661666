from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from bugport.db import Session
from bugport.errors import ValidationFailed, render
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.media import service
from bugport.media.auth import MediaUser
from bugport.media.schemas import Media, MediaComplete, MediaFail, UploadUrl, UploadUrlCreate
from bugport.media.service import Runtime, UploadSpec

router = APIRouter(prefix="/media", tags=["media"])
Rt = Annotated[Runtime, Depends(service.runtime)]


def upload_body(m: object, presigned: object) -> UploadUrl:
    return UploadUrl.model_validate(
        {
            "media_id": m.id,  # type: ignore[attr-defined]
            "upload": {
                "url": presigned.url,  # type: ignore[attr-defined]
                "method": presigned.method,  # type: ignore[attr-defined]
                "headers": presigned.headers,  # type: ignore[attr-defined]
            },
            "expires_at": m.expires_at,  # type: ignore[attr-defined]
        }
    )


def rejection(request: Request, problem: ValidationFailed) -> JSONResponse:
    """A 422 whose side effects (media failed, object deleted, bytes released) are committed."""
    return render(request, problem.status, problem.code, problem.message, problem.details)


@router.post(
    "/upload-url",
    status_code=201,
    response_model=UploadUrl,
    summary="Reserve quota and get a presigned PUT URL for one file (member)",
    description=(
        "Checks the type and size allowed for the kind, your access to the project, and the "
        "workspace quota (402 `quota_exceeded` before any URL is issued). PUT the file to "
        "`upload.url` with exactly `upload.headers`, then call POST /v1/media/complete."
    ),
)
async def upload_url(
    body: UploadUrlCreate, principal: MediaUser, session: Session, rt: Rt, response: Response
) -> UploadUrl:
    spec = UploadSpec(body.filename, body.content_type, body.size_bytes, body.kind)
    m, presigned = await service.create_upload(
        session, rt, principal, project_id=body.project_id, bug_id=body.bug_id, spec=spec
    )
    response.headers["Location"] = f"/v1/media/{m.id}"
    return upload_body(m, presigned)


@router.post(
    "/complete",
    response_model=Media,
    summary="Verify an uploaded file and mark it ready (member)",
    description=(
        "HEADs the object: 409 if nothing was uploaded yet; 422 (field `size_bytes` or "
        "`content_type`) if it differs from the declaration, in which case the object is deleted "
        "and the media failed. Completing a ready media again returns it unchanged."
    ),
    responses={422: {"description": "Upload does not match the declaration"}},
)
async def complete(
    body: MediaComplete, principal: MediaUser, session: Session, rt: Rt, request: Request
) -> Media | JSONResponse:
    m, problem = await service.complete(session, rt, principal, body.media_id)
    if problem is not None:
        return rejection(request, problem)
    return Media.model_validate(service.to_schema(rt, m))


@router.post(
    "/{media_id}/fail",
    response_model=Media,
    summary="Abandon an upload: delete any partial object, release the reservation (member)",
)
async def fail(
    media_id: uuid.UUID,
    principal: MediaUser,
    session: Session,
    rt: Rt,
    body: MediaFail | None = None,
) -> Media:
    m = await service.fail(session, rt, principal, media_id, body.reason if body else None)
    return Media.model_validate(service.to_schema(rt, m))


@router.get(
    "/{media_id}",
    response_model=Media,
    summary="Media metadata with a short-lived download URL (and thumbnail URL when ready)",
)
async def get_media(media_id: uuid.UUID, principal: MediaUser, session: Session, rt: Rt) -> Media:
    m = await service.get_media(session, principal, media_id)
    return Media.model_validate(service.to_schema(rt, m))


@router.delete(
    "/{media_id}",
    status_code=204,
    summary="Delete media and its objects; its bytes go back to the quota (member)",
)
async def delete_media(
    media_id: uuid.UUID, principal: MediaUser, session: Session, rt: Rt
) -> Response:
    await service.delete(session, rt, principal, media_id)
    return Response(status_code=204)


bug_router = APIRouter(prefix="/bugs", tags=["media"])


@bug_router.get(
    "/{bug_id}/media",
    response_model=Page[Media],
    summary="A bug's media (oldest first), with download URLs for the ready ones",
    description="Keyset pages: `limit` (default 50, max 100) and the opaque `cursor`.",
)
async def list_bug_media(
    bug_id: uuid.UUID,
    principal: MediaUser,
    session: Session,
    rt: Rt,
    request: Request,
    paging: Annotated[PageParams, Depends(page_params)],
) -> Page[Media]:
    rows, nxt = await service.list_bug_media(
        session, principal, bug_id, signing_key(request), paging
    )
    return Page(
        data=[Media.model_validate(service.to_schema(rt, m)) for m in rows], next_cursor=nxt
    )
