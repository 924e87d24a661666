"""Widget reports that arrive together are stored together: one transaction per batch
(kit/batching.py), through the shared report writer (bug/writer.py).

The request has already checked the body, the key (from a short cache), the origin and the
budgets. Inside the batch's transaction, for each report, in order:
1. the key is read again with its project: a key revoked, disabled, expired or narrowed since
   the cache was filled stores nothing (401 / 403 for that report only);
2. its Idempotency-Key is claimed (kit/idempotency.claim_many): a key seen before replays the
   first response, or is a 422 with a different body;
3. the named uploads must be completed, unattached uploads of the key's project (422; the claim
   is given back);
4. the survivors are redacted with the project's current rules and written by bug/writer.py:
   rows first, then uploads attached and keys' last-used refreshed, then one statement numbers
   the reports and stores their responses for replay.
If the batch's transaction fails, its reports are written again one by one, so one bad report
never takes the others down with it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from bugport.auth.principal import Principal
from bugport.bug import writer
from bugport.bug.schemas import ReportContent
from bugport.connector.tasks import auto_push_of, bugs_created
from bugport.db import unit_of_work
from bugport.errors import BugPortError, ValidationFailed
from bugport.kit import idempotency
from bugport.kit.batching import Batcher
from bugport.models import IdempotencyRecord, Media, Project, WidgetKey
from bugport.models.base import utcnow
from bugport.widget import media_flow as widget_media
from bugport.widget.auth import origin_refused
from bugport.widget.cors import REPORT_PATH
from bugport.widget_key import origins
from bugport.widget_key.service import invalid_key, is_live, last_used_is_stale, widget_principal

log = logging.getLogger("bugport.widget")
ROUTE = "POST /v1/widget/bugs"


@dataclass
class Report:
    """One submitted report, as the request checked it."""

    key_id: uuid.UUID
    origin: str | None
    content: ReportContent
    reporter: writer.Reporter
    actor_label: str
    media_ids: list[uuid.UUID]
    claim: idempotency.Claim | None


@dataclass
class Stored:
    """What the route answers: the new report, or the first response replayed."""

    status: int
    body: Any
    headers: dict[str, str]
    replayed: bool = False


Result = Stored | BaseException


# Built once (compiled once): the keys of a batch with their projects.
_KEYS = (
    select(WidgetKey, Project, auto_push_of(Project.id))
    .join(Project, Project.id == WidgetKey.project_id)
    .where(WidgetKey.id.in_(bindparam("ids", expanding=True)))
)


def created_response(bug_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, str]]:
    """The 201's body (the bug's "key" is added once it is numbered) and headers."""
    return {"id": str(bug_id)}, {"Location": f"/v1/bugs/{bug_id}"}


async def _write(session: AsyncSession, reports: list[Report]) -> list[Result]:
    now = utcnow()
    results: list[Result | None] = [None] * len(reports)

    # 1. Keys and their projects (and whether those push new bugs to a tracker), read in this
    # transaction.
    rows = await session.execute(_KEYS, {"ids": list({r.key_id for r in reports})})
    keys: dict[uuid.UUID, tuple[WidgetKey, Project]] = {}
    auto_push: set[uuid.UUID] = set()
    for k, p, pushes in rows:
        keys[k.id] = (k, p)
        if pushes:
            auto_push.add(p.id)
    principals: dict[uuid.UUID, Principal] = {}
    for i, r in enumerate(reports):
        found = keys.get(r.key_id)
        if found is None or not is_live(found[0], now):
            results[i] = invalid_key()
        elif not origins.allowed(r.origin, found[0].allowed_origins):
            results[i] = origin_refused(r.origin)
        else:
            principals.setdefault(r.key_id, widget_principal(found[0]))

    # 2. Idempotency first (a retry of a stored report replays, whatever its uploads now are):
    # one claim per distinct key; repeats inside the batch follow the first.
    first_of: dict[tuple[str, str], int] = {}
    followers: dict[int, int] = {}
    claims: list[tuple[int, idempotency.Claim]] = []
    for i, r in enumerate(reports):
        if results[i] is not None or r.claim is None:
            continue
        ident = (r.claim.scope, r.claim.key)
        if ident in first_of:
            followers[i] = first_of[ident]
            continue
        first_of[ident] = i
        claims.append((i, r.claim))
    answers = await idempotency.claim_many(session, [c for _, c in claims])
    for (i, _), answer in zip(claims, answers, strict=True):
        if isinstance(answer, IdempotencyRecord):
            results[i] = Stored(answer.status_code, answer.body, answer.headers or {}, True)
        elif answer is not None:
            results[i] = answer

    # 3. Uploads to attach (locked; an upload named twice goes to the first report only). A
    # report refused here gives its claim back: nothing is stored for its key.
    media: dict[int, list[Media]] = {}
    taken: set[uuid.UUID] = set()
    released: list[idempotency.Claim] = []
    for i, r in enumerate(reports):
        if results[i] is not None or i in followers or not r.media_ids:
            continue
        ids = list(dict.fromkeys(r.media_ids))
        try:
            media[i] = await widget_media.attachable(session, principals[r.key_id], ids)
            twice = [n for n, mid in enumerate(ids) if mid in taken]
            if twice:
                raise ValidationFailed(
                    f"body.media_ids.{twice[0]}",
                    "Not a completed, unattached upload of this widget's project.",
                )
        except BugPortError as exc:
            results[i] = exc
            media.pop(i, None)
            if r.claim is not None:
                released.append(r.claim)
            continue
        taken.update(ids)
    await idempotency.release_many(session, released)

    # 4. Write the survivors: their rows, uploads, pushes and keys' last-used first; then the
    # numbering statement, which also stores the replies, so the project's counter lock is held
    # only by that statement and the commit (bug/writer.py).
    todo = [i for i, r in enumerate(reports) if results[i] is None and i not in followers]
    prepared = []
    for i in todo:
        r = reports[i]
        _, project = keys[r.key_id]
        prepared.append(
            writer.prepare(
                project,
                r.content,
                source="widget",
                reporter=r.reporter,
                actor=writer.Actor("widget_key", None, r.actor_label),
            )
        )
    inserted = await writer.insert(session, prepared)
    created = [created_response(new.id) for new in prepared]
    replies: list[idempotency.Reply] = []
    for i, new, (body, headers) in zip(todo, prepared, created, strict=True):
        r = reports[i]
        if i in media:
            await widget_media.attach(session, principals[r.key_id], new, media[i], r.actor_label)
        if r.claim is not None:
            replies.append(idempotency.Reply(r.claim, 201, body, headers, new.id))
    stale = {k.id for k, _ in keys.values() if k.id in principals and last_used_is_stale(k, now)}
    if stale:
        await session.execute(
            update(WidgetKey).where(WidgetKey.id.in_(stale)).values(last_used_at=now)
        )
    await bugs_created(session, prepared, auto_push)
    bugs = await writer.number(session, inserted, replies)
    for i, bug, (body, headers) in zip(todo, bugs, created, strict=True):
        results[i] = Stored(201, {**body, "key": bug.key}, headers)

    # Repeats of a key within the batch answer as a retry after the first would.
    for i, first in followers.items():
        lead = results[first]
        if not isinstance(lead, Stored):
            results[i] = lead
        elif reports[i].claim != reports[first].claim:  # same key, different body
            results[i] = idempotency.reused()
        else:
            results[i] = Stored(lead.status, lead.body, lead.headers, True)
    return [r for r in results if r is not None]


async def _transaction(state: Any, reports: list[Report]) -> list[Result]:
    async with unit_of_work(state) as session:
        return await _write(session, reports)


def make_batcher(state: Any) -> Batcher[Report, Stored]:
    """`state`: the app's state (its sessionmaker and job queue)."""

    async def write(reports: list[Report]) -> list[Stored | BaseException]:
        try:
            return list(await _transaction(state, reports))
        except Exception:
            if len(reports) == 1:
                raise
            log.warning("widget batch of %d failed; writing its reports one by one", len(reports))
        out: list[Stored | BaseException] = []
        for report in reports:
            try:
                out.extend(await _transaction(state, [report]))
            except Exception as exc:
                out.append(exc)
        return out

    # One batch in flight per process: reports that arrive meanwhile make the next, bigger batch,
    # which also waits up to LINGER_S while this process is still answering the last batch or
    # reading and checking reports (ReportsOnTheWay). A batch's fixed cost (its transaction and
    # statements) is then spread over more reports; a second writer halved the batches instead
    # (measured: bench/RESULTS-widget.md, session 5).
    return Batcher(write, linger=LINGER_S)


LINGER_S = 0.005


class ReportsOnTheWay:
    """Announces each widget report to the process's batcher from the moment its request arrives
    (before the limits, the body and the key are checked) until it is answered, so the next batch
    can wait for it (kit/batching.py, `linger`)."""

    def __init__(self, app: ASGIApp, get_state: Callable[[], Any]) -> None:
        self.app = app
        self.get_state = get_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != REPORT_PATH:
            return await self.app(scope, receive, send)
        expected = self.get_state().widget_intake.expect()
        try:
            await self.app(scope, receive, send)
        finally:
            expected.done()
