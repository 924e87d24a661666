"""What an agent needs to act on one bug, bounded in size, with reporter data kept apart.

One gather (bounded queries: never all 10,000 log lines) feeds two renderings:
- `context`: JSON. Trusted facts (ids, enums, counts) under `bug`; everything that came from the
  reporter or their browser under `untrusted`, with a notice saying so.
- `prompt`: Markdown for a coding agent, deterministic (built from stored data only), each piece
  of reporter text in its own untrusted fence.
Both drop the least useful items first (activity, comments, then the tail of the errors and
requests) until they fit their budget, and say what they cut in `truncated`."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import captures
from bugport.bug.writer import redactor_for
from bugport.kit.redaction import Redactor
from bugport.kit.timestamps import rfc3339
from bugport.mcp.fence import UNTRUSTED_NOTICE, cut, fence
from bugport.models import Activity, Bug, Comment, Project
from bugport.similar import service as similar_service

MAX_ERRORS = 20
MAX_REQUESTS = 20
MAX_COMMENTS = 5
MAX_ACTIVITY = 10
MAX_SIMILAR = 5
MESSAGE_CHARS = 2000
STACK_CHARS = 4000
BODY_CHARS = 1500
TEXT_CHARS = 8000


@dataclass
class Gathered:
    bug: dict[str, Any]
    untrusted: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]]
    totals: dict[str, int]
    truncated: dict[str, Any] = field(default_factory=dict)


def _ts(value: datetime | str | None) -> str | None:
    """Capture entries hold ISO 8601 text (bug/captures.py), rows a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return rfc3339(value) if value is not None else None


def _cut(out: dict[str, Any], marks: list[str], name: str, value: str | None, limit: int) -> None:
    text, was_cut = cut(value, limit)
    out[name] = text
    if was_cut:
        marks.append(name)


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one())


async def gather(session: AsyncSession, principal: Principal, bug: Bug) -> Gathered:
    project = await session.get(Project, bug.project_id)
    assert project is not None
    red: Redactor = redactor_for(project)  # stored data is redacted at ingest; re-apply anyway
    bug_meta = {
        "id": str(bug.id),
        "key": bug.key,
        "project": {"id": str(project.id), "key": project.key, "name": project.name},
        "status": bug.status,
        "severity": bug.severity,
        "priority": bug.priority,
        "assignee_id": str(bug.assignee_id) if bug.assignee_id else None,
        "source": bug.source,
        "created_at": _ts(bug.created_at),
        "updated_at": _ts(bug.updated_at),
        "log_count": bug.log_count,
        "network_count": bug.network_count,
        "failed_request_count": bug.failed_request_count,
        "redactions": bug.redactions or [],
        "duplicate_of_id": str(bug.duplicate_of_id) if bug.duplicate_of_id else None,
    }
    marks: list[str] = []
    untrusted: dict[str, Any] = {}
    _cut(untrusted, marks, "title", red.text("title", bug.title), TEXT_CHARS)
    _cut(untrusted, marks, "description", red.text("description", bug.description), TEXT_CHARS)
    _cut(untrusted, marks, "repro_steps", red.text("repro_steps", bug.repro_steps), TEXT_CHARS)
    untrusted["page_url"] = red.url("page_url", bug.page_url)
    untrusted["labels"] = list(bug.labels or [])
    untrusted["environment"] = red.json("environment", bug.environment or {})
    untrusted["metadata"] = red.json("metadata", bug.custom_metadata or {})
    untrusted["reporter_name"] = bug.reporter_name

    # Console errors (warnings when there are none): the first ones are usually the cause.
    all_logs, all_network = await captures.all_entries(session, bug.id)
    picked = [e for e in all_logs if e["level"] == "error"] or [
        e for e in all_logs if e["level"] == "warn"
    ]
    errors = []
    for log in picked[:MAX_ERRORS]:
        item: dict[str, Any] = {"position": log["position"], "level": log["level"]}
        item_marks: list[str] = []
        _cut(item, item_marks, "message", red.text("log.message", log["message"]), MESSAGE_CHARS)
        _cut(item, item_marks, "stack", red.text("log.stack", log["stack"]), STACK_CHARS)
        item["source"] = red.url("log.source", log["source"])
        item["timestamp"] = _ts(log["timestamp"])
        if item_marks:
            item["truncated"] = item_marks
        errors.append(item)

    requests = []
    failing = [n for n in all_network if n["failed"]]
    for n in failing[:MAX_REQUESTS]:
        req: dict[str, Any] = {
            "position": n["position"],
            "method": n["method"],
            "url": red.url("network.url", n["url"]),
            "status": n["status"],
            "error": red.text("network.error", n["error"]),
            "duration_ms": (n["timing"] or {}).get("duration"),
            "request_headers": red.headers("network.request_headers", n["request_headers"] or {}),
            "response_headers": red.headers(
                "network.response_headers", n["response_headers"] or {}
            ),
        }
        req_marks: list[str] = []
        _cut(
            req,
            req_marks,
            "request_body",
            red.body("network.request_body", n["request_body"]),
            BODY_CHARS,
        )
        _cut(
            req,
            req_marks,
            "response_body",
            red.body("network.response_body", n["response_body"]),
            BODY_CHARS,
        )
        if req_marks:
            req["truncated"] = req_marks
        requests.append(req)

    comment_rows = list(
        (
            await session.execute(
                authz.visible(principal, Comment)
                .where(Comment.bug_id == bug.id)
                .order_by(Comment.created_at.desc(), Comment.id.desc())
                .limit(MAX_COMMENTS)
            )
        ).scalars()
    )
    comments = []
    for c in reversed(comment_rows):
        item = {"id": str(c.id), "author_id": str(c.author_id) if c.author_id else None}
        item_marks = []
        _cut(item, item_marks, "body", red.text("comment", c.body), MESSAGE_CHARS)
        item["created_at"] = _ts(c.created_at)
        if item_marks:
            item["truncated"] = item_marks
        comments.append(item)

    activity_rows = list(
        (
            await session.execute(
                authz.visible(principal, Activity)
                .where(Activity.bug_id == bug.id)
                .order_by(Activity.created_at.desc(), Activity.id.desc())
                .limit(MAX_ACTIVITY)
            )
        ).scalars()
    )
    activity = [
        {
            "type": a.type,
            "actor": {
                "kind": a.actor_kind,
                "user_id": str(a.actor_user_id) if a.actor_user_id else None,
            },
            "payload": red.json("activity", a.payload or {}),
            "created_at": _ts(a.created_at),
        }
        for a in reversed(activity_rows)
    ]
    # Look-alikes (bugport/similar/): "this failure has 37 reports". Their titles and the
    # normalised failure text come from reporters, so they sit with the untrusted lists.
    alike = await similar_service.for_bug(session, principal, bug.id, MAX_SIMILAR)
    bug_meta["same_failure_count"] = alike.same_failure_count
    similar = [
        {
            "id": str(s.bug.id),
            "key": s.bug.key,
            "status": s.bug.status,
            "title": cut(red.text("title", s.bug.title), 300)[0],
            "reason": s.reason,
        }
        for s in alike.data
    ]
    totals = {
        "similar": len(similar),
        "console_errors": len(picked),
        "failed_requests": len(failing),
        "comments": await _count(
            session, select(func.count()).select_from(Comment).where(Comment.bug_id == bug.id)
        ),
        "activity": await _count(
            session, select(func.count()).select_from(Activity).where(Activity.bug_id == bug.id)
        ),
    }
    g = Gathered(
        bug=bug_meta,
        untrusted=untrusted,
        lists={
            "console_errors": errors,
            "failed_requests": requests,
            "comments": comments,
            "activity": activity,
            "similar": similar,
        },
        totals=totals,
    )
    if marks:
        g.truncated["fields"] = marks
    return g


