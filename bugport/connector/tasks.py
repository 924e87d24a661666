"""Running pushes: what a push reads from the bug, what it writes back, and the job that runs it.

A push is the `tracker.push` job (bugport/kit/jobs.py): in-process in embedded mode, on a
`bugport worker` when Redis is configured. `push_with_retries` retries with backoff itself and
is idempotent (it looks for an issue an earlier attempt created), so a redelivered job is safe."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.bug import activity, captures
from bugport.bug.share import page_url
from bugport.connector import push as push_mod
from bugport.connector.http import ProviderHttp
from bugport.connector.issue import BugSnapshot
from bugport.kit.jobs import JobContext, enqueue_after_commit, job
from bugport.models import Bug, ShareLink, TrackerPush, TrackerTarget
from bugport.models.base import utcnow

PUSH_JOB = "tracker.push"
log = logging.getLogger("bugport.connector.push")


async def load_bug(session: AsyncSession, push: TrackerPush, settings: Any) -> BugSnapshot | None:
    bug = await session.get(Bug, push.bug_id)
    if bug is None:
        return None
    base = str(getattr(settings, "public_base_url", "")).rstrip("/")
    logs, network = await captures.all_entries(session, bug.id)
    errors = [e for e in logs if e["level"] == "error"][:20]
    failing = [n for n in network if n["failed"]][:20]
    now = utcnow()
    share = (
        await session.execute(
            select(ShareLink)
            .where(ShareLink.bug_id == bug.id, ShareLink.revoked_at.is_(None))
            .order_by(ShareLink.created_at.desc())
        )
    ).scalars()
    share_url = next(
        (page_url(base, s.share_id) for s in share if s.expires_at is None or s.expires_at > now),
        None,
    )
    bug_url = f"{base}/bugs/{bug.id}"
    env = {
        str(k).replace("_", " ").capitalize(): str(v)
        for k, v in (bug.environment or {}).items()
        if v not in (None, "", {}, [])
    }
    steps = [s.strip() for s in (bug.repro_steps or "").splitlines() if s.strip()]
    return BugSnapshot(
        id=bug.id,
        key=bug.key,
        title=bug.title,
        description=bug.description,
        severity=bug.severity,
        page_url=bug.page_url,
        environment=env,
        repro_steps=steps,
        console_errors=[
            f"{e['message']}\n{e['stack']}" if e["stack"] else e["message"] for e in errors
        ],
        failing_requests=[(n["method"], n["url"], n["status"]) for n in failing],
        # Attachments: the bug page in BugPort (signed-in) shows them; never a public object URL.
        media=[],
        share_url=share_url,
        bug_url=bug_url,
    )


async def on_pushed(session: AsyncSession, push: TrackerPush) -> None:
    bug = await session.get(Bug, push.bug_id, with_for_update=True)
    if bug is None:
        return
    info = {
        "provider": push.provider,
        "key": push.external_key,
        "url": push.external_url,
        "pushed_at": (push.completed_at or utcnow()).isoformat(),
    }
    bug.external_issue = info
    await activity.record(
        session,
        bug,
        None,
        "tracker_pushed",
        {"provider": push.provider, "key": push.external_key, "url": push.external_url},
        actor_label=f"{push.provider} connector",
    )


@job(PUSH_JOB, retries=1)
async def push_job(ctx: JobContext, push_id: str) -> None:
    settings = ctx.settings

    async def _load(session: AsyncSession, push: TrackerPush) -> BugSnapshot | None:
        return await load_bug(session, push, settings)

    try:
        await push_mod.push_with_retries(
            ctx.sessionmaker,
            settings,
            ProviderHttp.from_settings(settings),
            uuid.UUID(push_id),
            _load,
            on_pushed,
        )
    except Exception:  # the push row keeps its state; a later request re-queues it
        log.exception("push %s crashed", push_id)


def schedule_after_commit(session: AsyncSession, push_id: uuid.UUID) -> None:
    """Queue the push once the request's transaction (which wrote the push row) has committed."""
    state = session.info.get("app_state")
    if state is None:
        return
    enqueue_after_commit(session, state.jobs, PUSH_JOB, push_id=str(push_id))


async def drain(state: Any) -> None:
    """Wait for queued in-process jobs, pushes included (tests, shutdown)."""
    await state.jobs.drain()


async def bugs_created(
    session: AsyncSession, bugs: Sequence[activity.BugRef], auto_push: set[uuid.UUID] | None = None
) -> None:
    """Auto-push: new bugs in projects whose target has auto_push on are queued at once.
    `auto_push`: those projects, when the caller already read them (widget batches read them
    with their keys); otherwise one lookup for all the projects of the batch."""
    if not bugs:
        return
    if auto_push is None:
        auto_push = await auto_push_projects(session, {b.project_id for b in bugs})
    for bug in bugs:
        if bug.project_id not in auto_push:
            continue
        out = await push_mod.request_push(
            session,
            workspace_id=bug.workspace_id,
            project_id=bug.project_id,
            bug_id=bug.id,
            requested_by_id=None,
        )
        if out is not None and out[1]:
            schedule_after_commit(session, out[0].id)


def auto_push_of(project_id: Any) -> Any:
    """SQL: whether the project's tracker target pushes new bugs by itself (a column to select
    beside a project)."""
    return (
        exists()
        .where(TrackerTarget.project_id == project_id, TrackerTarget.auto_push.is_(True))
        .label("auto_push")
    )


async def auto_push_projects(session: AsyncSession, project_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.execute(
        select(TrackerTarget.project_id).where(
            TrackerTarget.project_id.in_(project_ids), TrackerTarget.auto_push.is_(True)
        )
    )
    return set(rows.scalars())
