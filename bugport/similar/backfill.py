"""`bugport fingerprints`: give bugs filed before fingerprints existed (migration 0016) theirs.

Walks the bugs without a fingerprint that have captures, in id order, a batch per transaction
(keyset on id, so a restart picks up where it stopped), computes each fingerprint exactly as
ingest does (bugport/similar/fingerprint.py over the stored, already redacted captures) and
writes the batch back in one statement. Bugs whose captures hold no failure stay without one.
Safe to run while the API serves: it only fills columns that are NULL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bugport.models import Bug, BugCaptures
from bugport.similar import fingerprint

_FILL = (
    update(Bug.__table__)  # type: ignore[arg-type]
    .where(Bug.__table__.c.id == bindparam("bug_id"), Bug.__table__.c.fingerprint.is_(None))  # type: ignore[attr-defined]
    .values(
        fingerprint=bindparam("fp"),
        fp_request=bindparam("fp_request"),
        fp_error=bindparam("fp_error"),
    )
)


def _pending() -> Select[Any]:
    return (
        select(Bug.id, Bug.page_url, BugCaptures.logs, BugCaptures.network)
        .join(BugCaptures, BugCaptures.bug_id == Bug.id)
        .where(Bug.fingerprint.is_(None))
    )


async def count_pending(session: AsyncSession) -> int:
    stmt = (
        select(func.count())
        .select_from(Bug)
        .join(BugCaptures, BugCaptures.bug_id == Bug.id)
        .where(Bug.fingerprint.is_(None))
    )
    return int((await session.execute(stmt)).scalar_one())


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    batch: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """(bugs looked at, bugs given a fingerprint)."""
    seen = filled = 0
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = _pending().order_by(Bug.id).limit(batch)
            if after is not None:
                stmt = stmt.where(Bug.id > after)
            rows = (await session.execute(stmt)).all()
            if not rows:
                return seen, filled
            updates = []
            for bug_id, page_url, logs, network in rows:
                fp = fingerprint.of_captures(logs or [], network or [], page_url)
                if fp.hash is not None:
                    updates.append(
                        {
                            "bug_id": bug_id,
                            "fp": fp.hash,
                            "fp_request": fp.request,
                            "fp_error": fp.error,
                        }
                    )
            if updates:
                await session.execute(_FILL, updates)
            seen += len(rows)
            filled += len(updates)
            after = rows[-1][0]
        if progress is not None:
            progress(len(rows), len(updates))
