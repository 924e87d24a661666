from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from bugport.bug.auth import BugsRead, BugsWrite
from bugport.bug.schemas import Bug
from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.similar import duplicates, service
from bugport.similar.schemas import MAX_SIMILAR, DraftSimilar, DuplicateOf, SimilarList

router = APIRouter(prefix="/bugs", tags=["similar-bugs"])
Paging = Annotated[PageParams, Depends(page_params)]
BugId = Annotated[uuid.UUID, Path(description="Bug id")]


@router.post(
    "/similar",
    response_model=SimilarList,
    summary="Bugs that may already report this draft, before it is filed",
    description="The draft is fingerprinted as ingest would (through its project's redaction) "
    "and matched against the visible bugs of the project's workspace. Nothing is stored.",
)
async def similar_to_draft(
    body: DraftSimilar, principal: BugsRead, session: Session
) -> SimilarList:
    return await service.for_draft(session, principal, body)


@router.get(
    "/{bug_id}/similar",
    response_model=SimilarList,
    summary="Visible bugs most like this one: same failure first, then a shared request or "
    "error, then similar text; each with the reason",
)
async def similar_to_bug(
    bug_id: BugId,
    principal: BugsRead,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=MAX_SIMILAR)] = 5,
) -> SimilarList:
    return await service.for_bug(session, principal, bug_id, limit)


@router.post(
    "/{bug_id}/duplicate-of",
    response_model=Bug,
    summary="Mark this bug a duplicate of another (member): status `duplicate`, linked to the "
    "canonical bug; chains collapse, cycles are refused (409)",
)
async def mark_duplicate(
    bug_id: BugId, body: DuplicateOf, principal: BugsWrite, session: Session
) -> Bug:
    return Bug.of(await duplicates.mark(session, principal, bug_id, body.bug_id))


@router.delete(
    "/{bug_id}/duplicate-of",
    response_model=Bug,
    summary="Undo: no longer a duplicate, its status back to what it was (member)",
)
async def unmark_duplicate(bug_id: BugId, principal: BugsWrite, session: Session) -> Bug:
    return Bug.of(await duplicates.unmark(session, principal, bug_id))


@router.get(
    "/{bug_id}/duplicates",
    response_model=Page[Bug],
    summary="The bugs marked duplicates of this one, newest first",
)
async def list_duplicates(
    bug_id: BugId, principal: BugsRead, session: Session, paging: Paging, request: Request
) -> Page[Bug]:
    rows, nxt = await duplicates.list_duplicates(
        session, principal, bug_id, signing_key(request), paging
    )
    return Page(data=[Bug.of(b) for b in rows], next_cursor=nxt)
