"""Widget intake: upload a screenshot (presign → PUT → complete) and submit a report, with a
`bp_pub_` key from an allowed origin. Wired in once the bugs and media features are on main:
it builds on `bug.service.create_bug`, `kit.idempotency` and the media service.

A widget key reads nothing: answers carry only what the key itself created (ids, the human key,
an upload's status), never bug or media content or download URLs."""

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
from bugport.bug import service as bug_service
from bugport.bug.schemas import (
    MAX_LOGS,
    MAX_NETWORK,
    BoundedJSON,
    Environment,
    LogIn,
    NetworkIn,
    ReporterIn,
)
from bugport.db import Session
from bugport.errors import ValidationFailed, render
from bugport.kit import idempotency
from bugport.kit.idempotency import IdempotencyKey
from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp
from bugport.media import service as media_service
from bugport.media.rules import Kind
from bugport.media.service import Runtime, UploadSpec
from bugport.models import Media
from bugport.widget.auth import WidgetCaller

MAX_MEDIA_PER_REPORT = 10
router = APIRouter(prefix="/widget", tags=["widget"])
Rt = Annotated[Runtime, Depends(media_service.runtime)]


# ---- shapes -------------------------------------------------------------------------------------


class WidgetBugCreate(InputModel):
    """What a visitor's report may carry. The project comes from the key and the source is always
    `widget`; triage fields (status, severity, priority, assignee, labels) are the team's: sending
    any of them, or `project_id`, is a 422."""

    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=50_000)
    reporter: ReporterIn | None = None
    page_url: str | None = Field(default=None, max_length=8192)
    environment: Environment = Field(default_factory=Environment)
    metadata: BoundedJSON = Field(default_factory=dict)
    repro_steps: str | None = Field(default=None, max_length=20_000)
    logs: list[LogIn] = Field(default_factory=list, max_length=MAX_LOGS)
    network: list[NetworkIn] = Field(default_factory=list, max_length=MAX_NETWORK)
    media_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_MEDIA_PER_REPORT,
        description="Completed widget uploads of this project to attach.",
    )


class WidgetBugCreated(OutputModel):
    id: uuid.UUID
    key: str = Field(description="The report's human key (e.g. WEB-42), to show the visitor.")


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


# ---- service ------------------------------------------------------------------------------------


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


async def create_report(
    session: AsyncSession, principal: Principal, body: WidgetBugCreate
) -> bug_service.Bug:
    project_id = _project_of(principal)
    wanted = list(dict.fromkeys(body.media_ids))
    media = await _own_media(session, principal, wanted, for_update=True) if wanted else []
    found = {m.id: m for m in media}
    for i, mid in enumerate(wanted):
        m = found.get(mid)
        if m is None or m.status != "ready" or m.bug_id is not None:
            raise ValidationFailed(
                f"body.media_ids.{i}",
                "Not a completed, unattached upload of this widget's project.",
            )
    data = bug_service.BugData.model_validate(
        body.model_dump(exclude={"media_ids", "reporter"}, exclude_unset=True)
    )
    reporter = bug_service.ReporterInfo(
        name=body.reporter.name if body.reporter else None,
        email=body.reporter.email if body.reporter else None,
    )
    label = (body.reporter.name or body.reporter.email) if body.reporter else None
    bug = await bug_service.create_bug(
        session,
        principal,
        data,
        source="widget",
        project_id=project_id,
        reporter=reporter,
        actor_label=f"widget: {label}" if label else "widget",
    )
    for mid in wanted:
        m = found[mid]
        m.bug_id = bug.id
        await activity.record(
            session,
            bug,
            principal,
            "media_attached",
            {"media_id": str(m.id), "kind": m.kind, "filename": m.filename},
            actor_label=f"widget: {label}" if label else "widget",
        )
    await session.flush()
    return bug


# ---- routes -------------------------------------------------------------------------------------


def _limit_headers(request: Request) -> dict[str, str]:
    return dict(getattr(request.state, "widget_limit_headers", None) or {})


@router.post(
    "/bugs",
    status_code=201,
    response_model=WidgetBugCreated,
    summary="Submit a report from the widget (widget key, allowed origin)",
    description="Redacted like every report; `media_ids` attach completed widget uploads. "
    "Honours `Idempotency-Key`. Body limit `BUGPORT_WIDGET_MAX_REPORT_BYTES` (413).",
)
async def submit_report(
    body: WidgetBugCreate,
    principal: WidgetCaller,
    session: Session,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    idem = await idempotency.begin(
        request, session, principal, idempotency_key, route="POST /v1/widget/bugs"
    )
    if idem.replay is not None:
        idem.replay.headers.update(_limit_headers(request))
        return idem.replay
    bug = await create_report(session, principal, body)
    resp = await idem.respond(
        session,
        201,
        WidgetBugCreated(id=bug.id, key=bug.key).model_dump(mode="json"),
        headers={"Location": f"/v1/bugs/{bug.id}"},
        resource_id=bug.id,
    )
    resp.headers.update(_limit_headers(request))
    return resp


@router.post(
    "/media/upload-url",
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
    "/media/complete",
    response_model=WidgetMedia,
    summary="Verify an uploaded widget file and mark it ready (widget key)",
    responses={422: {"description": "Upload does not match the declaration"}},
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
        raise ValidationFailed("body.media_id", "No upload with this id for this widget's project.")
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
