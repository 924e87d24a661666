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
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def log_rows(logs: list[LogIn], red: Redactor) -> list[dict[str, Any]]:
    return [
        {
            "position": i,
            "level": e.level,
            "message": red.text(f"logs[{i}].message", e.message) or "",
            "args": red.json(f"logs[{i}].args", e.args),
            "stack": red.text(f"logs[{i}].stack", e.stack),
            "timestamp": _utc(e.timestamp),
            "source": red.text(f"logs[{i}].source", e.source),
        }
        for i, e in enumerate(logs)
    ]


def network_rows(network: list[NetworkIn], red: Redactor) -> list[dict[str, Any]]:
    return [
        {
            "position": i,
            "method": n.method.upper(),
            "url": red.url(f"network[{i}].url", n.url) or "",
            "status": n.status,
            "failed": failed(n.status, n.error),
            "request_headers": red.headers(f"network[{i}].request_headers", n.request_headers),
            "response_headers": red.headers(f"network[{i}].response_headers", n.response_headers),
            "timing": n.timing,
            "request_size": n.request_size,
            "response_size": n.response_size,
            "request_body": red.body(f"network[{i}].request_body", n.request_body),
            "response_body": red.body(f"network[{i}].response_body", n.response_body),
            "error": red.text(f"network[{i}].error", n.error),
            "started_at": _utc(n.started_at),
        }
        for i, n in enumerate(network)
    ]
