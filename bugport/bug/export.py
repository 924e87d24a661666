"""Export one bug: JSON (the full redacted record) or Markdown (a ready-to-paste issue body).
Everything read here was redacted at ingest; nothing is un-redacted on the way out."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.bug import captures, repository, service
from bugport.bug.schemas import ActivityEntry, Bug, BugExport, Comment, LogEntry, NetworkEntry
from bugport.models import Activity
from bugport.models import Comment as CommentRow

# Hooks other features register to contribute media links ({"id", "filename", "url", ...}).
MEDIA_PROVIDERS: list[Any] = []


async def media_links(session: AsyncSession, bug: Any, *, public: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for provider in MEDIA_PROVIDERS:
        out.extend(await provider(session, bug, public=public))
    return out


async def build_export(session: AsyncSession, principal: Principal, bug_id: uuid.UUID) -> BugExport:
    bug = await service.get_bug(session, principal, bug_id)
    logs, network = await captures.all_entries(session, bug.id)
    comments = await repository.all_of(
        session, CommentRow, bug.id, CommentRow.created_at, CommentRow.id
    )
    acts = await repository.all_of(session, Activity, bug.id, Activity.created_at, Activity.id)
    return BugExport(
        **Bug.of(bug).model_dump(),
        logs=[LogEntry.model_validate(x) for x in logs],
        network=[NetworkEntry.model_validate(x) for x in network],
        comments=[Comment.model_validate(x) for x in comments],
        activity=[ActivityEntry.of(a) for a in acts],
        media=await media_links(session, bug, public=False),
    )


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}\n{text}\n{fence}"


def to_markdown(e: BugExport, bug_url: str) -> str:
    lines = [f"# {e.key}: {e.title}", ""]
    lines += [
        f"**Status:** {e.status} · **Severity:** {e.severity} · **Priority:** {e.priority}"
        + (f" · **Labels:** {', '.join(e.labels)}" if e.labels else ""),
        "",
    ]
    if e.page_url:
        lines += [f"**Page:** {e.page_url}", ""]
    lines += ["## Summary", "", e.description or "_No description._", ""]
    if e.repro_steps:
        lines += ["## Steps to reproduce", "", e.repro_steps, ""]
    if e.environment:
        lines += ["## Environment", "", "| Field | Value |", "|---|---|"]
        lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in e.environment.items()]
        lines.append("")
    failing = [n for n in e.network if n.failed]
    if failing:
        lines += [
            "## Failing requests",
            "",
            "| Method | URL | Status | Error |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {n.method} | {_cell(n.url)} | {n.status if n.status is not None else '-'} | "
            f"{_cell(n.error or '')} |"
            for n in failing[:50]
        ]
        lines.append("")
    errors = [x for x in e.logs if x.level in ("error", "warn")]
    if errors:
        lines += ["## Console errors", ""]
        body = "\n".join(
            f"[{x.level}] {x.message}" + (f"\n{x.stack}" if x.stack else "") for x in errors[:50]
        )
        lines += [_fence(body), ""]
    lines += ["## Links", "", f"- BugPort: {bug_url}"]
    lines += [f"- {m.get('filename') or 'attachment'}: {m.get('url')}" for m in e.media]
    if e.external_issue and e.external_issue.get("url"):
        lines.append(f"- Tracker: {e.external_issue['url']}")
    if e.redactions:
        lines += ["", f"_{len(e.redactions)} value(s) were redacted at ingest._"]
    return "\n".join(lines) + "\n"
