"""Migration 0012 moves console and network entries from a row each into one bug_captures row per
report, and back on downgrade: nothing is lost either way, and the API shows the same entries,
ids included."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bugport.app import create_app
from bugport.db import make_engine
from bugport.migrate import downgrade, upgrade
from tests.bug.helpers import create
from tests.bug.test_captures import LOGS, NETWORK
from tests.conftest import BACKENDS, client_for, database_url, make_settings
from tests.fixtures.users import make_tenant

BEFORE = "0011_capture_cascade"


async def _captures(client: httpx.AsyncClient, bug_id: str, headers: Any) -> dict[str, Any]:
    out = {}
    for kind in ("logs", "network"):
        r = await client.get(f"/v1/bugs/{bug_id}/{kind}", headers=headers)
        assert r.status_code == 200, r.text
        out[kind] = r.json()["data"]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
async def test_entries_survive_downgrade_and_upgrade(backend: str, tmp_path: Path) -> None:
    url = await database_url(backend, tmp_path, label="_capture_migration")
    app = create_app(make_settings(url, tmp_path / "data"))
    try:
        async with client_for(app) as client:
            t = await make_tenant(client, app.state.settings)
            both = await create(client, t, logs=LOGS, network=NETWORK)
            network_only = await create(client, t, logs=[], network=NETWORK[:2])
            bare = await create(client, t, logs=[], network=[])
            bugs = [both["id"], network_only["id"], bare["id"]]
            shown = {b: await _captures(client, b, t.viewer.headers) for b in bugs}
        await app.state.engine.dispose()
        assert len(shown[both["id"]]["logs"]) == len(LOGS)
        no_ids = [{**e, "id": None} for e in shown[network_only["id"]]["network"]]
        assert no_ids == [{**e, "id": None} for e in shown[both["id"]]["network"][:2]]
        assert shown[network_only["id"]]["logs"] == [] and shown[bare["id"]]["network"] == []

        engine = make_engine(url)
        try:
            await downgrade(engine, BEFORE)
            async with engine.connect() as conn:
                rows = {
                    table: (
                        await conn.execute(
                            text(
                                f"SELECT bug_id, position, id FROM {table} ORDER BY bug_id, position"
                            )
                        )
                    ).all()
                    for table in ("bug_logs", "bug_network")
                }
            # One row per entry, each with the id the API showed.
            for table, kind in (("bug_logs", "logs"), ("bug_network", "network")):
                got = sorted((str(_uuid(b)), p, str(_uuid(i))) for b, p, i in rows[table])
                want = sorted((b, e["position"], e["id"]) for b in bugs for e in shown[b][kind])
                assert got == want
            await upgrade(engine)
        finally:
            await engine.dispose()

        app = create_app(make_settings(url, tmp_path / "data"))
        async with client_for(app) as client:
            assert {b: await _captures(client, b, t.viewer.headers) for b in bugs} == shown
    finally:
        await app.state.engine.dispose()


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
