"""`bugport fingerprints` fills the fingerprints of bugs filed before they existed."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from bugport.models import Bug
from bugport.similar import backfill
from tests.fixtures.users import Tenant
from tests.similar.test_similar import file, report


async def test_backfill_gives_old_bugs_the_ingest_fingerprint(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    m = tenant_a.member
    failing = await file(client, m, report(tenant_a, "Pay fails"))
    quiet = await file(
        client,
        m,
        {"project_id": tenant_a.project_id, "title": "Only info", "logs": [{"message": "hi"}]},
    )
    sessions = app.state.sessionmaker
    async with sessions() as session, session.begin():  # as if filed before migration 0016
        await session.execute(
            update(Bug)
            .where(Bug.id.in_([uuid.UUID(failing["id"]), uuid.UUID(quiet["id"])]))
            .values(fingerprint=None, fp_request=None, fp_error=None)
        )
    gone = await client.get(f"/v1/bugs/{failing['id']}", headers=m.headers)
    assert gone.json()["fingerprint"] is None
    async with sessions() as session:
        assert await backfill.count_pending(session) >= 2
    steps: list[tuple[int, int]] = []
    seen, filled = await backfill.run(sessions, batch=1, progress=lambda n, f: steps.append((n, f)))
    assert seen >= 2 and filled >= 1 and len(steps) == seen
    got = await client.get(f"/v1/bugs/{failing['id']}", headers=m.headers)
    assert got.json()["fingerprint"] == failing["fingerprint"]
    still = await client.get(f"/v1/bugs/{quiet['id']}", headers=m.headers)
    assert still.json()["fingerprint"] is None
    # Nothing left to fill: a second run writes nothing.
    assert (await backfill.run(sessions))[1] == 0


async def test_all_recomputes_a_stale_fingerprint(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """After the rules change, `--all` writes what they give now, and only where it differs."""
    bug = await file(client, tenant_a.member, report(tenant_a, "Pay fails"))
    sessions = app.state.sessionmaker
    async with sessions() as session, session.begin():
        await session.execute(
            update(Bug)
            .where(Bug.id == uuid.UUID(bug["id"]))
            .values(fingerprint="0" * 32, fp_request="GET /old → 5xx", fp_error=None)
        )
    assert (await backfill.run(sessions))[1] == 0  # not NULL: the default run leaves it
    seen, written = await backfill.run(sessions, everything=True)
    assert seen >= 1 and written >= 1
    got = await client.get(f"/v1/bugs/{bug['id']}", headers=tenant_a.member.headers)
    assert got.json()["fingerprint"] == bug["fingerprint"]
    assert (await backfill.run(sessions, everything=True))[1] == 0
