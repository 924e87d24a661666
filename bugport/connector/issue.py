"""What a pushed issue says: title, a Markdown body (GitHub, Linear) or an ADF document (Jira),
and labels/priority from severity. Bug text comes from anonymous reporters, so it is treated as
data: Markdown is escaped, @mentions are defused (no pinging a tracker's users from a bug
report), logs go in code blocks, and only http(s) URLs become links."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

MAX_BODY = 60_000  # GitHub caps issue bodies at 65,536 characters
MAX_JIRA_TEXT = 30_000  # Jira's description field holds ~32k characters
MAX_ITEMS = 20
MAX_ENTRY = 2_000
SEVERITY_PRIORITY = {"critical": 1, "high": 2, "medium": 3, "low": 4}  # Linear: 1 urgent..4 low


@dataclass
class BugSnapshot:
    """The parts of a bug a pushed issue shows (filled from the bug and its sub-resources)."""

    id: uuid.UUID
    key: str  # WEB-42
    title: str
    description: str | None = None
    severity: str | None = None
    page_url: str | None = None
    environment: dict[str, str] = field(default_factory=dict)  # Browser, OS, Viewport, ...
    repro_steps: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)  # message + stack, already redacted
    failing_requests: list[tuple[str, str, int | None]] = field(default_factory=list)
    media: list[tuple[str, str]] = field(default_factory=list)  # (name, url)
    share_url: str | None = None
    bug_url: str | None = None  # the bug in the BugPort dashboard


@dataclass
class IssueDraft:
    title: str
    markdown: str
    adf: dict[str, Any]
    labels: list[str]
    priority: int | None
    marker: str  # bugport:push:<push id>, findable again on retry


def marker_for(push_id: uuid.UUID) -> str:
    return f"bugport:push:{push_id.hex}"


def jira_marker_label(push_id: uuid.UUID) -> str:
    return f"bugport-{push_id.hex}"


def _is_link(url: str | None) -> bool:
    return bool(url) and re.match(r"^https?://[^\s<>\"]+$", url or "") is not None


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def md_text(s: str) -> str:
    """Escape Markdown and defuse @mentions (a zero-width space after the @)."""
    return _MD_SPECIAL.sub(r"\\\1", s).replace("@", "@\u200b")


def md_cell(s: str) -> str:
    return md_text(" ".join(s.split()))[:500]


def md_link(text: str, url: str) -> str:
    return f"[{md_text(text)}](<{url}>)" if _is_link(url) else md_text(f"{text}: {url}")


def md_code(s: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{s}\n{fence}"


def _clip(s: str, n: int = MAX_ENTRY) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def title_for(bug: BugSnapshot) -> str:
    return _clip(f"[{bug.key}] {' '.join(bug.title.split())}", 250)


def labels_for(bug: BugSnapshot, provider: str) -> list[str]:
    sev = (bug.severity or "").lower()
    if provider == "jira":  # Jira labels can't contain spaces
        return ["bugport"] + ([f"severity-{sev}"] if sev else [])
    return ["bug"] + ([f"severity: {sev}"] if sev else [])


def markdown_body(bug: BugSnapshot, marker: str | None) -> str:
    out: list[str] = [md_text(bug.description.strip()) if bug.description else "_No description._"]
    meta = [f"**{md_text(bug.key)}**"]
    if bug.severity:
        meta.append(f"severity: **{md_text(bug.severity)}**")
    if _is_link(bug.bug_url):
        meta.append(f"[Open in BugPort](<{bug.bug_url}>)")
    out.append("Reported with BugPort · " + " · ".join(meta))
    env = ([("Page", bug.page_url)] if bug.page_url else []) + list(bug.environment.items())
    if env:
        rows = ["| | |", "|---|---|"]
        for k, v in env[:MAX_ITEMS]:
            value = f"<{v}>" if k == "Page" and _is_link(v) else md_cell(str(v))
            rows.append(f"| {md_cell(k)} | {value} |")
        out.append("### Environment\n" + "\n".join(rows))
    if bug.repro_steps:
        steps = [f"{i}. {md_text(_clip(s))}" for i, s in enumerate(bug.repro_steps[:MAX_ITEMS], 1)]
        out.append("### Steps to reproduce\n" + "\n".join(steps))
    if bug.console_errors:
        blocks = [md_code(_clip(e)) for e in bug.console_errors[:MAX_ITEMS]]
        out.append("### Console errors\n" + "\n".join(blocks))
    if bug.failing_requests:
        rows = ["| Method | URL | Status |", "|---|---|---|"]
        for method, url, status in bug.failing_requests[:MAX_ITEMS]:
            rows.append(f"| {md_cell(method)} | {md_cell(_clip(url, 500))} | {status or '—'} |")
        out.append("### Failing requests\n" + "\n".join(rows))
    links = [f"- {md_link(name, url)}" for name, url in bug.media[:MAX_ITEMS]]
    if _is_link(bug.share_url):
        links.append(f"- [Public share link](<{bug.share_url}>)")
    if links:
        out.append("### Attachments\n" + "\n".join(links))
    body = "\n\n".join(out)
    tail = f"\n\n<!-- {marker} -->" if marker else ""
    if len(body) + len(tail) > MAX_BODY:
        body = body[: MAX_BODY - len(tail) - 40] + "\n\n_(truncated by BugPort)_"
    return body + tail


# -- Atlassian Document Format -----------------------------------------------------------------


def _t(text: str, href: str | None = None, strong: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    marks = []
    if href and _is_link(href):
        marks.append({"type": "link", "attrs": {"href": href}})
    if strong:
        marks.append({"type": "strong"})
    if marks:
        node["marks"] = marks
    return node


def _p(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [n for n in nodes if n.get("text")]}


def _h(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_t(text)]}


def _list(kind: str, items: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "type": kind,
        "content": [{"type": "listItem", "content": [_p(*item)]} for item in items],
    }


def _code(text: str) -> dict[str, Any]:
    return {"type": "codeBlock", "attrs": {"language": "text"}, "content": [_t(text)]}


def adf_body(bug: BugSnapshot) -> dict[str, Any]:
    """ADF needs no escaping (it is structure, not markup); empty text nodes are invalid."""
    budget = [MAX_JIRA_TEXT]

    def clip(s: str, n: int = MAX_ENTRY) -> str:
        s = _clip(s.strip() or "—", min(n, max(budget[0], 1)))
        budget[0] -= len(s)
        return s

    content: list[dict[str, Any]] = [
        _p(_t(clip(bug.description or "No description.", 10_000))),
    ]
    meta = [_t("Reported with BugPort · "), _t(bug.key, strong=True)]
    if bug.severity:
        meta += [_t(" · severity: "), _t(bug.severity, strong=True)]
    if _is_link(bug.bug_url):
        meta += [_t(" · "), _t("Open in BugPort", href=bug.bug_url)]
    content.append(_p(*meta))
    env = ([("Page", bug.page_url)] if bug.page_url else []) + list(bug.environment.items())
    if env:
        content.append(_h("Environment"))
        content.append(
            _list(
                "bulletList",
                [
                    [_t(f"{clip(k, 100)}: ", strong=True), _t(clip(str(v), 500), href=v)]
                    for k, v in env[:MAX_ITEMS]
                ],
            )
        )
    if bug.repro_steps:
        content.append(_h("Steps to reproduce"))
        content.append(_list("orderedList", [[_t(clip(s))] for s in bug.repro_steps[:MAX_ITEMS]]))
    if bug.console_errors:
        content.append(_h("Console errors"))
        content += [_code(clip(e)) for e in bug.console_errors[:MAX_ITEMS]]
    if bug.failing_requests:
        content.append(_h("Failing requests"))
        content.append(
            _list(
                "bulletList",
                [
                    [_t(clip(f"{m} {u} → {s or '—'}", 600))]
                    for m, u, s in bug.failing_requests[:MAX_ITEMS]
                ],
            )
        )
    links = [[_t(clip(n, 200), href=u)] for n, u in bug.media[:MAX_ITEMS]]
    if _is_link(bug.share_url):
        links.append([_t("Public share link", href=bug.share_url)])
    if links:
        content.append(_h("Attachments"))
        content.append(_list("bulletList", links))
    return {"type": "doc", "version": 1, "content": content}


def draft_for(bug: BugSnapshot, provider: str, push_id: uuid.UUID) -> IssueDraft:
    marker = marker_for(push_id)
    labels = labels_for(bug, provider)
    if provider == "jira":
        labels.append(jira_marker_label(push_id))
    return IssueDraft(
        title=title_for(bug),
        # GitHub finds a pushed issue again by this hidden marker; Linear by the issue id we
        # choose, Jira by a label: neither needs (or renders) an HTML comment.
        markdown=markdown_body(bug, marker if provider == "github" else None),
        adf=adf_body(bug) if provider == "jira" else {},
        labels=labels,
        priority=SEVERITY_PRIORITY.get((bug.severity or "").lower()),
        marker=marker,
    )
