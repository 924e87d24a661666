"""A report's console and network entries: redacted into JSON documents at intake, one
`bug_captures` row per report (written by bug/writer.py), and read back here.

A report holds at most 1000 console and 500 network entries (the intake limits), so a document is
read whole and filtered and paged in memory; an entry's position is its key, and its id is derived
from the bug's id and that position (stable, never stored)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.bug.schemas import LogIn, NetworkIn
from bugport.kit.redaction import Redactor
from bugport.models import BugCaptures


def failed(status: int | None, error: str | None) -> bool:
    return bool(error) or not status or status >= 400


def _utc(value: datetime | None) -> str | None:
    # A capture timestamp without an offset is taken as UTC (browsers send Z; tools may not).
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def log_entries(logs: list[LogIn], red: Redactor) -> list[dict[str, Any]]:
    # One check over all the console text of the report: most reports hold no secret there, and
    # then no line needs the per-line rules (arguments are still walked one by one).
    plain = red.untouched(
        "\n".join(
            [e.message for e in logs]
            + [e.stack or "" for e in logs]
            + [e.source or "" for e in logs]
        )
    )
    entries = []
    for i, e in enumerate(logs):
        if plain:
            message, stack, source = e.message, e.stack, e.source
        else:
            message = red.text(f"logs[{i}].message", e.message) or ""
            stack = red.text(f"logs[{i}].stack", e.stack) if e.stack is not None else None
            source = red.text(f"logs[{i}].source", e.source) if e.source is not None else None
        entries.append(
            {
                "level": e.level,
                "message": message,
                "args": red.json(f"logs[{i}].args", e.args) if e.args else [],
                "stack": stack,
                "timestamp": _utc(e.timestamp),
                "source": source,
            }
        )
    return entries


def network_entries(network: list[NetworkIn], red: Redactor) -> list[dict[str, Any]]:
    """Most fields of most entries are empty: they skip the redactor (and building their path)."""
    entries = []
    for i, n in enumerate(network):
        p = f"network[{i}]"
        entries.append(
            {
                "method": n.method.upper(),
                "url": red.url(f"{p}.url", n.url) or "",
                "status": n.status,
                "failed": failed(n.status, n.error),
                "request_headers": red.headers(f"{p}.request_headers", n.request_headers)
                if n.request_headers
                else {},
                "response_headers": red.headers(f"{p}.response_headers", n.response_headers)
                if n.response_headers
                else {},
                "timing": n.timing,
                "request_size": n.request_size,
                "response_size": n.response_size,
                "request_body": red.body(f"{p}.request_body", n.request_body)
                if n.request_body is not None
                else None,
                "response_body": red.body(f"{p}.response_body", n.response_body)
                if n.response_body is not None
                else None,
                "error": red.text(f"{p}.error", n.error) if n.error is not None else None,
                "started_at": _utc(n.started_at),
            }
        )
    return entries


Kind = Literal["logs", "network"]


def entry_id(bug_id: uuid.UUID, kind: Kind, position: int) -> uuid.UUID:
    return uuid.uuid5(bug_id, f"{kind}/{position}")


def _numbered(bug_id: uuid.UUID, kind: Kind, document: list[Any] | None) -> list[dict[str, Any]]:
    return [
        {"id": entry_id(bug_id, kind, i), "position": i, **e} for i, e in enumerate(document or [])
    ]


async def entries(session: AsyncSession, bug_id: uuid.UUID, kind: Kind) -> list[dict[str, Any]]:
    """A bug's console (`logs`) or network entries in order, each with its `id` and `position`.
    The bug must be scoped already: this reads by its id."""
    document = await session.scalar(
        select(getattr(BugCaptures, kind)).where(BugCaptures.bug_id == bug_id)
    )
    return _numbered(bug_id, kind, document)


async def all_entries(
    session: AsyncSession, bug_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A bug's console and network entries (exports, shares), as `entries` gives them."""
    row = (
        await session.execute(
            select(BugCaptures.logs, BugCaptures.network).where(BugCaptures.bug_id == bug_id)
        )
    ).one_or_none()
    logs, network = row if row else (None, None)
    return _numbered(bug_id, "logs", logs), _numbered(bug_id, "network", network)
