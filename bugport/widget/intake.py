"""Widget intake: upload a screenshot (presign → PUT → complete) and submit a report, with a
`bp_pub_` key from an allowed origin. Builds on `bug.service.create_bug` and `kit.idempotency`;
uploads are in widget/media.py.

A widget key reads nothing: answers carry only what the key itself created (ids, the human key,
an upload's status), never bug or media content or download URLs."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.bug import service as bug_service
from bugport.bug.schemas import ReportContent, ReporterIn
from bugport.db import Session
from bugport.kit import idempotency
from bugport.kit.idempotency import IdempotencyKey
from bugport.kit.schemas import OutputModel
from bugport.widget import media_flow as widget_media
from bugport.widget.auth import WidgetCaller

MAX_MEDIA_PER_REPORT = 10
router = APIRouter(prefix="/widget", tags=["widget"])


# ---- shapes -------------------------------------------------------------------------------------


class WidgetBugCreate(ReportContent):
    """What a visitor's report may carry. The project comes from the key and the source is always
    `widget`; triage fields (status, severity, priority, assignee, labels) are the team's: sending
    any of them, or `project_id`, is a 422."""

    reporter: ReporterIn | None = None
    media_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_MEDIA_PER_REPORT,
        description="Completed widget uploads of this project to attach.",
    )


class WidgetBugCreated(OutputModel):
    id: uuid.UUID
    key: str = Field(description="The report's human key (e.g. WEB-42), to show the visitor.")


# ---- service ------------------------------------------------------------------------------------


def _project_of(principal: Principal) -> uuid.UUID:
    assert principal.project_ids and len(principal.project_ids) == 1
    return next(iter(principal.project_ids))


async def create_report(session: AsyncSession, principal: Principal, body: WidgetBugCreate) -> Any:
    """The report, in the request's transaction, with its uploads attached (all or nothing)."""
    project_id = _project_of(principal)
    label = (body.reporter.name or body.reporter.email) if body.reporter else None
    actor = f"widget: {label}" if label else "widget"
    media = await widget_media.attachable(session, principal, list(dict.fromkeys(body.media_ids)))
    # The content is already validated (ReportContent is shared): triage fields take their
    # defaults without a second validation pass over the logs and network entries.
    data = bug_service.BugData.model_construct(
        **{name: getattr(body, name) for name in ReportContent.model_fields}
    )
    reporter = bug_service.ReporterInfo(
        name=body.reporter.name if body.reporter else None,
        email=body.reporter.email if body.reporter else None,
    )
    bug = await bug_service.create_bug(
        session,
        principal,
        data,
        source="widget",
        project_id=project_id,
        reporter=reporter,
        actor_label=actor,
    )
    await widget_media.attach(session, principal, bug, media, actor)
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
