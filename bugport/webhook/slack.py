"""Slack messages (Block Kit, posted to an incoming-webhook URL) for the events a Slack endpoint
takes: a new bug with its key, title, severity, reporter, page and screenshot, a status change,
and one line for anything else. Report text is untrusted: every piece goes in as plain text or
with Slack's `&`, `<`, `>` escaped, so a title can't turn into a mention or a link."""

from __future__ import annotations

import json
from typing import Any

# What a Slack endpoint gets when it names no event types.
DEFAULT_TYPES = ["bug.created", "bug.status_changed"]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": False}


def _link(url: str, label: str) -> str:
    # A URL with | or > would end the link early: those are refused rather than mangled.
    if not url.startswith(("https://", "http://")) or any(c in url for c in "|<> "):
        return _esc(label)
    return f"<{url}|{_esc(label)}>"


def _who(bug: dict[str, Any]) -> str:
    r = bug.get("reporter") or {}
    return str(r.get("name") or r.get("email") or bug.get("source") or "unknown")


def render(
    event_type: str, data: dict[str, Any], bug_url: str | None, screenshot_url: str | None
) -> bytes:
    bug = data.get("bug") or {}
    key = str(bug.get("key") or "")
    title = str(bug.get("title") or "")
    blocks: list[dict[str, Any]]
    if event_type == "bug.created":
        fields = [
            {"type": "mrkdwn", "text": f"*Severity*\n{_esc(str(bug.get('severity', '')))}"},
            {"type": "mrkdwn", "text": f"*Reporter*\n{_esc(_who(bug))}"},
        ]
        if bug.get("page_url"):
            page = str(bug["page_url"])
            fields.append({"type": "mrkdwn", "text": f"*Page*\n{_link(page, page[:200])}"})
        blocks = [
            {"type": "header", "text": _plain(f"🐞 {key} · {title}")},
            {"type": "section", "fields": fields},
        ]
        if screenshot_url:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": _link(screenshot_url, "Screenshot")},
                    ],
                }
            )
        fallback = f"New bug {key}: {title}"
    elif event_type == "bug.status_changed":
        change = data.get("change") or {}
        by = (data.get("actor") or {}).get("label") or "someone"
        line = f"*{_esc(key)}* {_esc(title)}\nStatus *{_esc(str(change.get('from')))}* → " + (
            f"*{_esc(str(change.get('to')))}* by {_esc(str(by))}"
        )
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": line}}]
        fallback = f"{key} is now {change.get('to')}"
    else:
        what = event_type.replace("_", " ").replace(".", ": ")
        line = f"*{_esc(key)}* {_esc(title)}\n{_esc(what)}" if key else _esc(what)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": line}}]
        fallback = f"{key} {what}".strip()
    if bug_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": _plain("Open in BugPort"),
                        "url": bug_url,
                        "action_id": "open_bug",
                    }
                ],
            }
        )
    body = {"text": fallback[:3000], "blocks": blocks}
    return json.dumps(body, ensure_ascii=False).encode()
