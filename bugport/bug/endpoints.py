"""Bug routes: thin — parse, call the service, return a schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from bugport.bug import comments as comment_service
from bugport.bug import export as export_service
from bugport.bug import repository, service
from bugport.bug import share as share_service
from bugport.bug.auth import BugsRead, BugsWrite, ShareManage
from bugport.bug.schemas import (
    MAX_REQUEST_BYTES,
    ActivityEntry,
    Bug,
    BugCreate,
    BugExport,
    BugFilters,
    BugUpdate,
    BulkResult,
    BulkUpdate,
    Comment,
    CommentCreate,
    CommentUpdate,
    LogEntry,
    LogLevel,
    NetworkEntry,
    Severity,
    ShareLink,
    ShareLinkCreate,
    Source,
    Status,
)
from bugport.db import Session
from bugport.errors import ValidationFailed
from bugport.kit import idempotency
from bugport.kit.idempotency import IdempotencyKey
from bugport.kit.middleware import register_body_limit
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.models import ShareLink as ShareLinkRow

router = APIRouter(prefix="/bugs", tags=["bugs"])
register_body_limit("POST", r"/v1/bugs", MAX_REQUEST_BYTES)

Paging = Annotated[PageParams, Depends(page_params)]


def _json(model: Bug | Page[Bug] | Page[LogEntry] | Page[NetworkEntry]) -> Response:
    """Serialize once: the object is already the response model, so FastAPI's second
    validation pass (the largest CPU cost of a 100-bug page) is skipped. The OpenAPI schema still
    comes from `response_model`."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=Bug,
    summary="Report a bug, with console logs and network captures (member)",
    description=f"Body limit {MAX_REQUEST_BYTES} bytes (413). Secrets are redacted before "
    "storage; `redactions` lists what was removed. Honours `Idempotency-Key`.",
)
async def create_bug(
    body: BugCreate,
    principal: BugsWrite,
    session: Session,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    idem = await idempotency.begin(
        request, session, principal, idempotency_key, route="POST /v1/bugs"
    )
    if idem.replay is not None:
        return idem.replay
    # BugCreate is a BugData: create_bug reads the shared fields, no second validation pass.
    bug = await service.create_bug(
        session, principal, body, source=body.source, project_id=body.project_id
    )
    return await idem.respond(
        session,
        201,
        Bug.of(bug).model_dump(mode="json"),
        headers={"Location": f"/v1/bugs/{bug.id}"},
        resource_id=bug.id,
    )


@router.get(
    "",
    response_model=Page[Bug],
    summary="List and search bugs",
    description="Filters combine with AND; multi-valued filters (`status`, `severity`) repeat the "
    "parameter. `q` is full-text over key, title and description. Keyset pages: `limit` "
    "(default 50, max 100) and the opaque `cursor` from `next_cursor`.",
)
async def list_bugs(
    principal: BugsRead,
    session: Session,
    paging: Paging,
    request: Request,
    workspace_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    assignee_id: uuid.UUID | None = None,
    label: Annotated[str | None, Query(max_length=50)] = None,
    source: Source | None = None,
    reporter: Annotated[
        str | None, Query(max_length=320, description="Reporter's user id or email.")
    ] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Full-text search.")] = None,
    sort: Annotated[
        Literal["newest", "oldest", "updated", "severity"],
        Query(description="`severity`: most severe first, then newest."),
    ] = "newest",
    group: Annotated[
        Literal["fingerprint"] | None,
        Query(
            description="`fingerprint`: one row per failure — the group's newest matching report, "
            "with `group` (count, first and last seen among the matching reports). Groups are "
            "ordered newest first (only `sort=newest`); reports without a captured failure are "
            "groups of one. See docs/similar.md."
        ),
    ] = None,
) -> Response:
    filters = BugFilters(
        workspace_id=workspace_id,
        project_id=project_id,
        status=list(status) if status else None,
        severity=list(severity) if severity else None,
        assignee_id=assignee_id,
        label=label,
        source=source,
        reporter=reporter,
        created_after=created_after,
        created_before=created_before,
        q=q.strip() if q and q.strip() else None,
        sort=sort,
    )
    if group == "fingerprint":
        if sort != "newest":
            raise ValidationFailed("query.sort", "A grouped list is ordered newest first only.")
        rows, groups, nxt = await service.list_groups(
            session, principal, filters, signing_key(request), paging
        )
        return _json(Page[Bug](data=[Bug.of(b, groups[b.id]) for b in rows], next_cursor=nxt))
    rows, nxt = await service.list_bugs(session, principal, filters, signing_key(request), paging)
    return _json(Page[Bug](data=[Bug.of(b) for b in rows], next_cursor=nxt))


@router.patch(
    "",
    response_model=BulkResult,
    summary="Update up to 100 bugs at once (member); per-bug activity, one transaction",
    description="`changes` applies to every id: `status`, `severity`, `priority`, `assignee_id` "
    "(`null` unassigns) and `labels` as `{set: [...]}` or `{add: [...], remove: [...]}`. "
    "Each id is scoped like `PATCH /v1/bugs/{bug_id}`: ids the credential can't see come back in "
    "`not_found` and nothing happens to them. A visible bug the caller may not edit (viewer) "
    "refuses the whole request with 403; any error leaves every bug unchanged.",
)
async def bulk_update_bugs(body: BulkUpdate, principal: BugsWrite, session: Session) -> Response:
    bugs, missing = await service.bulk_update(session, principal, body)
    return Response(
        BulkResult(data=[Bug.of(b) for b in bugs], not_found=missing).model_dump_json(),
        media_type="application/json",
    )


@router.get("/{bug_id}", response_model=Bug, summary="Get a bug")
async def get_bug(bug_id: uuid.UUID, principal: BugsRead, session: Session) -> Response:
    return _json(Bug.of(await service.get_bug(session, principal, bug_id)))


@router.patch(
    "/{bug_id}",
    response_model=Bug,
    summary="Update a bug (member); each change lands in the activity timeline",
)
async def update_bug(
    bug_id: uuid.UUID, body: BugUpdate, principal: BugsWrite, session: Session
) -> Bug:
    return Bug.of(await service.update_bug(session, principal, bug_id, body))


@router.delete(
    "/{bug_id}", status_code=204, summary="Delete a bug with its logs, comments, links (admin)"
)
async def delete_bug(bug_id: uuid.UUID, principal: BugsWrite, session: Session) -> Response:
    await service.delete_bug(session, principal, bug_id)
    return Response(status_code=204)


@router.get("/{bug_id}/logs", response_model=Page[LogEntry], summary="A bug's console logs")
async def list_logs(
    bug_id: uuid.UUID,
    principal: BugsRead,
    session: Session,
    paging: Paging,
    request: Request,
    level: Annotated[list[LogLevel] | None, Query(description="Repeat for several.")] = None,
) -> Response:
    bug = await service.get_bug(session, principal, bug_id)
    rows, nxt = await repository.list_logs(
        session, bug, list(level) if level else None, signing_key(request), paging
    )
    return _json(Page[LogEntry](data=rows, next_cursor=nxt))


@router.get(
    "/{bug_id}/network", response_model=Page[NetworkEntry], summary="A bug's network captures"
)
async def list_network(
    bug_id: uuid.UUID,
    principal: BugsRead,
    session: Session,
    paging: Paging,
    request: Request,
    failed: Annotated[
        bool | None, Query(description="true: only failed (status ≥ 400, none, or error).")
    ] = None,
    method: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z]+$")] = None,
    status_min: Annotated[int | None, Query(ge=0, le=999)] = None,
    status_max: Annotated[int | None, Query(ge=0, le=999)] = None,
) -> Response:
    bug = await service.get_bug(session, principal, bug_id)
    rows, nxt = await repository.list_network(
        session,
        bug,
        failed=failed,
        method=method,
        status_min=status_min,
        status_max=status_max,
        key=signing_key(request),
        params=paging,
    )
    return _json(Page[NetworkEntry](data=rows, next_cursor=nxt))


