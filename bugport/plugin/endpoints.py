"""`/v1/plugin/...`: the browser extension's capture endpoints. Same media rules as /v1/media
(types, sizes, quota, verification), uploads marked `source: "extension"`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from bugport.bug.schemas import MAX_REQUEST_BYTES, Bug
from bugport.db import Session
from bugport.kit import idempotency
from bugport.kit.idempotency import IdempotencyKey
from bugport.kit.middleware import register_body_limit
from bugport.media import service as media_service
from bugport.media.endpoints import rejection, upload_body
from bugport.media.schemas import Media, MediaComplete, MediaFail, UploadUrl, UploadUrlCreate
from bugport.media.service import Runtime, UploadSpec
from bugport.plugin import service
from bugport.plugin.auth import ExtensionUser
from bugport.plugin.schemas import (
    MAX_ATTACHMENTS,
    Capture,
    CaptureAttachmentResult,
    CaptureCreate,
)

router = APIRouter(prefix="/plugin", tags=["plugin"])
Rt = Annotated[Runtime, Depends(media_service.runtime)]
# Logs and network make captures as big as POST /v1/bugs bodies.
register_body_limit("POST", r"/v1/plugin/captures", MAX_REQUEST_BYTES)


@router.post(
    "/captures",
    status_code=201,
    response_model=Capture,
    summary="Extension: create a bug (logs, network) and get upload URLs for its attachments (member)",
    description=(
        f"One call for a whole capture. The bug is created (source `extension`) with its logs and "
        f"network entries; each of `attachments` (at most {MAX_ATTACHMENTS}) gets its own presigned "
        "PUT URL, or an `error` in its slot (e.g. `quota_exceeded`, `validation_error`) — an "
        "attachment that fails never loses the bug. Then PUT each file and call "
        "POST /v1/plugin/media/complete (or /fail) per attachment. Body limit "
        f"{MAX_REQUEST_BYTES} bytes. Honours `Idempotency-Key`: the extension sends one per "
        "capture, so a retry after a lost answer gets the same bug (and its upload slots) back; "
        "an upload URL in a replayed answer may have expired — ask for a fresh one with "
        "POST /v1/plugin/media/upload-url and `bug_id`."
    ),
)
async def create_capture(
    body: CaptureCreate,
    principal: ExtensionUser,
    session: Session,
    rt: Rt,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    idem = await idempotency.begin(
        request, session, principal, idempotency_key, route="POST /v1/plugin/captures"
    )
    if idem.replay is not None:
        return idem.replay
    bug, attachments = await service.create_capture(session, rt, principal, body)
    capture = Capture(
        bug=Bug.of(bug),
        attachments=[CaptureAttachmentResult.model_validate(a) for a in attachments],
    )
    return await idem.respond(
        session,
        201,
        capture.model_dump(mode="json"),
        headers={"Location": f"/v1/bugs/{bug.id}"},
        resource_id=bug.id,
    )


@router.post(
    "/media/upload-url",
    status_code=201,
    response_model=UploadUrl,
    summary="Extension: presigned PUT URL for one capture file (member)",
)
async def plugin_upload_url(
    body: UploadUrlCreate, principal: ExtensionUser, session: Session, rt: Rt, response: Response
) -> UploadUrl:
    spec = UploadSpec(body.filename, body.content_type, body.size_bytes, body.kind)
    m, presigned = await media_service.create_upload(
        session,
        rt,
        principal,
        project_id=body.project_id,
        bug_id=body.bug_id,
        spec=spec,
        source="extension",
    )
    response.headers["Location"] = f"/v1/media/{m.id}"
    return upload_body(m, presigned)


@router.post(
    "/media/complete",
    response_model=Media,
    summary="Extension: verify one uploaded attachment and mark it ready (member)",
    description="Same checks and answers as POST /v1/media/complete.",
)
async def plugin_complete(
    body: MediaComplete, principal: ExtensionUser, session: Session, rt: Rt, request: Request
) -> Media | JSONResponse:
    m, problem = await media_service.complete(session, rt, principal, body.media_id)
    if problem is not None:
        return rejection(request, problem)
    return Media.model_validate(media_service.to_schema(rt, m))


@router.post(
    "/media/{media_id}/fail",
    response_model=Media,
    summary="Extension: abandon one attachment upload (the bug is kept) (member)",
)
async def plugin_fail(
    media_id: uuid.UUID,
    principal: ExtensionUser,
    session: Session,
    rt: Rt,
    body: MediaFail | None = None,
) -> Media:
    m = await media_service.fail(session, rt, principal, media_id, body.reason if body else None)
    return Media.model_validate(media_service.to_schema(rt, m))
