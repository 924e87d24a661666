"""Many rows into several tables in as few round trips as the database allows.

PostgreSQL: ONE statement for every table. Each table's rows travel as one JSON parameter that the
server expands (`jsonb_to_recordset`), and the tables are chained with data-modifying CTEs
(`WITH a AS (INSERT …), b AS (INSERT …) INSERT …`). Foreign keys between them hold: PostgreSQL
checks them when the statement ends, after every row is in. Binding a dozen parameters per row
through the driver costs far more than the server's JSON parsing at intake sizes (a widget batch:
a bug row, a captures row and a timeline row per report, for many reports).

SQLite: one executemany per table, in the order given (parents first).

Ids: a table whose rows carry no `id` gets one from the database (`gen_random_uuid()`) or, on
SQLite, from uuid4."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Table, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Rows:
    table: Table
    rows: list[dict[str, Any]]  # keyed by column name
    generated_id: bool = False  # rows carry no `id`: the database makes one


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # UUIDs (asyncpg's own type included)


def json_payload(rows: list[dict[str, Any]]) -> str:
    try:
        # default=str: ids read back through asyncpg are its own UUID type.
        return orjson.dumps(rows, default=str).decode()
    except TypeError:
        # orjson refuses lone surrogates; the json module writes them as escapes.
        return json.dumps(rows, ensure_ascii=False, default=_json_default)


_SQL: dict[tuple[str, bool, str], str] = {}


def insert_select(
    table: Table,
    param: str,
    dialect: Dialect,
    *,
    generated_id: bool = False,
    join: str = "",
    overrides: dict[str, str] | None = None,
) -> str:
    """INSERT … SELECT from the JSON array parameter `param` (rows aliased `r`), with the row type
    spelled from the table itself. `join` adds to the FROM clause; `overrides` gives SQL for
    columns not taken as sent."""
    quote = dialect.identifier_preparer.quote
    overrides = overrides or {}
    cols = [c for c in table.columns if not (generated_id and c.name == "id")]
    names = ", ".join(quote(c.name) for c in cols)
    record = ", ".join(f"{quote(c.name)} {c.type.compile(dialect=dialect)}" for c in cols)
    picked = ", ".join(overrides.get(c.name, f"r.{quote(c.name)}") for c in cols)
    if generated_id:
        names, picked = f"id, {names}", f"gen_random_uuid(), {picked}"
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {picked} "
        f"FROM jsonb_to_recordset(CAST(:{param} AS jsonb)) AS r({record}) {join}"
    ).rstrip()


async def insert_rows(session: AsyncSession, groups: list[Rows]) -> None:
    """Insert every group's rows, parents before children, in the session's transaction."""
    groups = [g for g in groups if g.rows]
    if not groups:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        params: dict[str, str] = {}
        parts: list[str] = []
        for i, g in enumerate(groups):
            params[f"rows_{i}"] = json_payload(g.rows)
            cache_key = (g.table.name, g.generated_id, f"rows_{i}")
            if cache_key not in _SQL:
                _SQL[cache_key] = insert_select(
                    g.table, f"rows_{i}", dialect, generated_id=g.generated_id
                )
            parts.append(_SQL[cache_key])
        *ctes, last = parts
        sql = last
        if ctes:
            sql = "WITH " + ", ".join(f"w{i} AS ({s})" for i, s in enumerate(ctes)) + " " + last
        await session.execute(text(sql), params)
        return
    for g in groups:
        rows = [{"id": uuid.uuid4(), **r} for r in g.rows] if g.generated_id else g.rows
        await session.execute(g.table.insert(), rows)
