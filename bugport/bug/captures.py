"""A report's console and network captures: redacted rows, and one INSERT per table.

Intake writes up to 1000 log and 500 network rows per report, so the write is shaped for it: on
PostgreSQL the whole array travels as ONE JSON parameter and the server expands it
(`jsonb_to_recordset`), instead of the driver binding ~11 parameters per row; SQLite takes the
rows as one executemany. Both write the same rows (positions, redacted values, generated ids)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.bug.schemas import LogIn, NetworkIn
from bugport.kit.redaction import Redactor
from bugport.models import BugLog, BugNetwork


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


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_PG_SQL: dict[str, str] = {}


def _pg_statement(table: Table, session: AsyncSession) -> str:
    """INSERT … SELECT from the JSON array, with the row type spelled from the table itself."""
    if table.name not in _PG_SQL:
        dialect = session.get_bind().dialect
        quote = dialect.identifier_preparer.quote
        cols = [c for c in table.columns if c.name != "id"]
        names = ", ".join(quote(c.name) for c in cols)
        record = ", ".join(f"{quote(c.name)} {c.type.compile(dialect=dialect)}" for c in cols)
        picked = ", ".join(f"r.{quote(c.name)}" for c in cols)
        _PG_SQL[table.name] = (
            f"INSERT INTO {table.name} (id, {names}) SELECT gen_random_uuid(), {picked} "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({record})"
        )
    return _PG_SQL[table.name]


async def insert_entries(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (each with bug_id, workspace_id, project_id) into bug_logs or bug_network in
    one statement, whatever the number of reports they belong to."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        try:
            # default=str: ids read back through asyncpg are its own UUID type.
            payload = orjson.dumps(rows, default=str).decode()
        except TypeError:
            # orjson refuses lone surrogates; the json module writes them as escapes.
            payload = json.dumps(rows, ensure_ascii=False, default=_json_default)
        await session.execute(text(_pg_statement(table, session)), {"rows": payload})
        return
    await session.execute(table.insert(), [{"id": uuid.uuid4(), **row} for row in rows])


async def insert_captures(
    session: AsyncSession, logs: list[dict[str, Any]], network: list[dict[str, Any]]
) -> None:
    await insert_entries(session, BugLog.__table__, logs)  # type: ignore[arg-type]
    await insert_entries(session, BugNetwork.__table__, network)  # type: ignore[arg-type]
