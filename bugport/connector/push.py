"""Pushing a bug into its project's tracker: idempotent, retried with backoff.

The push row is written (and committed) before any provider call. An attempt then:
1. claims the row (status running, attempts+1) and makes sure the token is fresh — committed;
2. calls the provider with no database transaction open: when an earlier attempt got as far as
   calling the provider (attempts > 0), it first looks for the issue that attempt may have
   created (GitHub: a hidden marker in the body; Linear: the issue id is our push id; Jira: a
   marker label), and creates one only if there is none;
3. records the outcome — committed.
A crash or timeout anywhere therefore leads to at most one issue upstream.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bugport.config import Settings
from bugport.connector.http import ProviderCallFailed, ProviderHttp
from bugport.connector.issue import BugSnapshot, draft_for
from bugport.connector.providers.base import ExternalIssue, TargetSpec
from bugport.connector.service import usable_connection
from bugport.errors import ValidationFailed
from bugport.models import Connector, TrackerPush, TrackerTarget
from bugport.models.base import utcnow

log = logging.getLogger("bugport.connector.push")

MAX_ATTEMPTS = 5
# A running attempt older than this is presumed dead (its worker crashed) and may be taken over.
RUNNING_LEASE = timedelta(minutes=2)

BugLoader = Callable[[AsyncSession, TrackerPush], Awaitable[BugSnapshot | None]]
OnPushed = Callable[[AsyncSession, TrackerPush], Awaitable[None]]


def backoff_seconds(attempt: int, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: attempt 1 → up to 2 s, 2 → 4 s, ... capped."""
    return random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))


def target_spec(target: TrackerTarget) -> TargetSpec:
    return TargetSpec(
        repo=target.repo,
        team_id=target.team_id,
        project_key=target.project_key,
        issue_type=target.issue_type,
    )


