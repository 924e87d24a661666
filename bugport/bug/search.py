"""Full-text search over key, title and description, behind ONE function for both engines.

PostgreSQL: a generated `search_vector` tsvector column (GIN index) matched with
`websearch_to_tsquery`, which accepts any input. SQLite: the `bugs_fts` FTS5 external-content
table (kept current by triggers) matched with MATCH; raw input can be FTS5 syntax, so every
token is quoted and the tokens are ANDed."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, table

_TOKEN = re.compile(r"\S+")


def sqlite_query(q: str) -> str | None:
    tokens = [t.replace('"', '""') for t in _TOKEN.findall(q)]
    tokens = [t for t in tokens if t.strip('"')]
    if not tokens:
        return None
    return " ".join(f'"{t}"' for t in tokens[:32])


def fulltext_match(dialect: str, q: str, table_name: str = "bugs") -> ColumnElement[bool]:
    """A WHERE clause on `bugs` (or an alias of it, by name) true for rows matching the user's
    search text `q`."""
    if dialect == "postgresql":
        return literal_column(f"{table_name}.search_vector").op("@@")(
            func.websearch_to_tsquery("english", q)
        )
    match = sqlite_query(q)
    if match is None:
        return literal_column("1").op("=")(literal_column("0"))
    fts = table("bugs_fts")
    rowids: Select[Any] = (
        select(literal_column("bugs_fts.rowid"))
        .select_from(fts)
        .where(literal_column("bugs_fts").op("MATCH")(match))
    )
    return literal_column(f"{table_name}.rowid").in_(rowids)