@router.get(
    "/{bug_id}/activity", response_model=Page[ActivityEntry], summary="A bug's activity timeline"
)
async def list_activity(
    bug_id: uuid.UUID, principal: BugsRead, session: Session, paging: Paging, request: Request
) -> Page[ActivityEntry]:
    bug = await service.get_bug(session, principal, bug_id)
    rows, nxt = await repository.list_activity(
        session, principal, bug, signing_key(request), paging
    )
    return Page(data=[ActivityEntry.of(a) for a in rows], next_cursor=nxt)


@router.get(
    "/{bug_id}/comments", response_model=Page[Comment], summary="A bug's comments, oldest first"
)
async def list_comments(
    bug_id: uuid.UUID, principal: BugsRead, session: Session, paging: Paging, request: Request
) -> Page[Comment]:
    rows, nxt = await comment_service.list_comments(
        session, principal, bug_id, signing_key(request), paging
    )
    return Page(data=[Comment.model_validate(c) for c in rows], next_cursor=nxt)


@router.post(
    "/{bug_id}/comments", status_code=201, response_model=Comment, summary="Comment (member)"
)
async def create_comment(
    bug_id: uuid.UUID,
    body: CommentCreate,
    principal: BugsWrite,
    session: Session,
    response: Response,
) -> Comment:
    c = await comment_service.create_comment(session, principal, bug_id, body.body)
    response.headers["Location"] = f"/v1/bugs/{bug_id}/comments/{c.id}"
    return Comment.model_validate(c)


