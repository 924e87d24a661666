"""Widget intake: submit a report with a `bp_pub_` key from an allowed origin (screenshots go
through widget/media_flow.py first). The request checks the body, the key, the origin and the
budgets; the report is then stored with the others arriving meanwhile by widget/batch.py, through
the shared report writer (bug/writer.py).

A widget key reads nothing: answers carry only what the key itself created (ids, the human key,
an upload's status), never bug or media content or download URLs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from bugport.auth.principal import Principal
from bugport.bug import service as bug_service
from bugport.bug import writer
from bugport.bug.schemas import ReportContent, ReporterIn
from bugport.kit import idempotency
from bugport.kit.fastjson import OrjsonRoute
from bugport.kit.idempotency import IdempotencyKey
from bugport.kit.schemas import OutputModel
from bugport.widget import batch
from bugport.widget.auth import IntakeCaller

MAX_MEDIA_PER_REPORT = 10
router = APIRouter(prefix="/widget", tags=["widget"], route_class=OrjsonRoute)


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


# ---- route --------------------------------------------------------------------------------------


def _limit_headers(request: Request) -> dict[str, str]:
    return dict(getattr(request.state, "widget_limit_headers", None) or {})


def _report(body: WidgetBugCreate, principal: Principal, request: Request) -> batch.Report:
    label = (body.reporter.name or body.reporter.email) if body.reporter else None
    reporter = writer.Reporter(
        name=body.reporter.name if body.reporter else None,
        email=body.reporter.email if body.reporter else None,
    )
    assert principal.credential_id is not None
    return batch.Report(
        key_id=principal.credential_id,
        origin=request.headers.get("origin"),
        content=body,
        reporter=reporter,
        actor_label=f"widget: {label}" if label else "widget",
        media_ids=body.media_ids,
        claim=None,
    )


@router.post(
    "/bugs",
    status_code=201,
    response_model=WidgetBugCreated,
    summary="Submit a report from the widget (widget key, allowed origin)",
    description="Redacted like every report; `media_ids` attach completed widget uploads. "
    "Honours `Idempotency-Key` (a repeat, even one still in flight, answers with the first "
    "response). Body limit `BUGPORT_WIDGET_MAX_REPORT_BYTES` (413).",
)
async def submit_report(
    body: WidgetBugCreate,
    principal: IntakeCaller,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    bug_service.check_sizes(body, len(await request.body()))
    report = _report(body, principal, request)
    if idempotency_key is not None:
        report.claim = idempotency.Claim(
            scope=idempotency.credential_scope(principal),
            route=batch.ROUTE,
            key=idempotency_key,
            hash=idempotency.request_hash(await request.body(), await request.json()),
        )
    # Written with the reports that arrived meanwhile, in one transaction (widget/batch.py).
    stored = await request.app.state.widget_intake.submit(report)
    headers = {**stored.headers, **_limit_headers(request)}
    if stored.replayed:
        headers[idempotency.REPLAYED_HEADER] = "true"
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)
