"""`Idempotency-Key` for creating routes, reusable by any of them (bugs, widget intake, ...).

The first successful response (status, body, chosen headers) is stored for 24 hours, scoped to
the credential and the route, in the SAME transaction as the write it describes: a request that
fails stores nothing and can be retried, and a stored response always matches committed data.

Concurrency: on PostgreSQL a transaction-scoped advisory lock on (credential, route, key) is tried
first; if another request holds it, this one gets 409 `idempotency_in_progress`. On SQLite every
request transaction starts with BEGIN IMMEDIATE, so two requests never overlap: the second waits
and then replays.

Use in a route:

    idem = await idempotency.begin(request, session, principal, key, route="POST /v1/bugs")
    if idem.replay is not None:
        return idem.replay
    ...create...
    return await idem.respond(session, 201, payload, headers={"Location": url})
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Table, bindparam, delete, select, text, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.errors import BugPortError, Conflict, ValidationFailed
from bugport.kit.bulk_insert import json_payload
from bugport.models import IdempotencyRecord
from bugport.models.base import UTCDateTime, utcnow

TTL = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="1-255 printable characters. A retry with the same key and body returns the "
        "original response (with `Idempotent-Replayed: true`) and creates nothing; the same key "
        "with a different body is 422 `idempotency_key_reused`; 409 `idempotency_in_progress` "
        "while the first request runs. Scoped to the credential; kept 24 hours.",
    ),
]


def credential_scope(principal: Principal) -> str:
    ident = principal.credential_id or principal.user_id
    return f"{principal.kind}:{ident}"


def request_hash(raw: bytes, parsed: Any = None) -> str:
    """Hash of the canonical JSON body: key order and whitespace don't make a different request.
    `parsed`: the body as the route already parsed it (saves parsing it twice)."""
    try:
        value = orjson.loads(raw) if parsed is None else parsed
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (ValueError, TypeError):
        # Not JSON orjson takes (NaN, lone surrogates, huge integers): the bytes as sent.
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def lock_id(scope: str, route: str, key: str) -> int:
    digest = hashlib.sha256(f"{scope}\x00{route}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Idempotency:
    key: str | None
    scope: str
    route: str
    hash: str
    replay: JSONResponse | None = None

    async def respond(
        self,
        session: AsyncSession,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        resource_id: Any = None,
    ) -> JSONResponse:
        """Build the response and, with a key, store it in the request's transaction."""
        headers = headers or {}
        if self.key is not None:
            now = utcnow()
            session.add(
                IdempotencyRecord(
                    scope=self.scope,
                    route=self.route,
                    key=self.key,
                    request_hash=self.hash,
                    status_code=status,
                    body=body,
                    headers=headers,
                    created_at=now,
                    expires_at=now + TTL,
                    resource_id=resource_id,
                )
            )
            await session.flush()
        return JSONResponse(body, status_code=status, headers=headers)


async def begin(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    key: str | None,
    *,
    route: str,
) -> Idempotency:
    scope = credential_scope(principal)
    if key is None:
        return Idempotency(None, scope, route, "")
    idem = Idempotency(key, scope, route, request_hash(await request.body()))
    if session.get_bind().dialect.name == "postgresql":
        got = (
            await session.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_id(scope, route, key)}
            )
        ).scalar_one()
        if not got:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_in_progress",
            )
    where = (
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.route == route,
        IdempotencyRecord.key == key,
    )
    rec = (await session.execute(select(IdempotencyRecord).where(*where))).scalar_one_or_none()
    if rec is not None and rec.expires_at <= utcnow():
        await session.execute(delete(IdempotencyRecord).where(*where))
        rec = None
    if rec is None:
        return idem
    if rec.request_hash != idem.hash:
        raise reused()
    idem.replay = _replay(rec)
    return idem


def _replay(rec: IdempotencyRecord) -> JSONResponse:
    return JSONResponse(
        rec.body,
        status_code=rec.status_code,
        headers={**(rec.headers or {}), REPLAYED_HEADER: "true"},
    )


# ---- many requests in one transaction (group commit, kit/batching.py) ---------------------------


@dataclass(frozen=True)
class Claim:
    scope: str
    route: str
    key: str
    hash: str


@dataclass(frozen=True)
class Reply:
    """A claimed request's response, to store for replay (`complete_many`)."""

    claim: Claim
    status_code: int
    body: Any
    headers: dict[str, str]
    resource_id: uuid.UUID | None = None


def reply_row(r: Reply) -> dict[str, Any]:
    """A reply as a row of JSON (bug/writer.py completes replies inside its numbering statement)."""
    return {
        "scope": r.claim.scope,
        "route": r.claim.route,
        "key": r.claim.key,
        "status_code": r.status_code,
        "body": r.body,
        "headers": r.headers,
        "resource_id": r.resource_id,
    }


def reused() -> ValidationFailed:
    return ValidationFailed(
        "header.Idempotency-Key",
        "This Idempotency-Key was already used with a different body.",
        code="idempotency_key_reused",
    )