@router.patch(
    "/{bug_id}/comments/{comment_id}", response_model=Comment, summary="Edit your comment"
)
async def update_comment(
    bug_id: uuid.UUID,
    comment_id: uuid.UUID,
    body: CommentUpdate,
    principal: BugsWrite,
    session: Session,
) -> Comment:
    c = await comment_service.update_comment(session, principal, bug_id, comment_id, body.body)
    return Comment.model_validate(c)


@router.delete(
    "/{bug_id}/comments/{comment_id}",
    status_code=204,
    summary="Delete a comment (its author, or an admin)",
)
async def delete_comment(
    bug_id: uuid.UUID, comment_id: uuid.UUID, principal: BugsWrite, session: Session
) -> Response:
    await comment_service.delete_comment(session, principal, bug_id, comment_id)
    return Response(status_code=204)


@router.get(
    "/{bug_id}/export",
    response_model=BugExport,
    summary="Export a bug as JSON or a Markdown issue body",
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
async def export_bug(
    bug_id: uuid.UUID,
    principal: BugsRead,
    session: Session,
    request: Request,
    format: Literal["json", "markdown"] = "json",
) -> Response:
    exported = await export_service.build_export(session, principal, bug_id)
    if format == "markdown":
        base = request.app.state.settings.public_base_url.rstrip("/")
        return Response(
            export_service.to_markdown(exported, f"{base}/v1/bugs/{bug_id}"),
            media_type="text/markdown; charset=utf-8",
        )
    return JSONResponse(exported.model_dump(mode="json"))


def _link_out(link: ShareLinkRow, request: Request) -> ShareLink:
    return ShareLink(
        id=link.id,
        bug_id=link.bug_id,
        share_id=link.share_id,
        url=share_service.page_url(request.app.state.settings.public_base_url, link.share_id),
        created_by_id=link.created_by_id,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        view_count=link.view_count,
        active=share_service.is_active(link),
    )


@router.post(
    "/{bug_id}/share-links",
    status_code=201,
    response_model=ShareLink,
    summary="Create a public share link (member; signed-in users only)",
)
async def create_share_link(
    bug_id: uuid.UUID,
    body: ShareLinkCreate,
    principal: ShareManage,
    session: Session,
    request: Request,
    response: Response,
) -> ShareLink:
    link = await share_service.create_link(session, principal, bug_id, body.expires_at)
    response.headers["Location"] = f"/v1/bugs/{bug_id}/share-links/{link.id}"
    return _link_out(link, request)


@router.get(
    "/{bug_id}/share-links",
    response_model=Page[ShareLink],
    summary="List a bug's share links, newest first (revoked and expired included)",
)
async def list_share_links(
    bug_id: uuid.UUID, principal: ShareManage, session: Session, paging: Paging, request: Request
) -> Page[ShareLink]:
    rows, nxt = await share_service.list_links(
        session, principal, bug_id, signing_key(request), paging
    )
    return Page(data=[_link_out(x, request) for x in rows], next_cursor=nxt)


@router.delete(
    "/{bug_id}/share-links/{link_id}",
    status_code=204,
    summary="Revoke a share link (member); the public page is 404 at once",
)
async def revoke_share_link(
    bug_id: uuid.UUID, link_id: uuid.UUID, principal: ShareManage, session: Session
) -> Response:
    await share_service.revoke_link(session, principal, bug_id, link_id)
    return Response(status_code=204)
