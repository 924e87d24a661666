"""Opaque, signed keyset cursors. A page costs the same at any depth: we seek, never OFFSET."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from sqlalchemy import ColumnElement, Select, and_, or_, tuple_

from bugport.errors import InvalidCursor
from bugport.kit.crypto import same_text, sign

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]
T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[
        int,
        Query(
            ge=1,
            description=f"Page size, default {DEFAULT_LIMIT}; values over {MAX_LIMIT} are clamped to {MAX_LIMIT}.",
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=2048, description="Opaque cursor from a previous page's `next_cursor`."),
    ] = None,
) -> PageParams:
    return PageParams(limit=min(limit, MAX_LIMIT), cursor=cursor)


def _enc(v: Any) -> list[Any]:
    if isinstance(v, datetime):
        return ["d", v.isoformat()]
    if isinstance(v, uuid.UUID):
        return ["u", str(v)]
    return ["v", v]


def _dec(item: Any) -> Any:
    tag, v = item
    if tag == "d":
        return datetime.fromisoformat(v)
    if tag == "u":
        return uuid.UUID(v)
    return v


def encode_cursor(key: bytes, kind: str, values: list[Any]) -> str:
    payload = json.dumps(
        {"k": kind, "v": [_enc(v) for v in values]}, separators=(",", ":")
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{sign(key, payload)[:32]}"


def decode_cursor(key: bytes, kind: str, cursor: str, arity: int) -> list[Any]:
    try:
        body, sig = cursor.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not same_text(sign(key, payload)[:32], sig):
            raise ValueError("signature")
        data = json.loads(payload)
        if data["k"] != kind or len(data["v"]) != arity:
            raise ValueError("kind")
        return [_dec(x) for x in data["v"]]
    except InvalidCursor:
        raise
    except Exception as exc:
        raise InvalidCursor() from exc


def seek(columns: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order given by (column, descending) pairs."""
    if all(desc == columns[0][1] for _, desc in columns):
        left = tuple_(*[c for c, _ in columns])
        right = tuple_(*values)
        return left < right if columns[0][1] else left > right
    clauses = []
    for i, (col, desc) in enumerate(columns):
        eqs = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        clauses.append(and_(*eqs, col < values[i] if desc else col > values[i]))
    return or_(*clauses)


@dataclass
class Keyset:
    """A sort order for one list: how to order, seek and cursor it."""

    kind: str
    columns: list[tuple[Any, bool]]  # (column, descending)

    def apply(self, stmt: S, key: bytes, params: PageParams) -> S:
        if params.cursor:
            values = decode_cursor(key, self.kind, params.cursor, len(self.columns))
            stmt = stmt.where(seek(self.columns, values))
        order = [c.desc() if desc else c.asc() for c, desc in self.columns]
        return stmt.order_by(*order).limit(params.limit + 1)

    def page(
        self, rows: list[Any], key: bytes, params: PageParams, values_of: Any
    ) -> tuple[list[Any], str | None]:
        return _cut(self.kind, rows, key, params, lambda r: list(values_of(r)))


def _cut(
    kind: str, rows: list[T], key: bytes, params: PageParams, values_of: Callable[[T], list[Any]]
) -> tuple[list[T], str | None]:
    """The page out of up to limit + 1 rows, with the cursor after its last row if more follow."""
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    return rows, encode_cursor(key, kind, values_of(rows[-1]))


def page_in_order(
    kind: str, items: list[T], key: bytes, params: PageParams, position: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """A keyset page over a list already in order of `position` (a bounded document's entries,
    read whole), with the same signed cursors as a table's pages."""
    if params.cursor:
        (after,) = decode_cursor(key, kind, params.cursor, 1)
        if not isinstance(after, int):
            raise InvalidCursor()
        items = [i for i in items if position(i) > after]
    return _cut(kind, items, key, params, lambda i: [position(i)])


def signing_key(request: Request) -> bytes:
    return request.app.state.settings.signing_key