# PostgreSQL: the claims travel as one JSON parameter (kit/bulk_insert.py explains why), in key
# order, so batches written at once lock their claims in the same order. An expired record is
# taken over; a live one is left alone. Returns the claimed keys.
_PG_CLAIM = text(
    """
    INSERT INTO idempotency_keys (id, scope, route, key, request_hash, status_code, body, headers,
                                  created_at, expires_at, resource_id)
    SELECT gen_random_uuid(), r.scope, r.route, r.key, r.request_hash, 0, '{}', '{}',
           :now, :expires, NULL
    FROM jsonb_to_recordset(CAST(:claims AS jsonb))
         AS r(scope varchar, route varchar, key varchar, request_hash varchar)
    ORDER BY r.scope, r.route, r.key
    ON CONFLICT (scope, route, key) DO UPDATE
    SET request_hash = excluded.request_hash, status_code = excluded.status_code,
        body = excluded.body, headers = excluded.headers, created_at = excluded.created_at,
        expires_at = excluded.expires_at, resource_id = NULL
    WHERE idempotency_keys.expires_at <= :now
    RETURNING scope, route, key
    """
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    bindparam("expires", type_=UTCDateTime()),
)
_RECORDS: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
# SQLite: the same upsert, sent as an executemany (SQLite writers never overlap: order is moot).
_sqlite_upsert = sqlite_insert(_RECORDS)
_SQLITE_CLAIM = _sqlite_upsert.on_conflict_do_update(
    index_elements=["scope", "route", "key"],
    set_={
        n: _sqlite_upsert.excluded[n]
        for n in ("request_hash", "status_code", "body", "headers", "created_at", "expires_at")
    }
    | {"resource_id": None},
    where=_RECORDS.c.expires_at <= bindparam("cutoff", type_=_RECORDS.c.expires_at.type),
).returning(_RECORDS.c.scope, _RECORDS.c.route, _RECORDS.c.key)


async def _claim(session: AsyncSession, claims: list[Claim]) -> set[tuple[str, str, str]]:
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        payload = json_payload(
            [
                {"scope": c.scope, "route": c.route, "key": c.key, "request_hash": c.hash}
                for c in claims
            ]
        )
        rows = await session.execute(
            _PG_CLAIM, {"claims": payload, "now": now, "expires": now + TTL}
        )
    else:
        rows = await session.execute(
            _SQLITE_CLAIM,
            [
                {
                    "id": uuid.uuid4(),
                    "scope": c.scope,
                    "route": c.route,
                    "key": c.key,
                    "request_hash": c.hash,
                    "status_code": 0,  # completed before commit; nobody sees a claim
                    "body": {},
                    "headers": {},
                    "created_at": now,
                    "expires_at": now + TTL,
                    "resource_id": None,
                    "cutoff": now,
                }
                for c in claims
            ],
        )
    return {(r[0], r[1], r[2]) for r in rows}


async def claim_many(
    session: AsyncSession, claims: list[Claim]
) -> list[IdempotencyRecord | BugPortError | None]:
    """Claim distinct keys for requests written together. Per claim: None = claimed (write, then
    `complete_many`), a record = the stored first response to replay, or the error to answer.

    The claim is a row inserted up front (ON CONFLICT: an expired record is taken over, a live one
    is left alone). A second request with the same key in another transaction waits on that row
    until the first commits and then replays it; in the same transaction (the caller dedupes) it
    never gets here."""
    if not claims:
        return []
    won = await _claim(session, claims)
    lost = [c for c in claims if (c.scope, c.route, c.key) not in won]
    stored: dict[tuple[str, str, str], IdempotencyRecord] = {}
    if lost:
        rows = await session.execute(
            select(IdempotencyRecord).where(
                tuple_(IdempotencyRecord.scope, IdempotencyRecord.route, IdempotencyRecord.key).in_(
                    [(c.scope, c.route, c.key) for c in lost]
                )
            )
        )
        stored = {(r.scope, r.route, r.key): r for r in rows.scalars()}
    out: list[IdempotencyRecord | BugPortError | None] = []
    for c in claims:
        if (c.scope, c.route, c.key) in won:
            out.append(None)
            continue
        rec = stored.get((c.scope, c.route, c.key))
        if rec is None:
            out.append(
                Conflict(
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                    code="idempotency_in_progress",
                )
            )
        elif rec.request_hash != c.hash:
            out.append(reused())
        else:
            out.append(rec)
    return out


async def release_many(session: AsyncSession, claims: list[Claim]) -> None:
    """Give claims back (their requests failed after claiming): a retry starts afresh."""
    if not claims:
        return
    await session.execute(
        delete(IdempotencyRecord).where(
            tuple_(IdempotencyRecord.scope, IdempotencyRecord.route, IdempotencyRecord.key).in_(
                [(c.scope, c.route, c.key) for c in claims]
            )
        )
    )


# Built once, like the claim: a statement object built per call is cache-keyed per call.
_COMPLETE = (
    update(_RECORDS)
    .where(
        _RECORDS.c.scope == bindparam("b_scope"),
        _RECORDS.c.route == bindparam("b_route"),
        _RECORDS.c.key == bindparam("b_key"),
    )
    .values(
        status_code=bindparam("b_status_code"),
        body=bindparam("b_body"),
        headers=bindparam("b_headers"),
        resource_id=bindparam("b_resource_id"),
    )
)


async def complete_many(session: AsyncSession, replies: list[Reply]) -> None:
    """Store each claimed request's response."""
    if not replies:
        return
    # "b_": names of the table's own columns are reserved for SET parameters.
    await session.execute(
        _COMPLETE, [{f"b_{k}": v for k, v in reply_row(r).items()} for r in replies]
    )


async def sweep(session: AsyncSession) -> int:
    """Delete expired records (run from a periodic job; lookups already ignore them)."""
    res = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
    )
    return int(res.rowcount or 0)  # type: ignore[attr-defined]
