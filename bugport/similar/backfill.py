"""`bugport fingerprints`: give bugs filed before fingerprints existed (migration 0016) theirs.

Walks the bugs without a fingerprint that have captures, in id order, a batch per transaction
(keyset on id, so a restart picks up where it stopped), computes each fingerprint exactly as
ingest does (bugport/similar/fingerprint.py over the stored, already redacted captures) and
writes the batch back in one statement. Bugs whose captures hold no failure stay without one.
Safe to run while the API serves: it only fills columns that are NULL. With `everything`
(`bugport fingerprints --all`), every bug with captures is computed again and rewritten where the
result differs: for after the rules in fingerprint.py change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bugport.models import Bug, BugCaptures
from bugport.similar import fingerprint

_BUGS: Any = Bug.__table__
_SET: dict[str, Any] = {
    "fingerprint": bindparam("fp"),
    "fp_request": bindparam("fp_request"),
    "fp_error": bindparam("fp_error"),
}
_FILL = update(_BUGS).where(_BUGS.c.id == bindparam("bug_id"), _BUGS.c.fingerprint.is_(None))
_FILL = _FILL.values(**_SET)
_REWRITE = update(_BUGS).where(_BUGS.c.id == bindparam("bug_id")).values(**_SET)


def _pending(everything: bool) -> Select[Any]:
    stmt = select(
        Bug.id, Bug.page_url, BugCaptures.logs, BugCaptures.network, Bug.fingerprint,
        Bug.fp_request, Bug.fp_error,
    ).join(BugCaptures, BugCaptures.bug_id == Bug.id)  # fmt: skip
    return stmt if everything else stmt.where(Bug.fingerprint.is_(None))


async def count_pending(session: AsyncSession, everything: bool = False) -> int:
    stmt = select(func.count()).select_from(Bug).join(BugCaptures, BugCaptures.bug_id == Bug.id)
    if not everything:
        stmt = stmt.where(Bug.fingerprint.is_(None))
    return int((await session.execute(stmt)).scalar_one())


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    batch: int = 1000,
    everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """(bugs looked at, bugs whose fingerprint was written)."""
    seen = filled = 0
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = _pending(everything).order_by(Bug.id).limit(batch)
            if after is not None:
                stmt = stmt.where(Bug.id > after)
            rows = (await session.execute(stmt)).all()
            if not rows:
                return seen, filled
            updates = []
            for bug_id, page_url, logs, network, *stored in rows:
                fp = fingerprint.of_captures(logs or [], network or [], page_url)
                if (fp.hash is not None or everything) and [
                    fp.hash,
                    fp.request,
                    fp.error,
                ] != stored:
                    updates.append(
                        {
                            "bug_id": bug_id,
                            "fp": fp.hash,
                            "fp_request": fp.request,
                            "fp_error": fp.error,
                        }
                    )
            if updates:
                await session.execute(_REWRITE if everything else _FILL, updates)
            seen += len(rows)
            filled += len(updates)
            after = rows[-1][0]
        if progress is not None:
            progress(len(rows), len(updates))