async def request_push(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    project_id: uuid.UUID,
    bug_id: uuid.UUID,
    requested_by_id: uuid.UUID | None,
    connector_id: uuid.UUID | None = None,
) -> tuple[TrackerPush, bool] | None:
    """The push of this bug to its project's target: (row, newly queued?). An existing push to
    the same target is reused (never a second issue); a failed one is queued again. None when the
    project has no target. The caller has already checked the bug's visibility and role."""
    target = await session.get(TrackerTarget, project_id)
    if target is None or target.workspace_id != workspace_id:
        return None
    if connector_id is not None and connector_id != target.connector_id:
        raise ValidationFailed(
            "body.connector_id", "This project's bugs are pushed through another connection."
        )
    conn = await session.get(Connector, target.connector_id)
    assert conn is not None
    spec = target_spec(target).to_string(conn.provider)
    stmt = select(TrackerPush).where(
        TrackerPush.bug_id == bug_id,
        TrackerPush.connector_id == conn.id,
        TrackerPush.target == spec,
    )
    existing = (await session.execute(stmt)).scalar_one_or_none()
    now = utcnow()
    if existing is not None:
        if existing.status == "failed":
            existing.status, existing.updated_at = "pending", now
            await session.flush()
            return existing, True
        # Stuck (its process restarted before finishing): run it again. A running row keeps its
        # timestamp so run_push sees the lease has expired and takes over.
        stale = existing.status in ("pending", "running") and (
            existing.updated_at < now - RUNNING_LEASE
        )
        return existing, stale
    push = TrackerPush(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        project_id=project_id,
        bug_id=bug_id,
        connector_id=conn.id,
        provider=conn.provider,
        target=spec,
        status="pending",
        attempts=0,
        requested_by_id=requested_by_id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(push)
            await session.flush()
    except IntegrityError:  # a concurrent request queued the same push first
        return (await session.execute(stmt)).scalar_one(), False
    return push, True


@dataclass
class PushResult:
    status: str  # succeeded | pending (retry later) | failed | skipped
    retry: bool = False
    error: str | None = None
    issue: ExternalIssue | None = None


async def _record_failure(
    maker: async_sessionmaker[AsyncSession], push_id: uuid.UUID, exc: ProviderCallFailed
) -> PushResult:
    async with maker() as s:
        push = await s.get(TrackerPush, push_id, with_for_update=True)
        assert push is not None
        retry = exc.retryable and push.attempts < MAX_ATTEMPTS
        push.status = "pending" if retry else "failed"
        push.last_error = exc.reason[:500]
        push.updated_at = utcnow()
        if exc.auth and push.connector_id is not None:
            conn = await s.get(Connector, push.connector_id)
            if conn is not None:
                conn.status = "needs_reauth"
        await s.commit()
    return PushResult(push.status, retry=retry, error=exc.reason)


async def run_push(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    http: ProviderHttp,
    push_id: uuid.UUID,
    load_bug: BugLoader,
    on_pushed: OnPushed | None = None,
) -> PushResult:
    """One attempt. Safe to call again after any failure or crash (see the module doc)."""
    # 1. claim
    async with maker() as s:
        push = await s.get(TrackerPush, push_id, with_for_update=True)
        if push is None or push.status in ("succeeded", "failed"):
            return PushResult(push.status if push else "skipped")
        if push.status == "running" and push.updated_at > utcnow() - RUNNING_LEASE:
            return PushResult("skipped")  # another worker holds it
        conn = (
            await s.get(Connector, push.connector_id, with_for_update=True)
            if push.connector_id
            else None
        )
        bug = await load_bug(s, push)
        if conn is None or bug is None:
            push.status = "failed"
            push.last_error = (
                "The connection was removed." if conn is None else "The bug no longer exists."
            )
            await s.commit()
            return PushResult("failed", error=push.last_error)
        uncertain = push.attempts > 0
        push.attempts += 1
        push.status = "running"
        push.updated_at = utcnow()
        try:
            provider, connection = await usable_connection(settings, http, conn)
        except ProviderCallFailed as exc:
            await s.commit()  # keeps the attempt count and any needs_reauth status
            return await _record_failure(maker, push_id, exc)
        await s.commit()
        spec = TargetSpec.parse(push.provider, push.target)

    # 2. the provider, with no transaction held
    draft = draft_for(bug, push.provider, push_id)
    try:
        issue = None
        if uncertain:
            issue = await provider.find_issue(connection, spec, draft, push_id)
        if issue is None:
            issue = await provider.create_issue(connection, spec, draft, push_id)
    except ProviderCallFailed as exc:
        log.info("push attempt failed", extra={"push_id": str(push_id), "reason": exc.reason})
        return await _record_failure(maker, push_id, exc)

    # 3. record
    async with maker() as s:
        push = await s.get(TrackerPush, push_id, with_for_update=True)
        assert push is not None
        now = utcnow()
        push.status = "succeeded"
        push.external_id = issue.id[:100]
        push.external_key = issue.key[:200]
        push.external_url = (issue.url or "")[:2000] or None
        push.last_error = None
        push.completed_at = push.updated_at = now
        if on_pushed is not None:
            await on_pushed(s, push)
        await s.commit()
    return PushResult("succeeded", issue=issue)


async def push_with_retries(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    http: ProviderHttp,
    push_id: uuid.UUID,
    load_bug: BugLoader,
    on_pushed: OnPushed | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> PushResult:
    """Attempts until success, a permanent failure or MAX_ATTEMPTS, sleeping with backoff
    between them (the in-process runner; a job queue calls run_push and schedules the retry)."""
    while True:
        result = await run_push(maker, settings, http, push_id, load_bug, on_pushed)
        if not result.retry:
            return result
        async with maker() as s:
            push = await s.get(TrackerPush, push_id)
            attempts = push.attempts if push else MAX_ATTEMPTS
        await sleep(backoff_seconds(attempts))
