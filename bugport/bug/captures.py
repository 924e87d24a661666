"""A report's console and network captures as redacted rows (written by bug/writer.py through
kit/bulk_insert.py: up to 1000 log and 500 network rows per report)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bugport.bug.schemas import LogIn, NetworkIn
from bugport.kit.redaction import Redactor


def failed(status: int | None, error: str | None) -> bool:
    return bool(error) or not status or status >= 400


def _utc(value: datetime | None) -> datetime | None:
    # A capture timestamp without an offset is taken as UTC (browsers send Z; tools may not).
    # One with an offset is kept as sent: both write paths store it as UTC (PostgreSQL reads the
    # offset from the JSON, SQLite's rows go through models.base.UTCDateTime).
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def log_rows(logs: list[LogIn], red: Redactor, owner: dict[str, Any]) -> list[dict[str, Any]]:
    """`owner`: the bug_id, workspace_id and project_id every row carries."""
    # One check over all the console text of the report: most reports hold no secret there, and
    # then no line needs the per-line rules (arguments are still walked one by one).
    plain = red.untouched(
        "\n".join(
            [e.message for e in logs]
            + [e.stack or "" for e in logs]
            + [e.source or "" for e in logs]
        )
    )
    rows = []
    for i, e in enumerate(logs):
        if plain:
            message, stack, source = e.message, e.stack, e.source
        else:
            message = red.text(f"logs[{i}].message", e.message) or ""
            stack = red.text(f"logs[{i}].stack", e.stack) if e.stack is not None else None
            source = red.text(f"logs[{i}].source", e.source) if e.source is not None else None
        rows.append(
            {
                **owner,
                "position": i,
                "level": e.level,
                "message": message,
                "args": red.json(f"logs[{i}].args", e.args) if e.args else [],
                "stack": stack,
                "timestamp": _utc(e.timestamp),
                "source": source,
            }
        )
    return rows


def network_rows(
    network: list[NetworkIn], red: Redactor, owner: dict[str, Any]
) -> list[dict[str, Any]]:
    """`owner`: the bug_id, workspace_id and project_id every row carries. Most fields of most
    entries are empty: they skip the redactor (and building their path)."""
    rows = []
    for i, n in enumerate(network):
        p = f"network[{i}]"
        rows.append(
            {
                **owner,
                "position": i,
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
    return rows