def _list_marks(g: Gathered, lists: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out = dict(g.truncated)
    for name, items in lists.items():
        if len(items) < g.totals[name]:
            out[name] = {"shown": len(items), "total": g.totals[name]}
    return out


def _shrink(g: Gathered, lists: dict[str, list[dict[str, Any]]]) -> bool:
    """Drop one item; False when nothing is left to drop. Activity and comments go first; then
    the longer of the errors and failed requests loses its last item, so both keep their first
    (most telling) entries for as long as possible."""
    for name in ("activity", "similar", "comments"):
        if lists[name]:
            lists[name].pop()
            return True
    pair = sorted(("console_errors", "failed_requests"), key=lambda n: -len(lists[n]))
    for name in pair:
        if lists[name]:
            lists[name].pop()
            return True
    return False


def _fit_text_fields(untrusted: dict[str, Any], marks: list[str]) -> bool:
    """Last resort: halve the longest reporter text field."""
    names = [n for n in ("description", "repro_steps", "title") if untrusted.get(n)]
    if not names:
        return False
    name = max(names, key=lambda n: len(untrusted[n]))
    text = untrusted[name]
    if len(text) < 200:
        return False
    untrusted[name], _ = cut(text, len(text) // 2)
    if name not in marks:
        marks.append(name)
    return True


def context_json(g: Gathered, budget: int) -> dict[str, Any]:
    lists = copy.deepcopy(g.lists)
    untrusted = copy.deepcopy(g.untrusted)
    field_marks = list(g.truncated.get("fields", []))

    def render() -> dict[str, Any]:
        marks = _list_marks(g, lists)
        if field_marks:
            marks["fields"] = field_marks
        return {
            "notice": UNTRUSTED_NOTICE,
            "bug": g.bug,
            "untrusted": {**untrusted, **lists},
            "truncated": marks,
            "budget_bytes": budget,
        }

    doc = render()
    while len(json.dumps(doc, ensure_ascii=False).encode()) > budget:
        if not (_shrink(g, lists) or _fit_text_fields(untrusted, field_marks)):
            break
        doc = render()
    return doc


def _json_block(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


def _render_prompt(
    g: Gathered, untrusted: dict[str, Any], lists: dict[str, Any], marks: dict[str, Any]
) -> str:
    b = g.bug
    out = [
        f"# Fix bug {b['key']}",
        "",
        "You are a coding agent. Find the cause of the bug below in this codebase and fix it. "
        "Explain the cause, make the smallest correct change, and add a test that fails "
        "without the fix.",
        "",
        f"> **Untrusted data.** {UNTRUSTED_NOTICE} Each such piece is in a fenced block tagged "
        "`untrusted`.",
        "",
        "## Facts (from BugPort)",
        "",
        f"- Bug: {b['key']} (id `{b['id']}`) in project {b['project']['key']}",
        f"- Status: {b['status']}; severity: {b['severity']}; priority: {b['priority']}",
        f"- Reported via {b['source']} at {b['created_at']}",
        f"- Captured: {b['log_count']} console entries, {b['network_count']} requests "
        f"({b['failed_request_count']} failed)",
        "",
        "## Title",
        "",
        fence(untrusted["title"] or "", "title"),
    ]
    if untrusted.get("description"):
        out += ["", "## Description", "", fence(untrusted["description"], "description")]
    if untrusted.get("repro_steps"):
        out += ["", "## Steps to reproduce", "", fence(untrusted["repro_steps"], "repro_steps")]
    env = {k: v for k, v in (untrusted.get("environment") or {}).items() if v not in (None, "")}
    if untrusted.get("page_url"):
        env = {"page_url": untrusted["page_url"], **env}
    if env:
        out += ["", "## Environment", "", fence(_json_block(env), "environment")]
    if lists["console_errors"]:
        out += ["", "## Console errors", ""]
        for e in lists["console_errors"]:
            text = e["message"] or ""
            if e.get("stack"):
                text += "\n" + e["stack"]
            out += [f"Entry {e['position']} ({e['level']}):", "", fence(text, "console"), ""]
    if lists["failed_requests"]:
        out += ["", "## Failed requests", ""]
        for r in lists["failed_requests"]:
            lines = [f"{r['method']} {r['url']}", f"status: {r['status']}"]
            if r.get("error"):
                lines.append(f"error: {r['error']}")
            if r.get("duration_ms") is not None:
                lines.append(f"duration_ms: {r['duration_ms']}")
            if r.get("request_body"):
                lines += ["request body:", r["request_body"]]
            if r.get("response_body"):
                lines += ["response body:", r["response_body"]]
            out += [f"Request {r['position']}:", "", fence("\n".join(lines), "network"), ""]
    if lists["comments"]:
        out += ["", "## Recent comments", ""]
        for c in lists["comments"]:
            out += [f"Comment at {c['created_at']}:", "", fence(c["body"] or "", "comment"), ""]
    if lists["similar"] or g.bug.get("same_failure_count", 0) > 1:
        out += ["", "## Similar reports", ""]
        if g.bug.get("same_failure_count", 0) > 1:
            out += [f"This failure has {g.bug['same_failure_count']} reports.", ""]
        if lists["similar"]:
            lines = [
                f"{s['key']} ({s['status']}): {s['title']} — {s['reason']}"
                for s in lists["similar"]
            ]
            out += [fence("\n".join(lines), "similar"), ""]
    if marks:
        notes = []
        for name, m in sorted(marks.items()):
            if name == "fields":
                notes.append(f"- cut to size: {', '.join(m)}")
            elif name != "activity":
                notes.append(f"- {name.replace('_', ' ')}: {m['shown']} of {m['total']} shown")
        if notes:
            out += ["", "## Truncated", "", *notes]
    out += [
        "",
        "## Output",
        "",
        f"When done, summarise the cause and the fix. If you can't reproduce {b['key']}, say what "
        "extra information would help.",
    ]
    return "\n".join(out) + "\n"


def prompt_markdown(g: Gathered, budget: int) -> tuple[str, dict[str, Any]]:
    lists = copy.deepcopy(g.lists)
    lists["activity"] = []  # the timeline helps triage, not a fix
    untrusted = copy.deepcopy(g.untrusted)
    field_marks = list(g.truncated.get("fields", []))

    def marks() -> dict[str, Any]:
        m = _list_marks(g, {k: v for k, v in lists.items() if k != "activity"})
        if field_marks:
            m["fields"] = field_marks
        return m

    text = _render_prompt(g, untrusted, lists, marks())
    while len(text) > budget:
        if not (_shrink(g, lists) or _fit_text_fields(untrusted, field_marks)):
            break
        text = _render_prompt(g, untrusted, lists, marks())
    if len(text) > budget:  # pathological: hard cut, still marked
        marker = "\n\n[… prompt cut to its size budget]\n"
        text = text[: budget - len(marker)] + marker
        field_marks.append("prompt")
    return text, marks()
