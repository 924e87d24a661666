"""Engine and the request-owned session: a request commits once at the end or rolls back."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

log = logging.getLogger("bugport.db")

AfterCommit = Callable[[], Awaitable[Any]]


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _rec: Any) -> None:
            # pysqlite opens transactions lazily; we issue BEGIN ourselves (see _sqlite_begin)
            # so that a request's read-then-write is isolated.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: SQLite then serialises writers instead of
            # failing one of two read-then-write transactions (per-project counters, quotas).
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql") and "nullpool" in url:
        return create_async_engine(url.replace("?nullpool=1", ""), poolclass=NullPool)
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _ping_idle_connections(engine)
    return engine


# A pooled connection idle longer than this is checked before use (the server may have restarted
# or dropped it meanwhile); a busy pool's connections are not. SQLAlchemy's pool_pre_ping checks
# every checkout, which costs asyncpg three round trips (BEGIN, ";", ROLLBACK) before every
# transaction: as much as a widget batch's own statements (bench/RESULTS-widget.md).
PING_AFTER_IDLE_S = 1.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _idle_from(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError() from exc


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def after_commit(session: AsyncSession, fn: AfterCommit) -> None:
    """Run fn once the request's transaction has committed (jobs are never enqueued before)."""
    session.info.setdefault("after_commit", []).append(fn)


async def run_after_commit(session: AsyncSession) -> None:
    for fn in session.info.pop("after_commit", []):
        try:
            await fn()
        except Exception:  # a job failing to enqueue must not turn a committed write into a 500
            log.exception("after-commit hook failed")


@asynccontextmanager
async def unit_of_work(app_state: Any) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the block ends (rolls back if it raises), then
    runs the after-commit work. Requests get one (`Session`); so do background writers that
    commit on their own (widget intake batches)."""
    maker: async_sessionmaker[AsyncSession] = app_state.sessionmaker
    async with maker() as session:
        # Lets services schedule after-commit work that needs the app (connector pushes).
        session.info["app_state"] = app_state
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await run_after_commit(session)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state) as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a client never sees
# a 201 for a write that did not commit.
Session = Annotated[AsyncSession, Depends(_session, scope="function")]
