"""Widget reports that arrive together are written together (widget/batch.py): what a visitor and
the team see must not depend on which reports shared a transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event, update

from bugport.models import Project, WidgetKey
from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.fixtures.widget import make_key, widget_headers
from tests.widget.test_intake import bugs_of, report

URL = "/v1/widget/bugs"


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lstrip())

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def submit_all(
    client: httpx.AsyncClient, bodies: list[dict[str, Any]], headers: dict[str, str]
) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.post(URL, json=b, headers=headers) for b in bodies)))


async def test_reports_arriving_together_share_writes_and_keys_stay_gapless(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    h = widget_headers(key)
    assert (await client.post(URL, json=report(title="report 0"), headers=h)).status_code == 201
    with statements(app) as seen:
        # Another transaction holds the project's counter row (SQLite: the write lock): the
        # first batch waits for it, and the reports arriving meanwhile queue up behind it.
        async with app.state.sessionmaker() as blocker:
            await blocker.execute(
                update(Project)
                .where(Project.id == uuid.UUID(tenant_a.project_id))
                .values(bug_counter=Project.bug_counter)
            )
            pending = [
                asyncio.create_task(client.post(URL, json=report(title=f"report {i}"), headers=h))
                for i in range(1, 13)
            ]
            await asyncio.sleep(0.5)
            await blocker.rollback()
        out = list(await asyncio.gather(*pending))
    assert [r.status_code for r in out] == [201] * 12, [r.text for r in out]
    bugs = await bugs_of(client, tenant_a)
    assert sorted(int(b["key"].split("-")[1]) for b in bugs) == list(range(1, 14))
    assert {r.json()["id"] for r in out} <= {b["id"] for b in bugs}
    # Twelve reports, at most a first batch and one more: written together.
    inserts = [s for s in seen if "INSERT INTO BUGS " in s.upper()]
    assert 1 <= len(inserts) <= 3, len(inserts)
    # Each report is complete and redacted, whatever batch it was in.
    for b in bugs:
        full = (await client.get(f"/v1/bugs/{b['id']}", headers=tenant_a.member.headers)).json()
        assert full["log_count"] == 2 and full["network_count"] == 1
        assert "PAGE_SECRET" not in full["page_url"]
        assert full["source"] == "widget"


async def test_one_failing_report_does_not_take_the_others_down(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    """A database failure caused by one report fails that report only: the batch is written
    again report by report, and no number is lost."""
    key = (await make_key(client, tenant_a))["key"]

    def poison(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        # One statement may insert several tables (kit/bulk_insert.py).
        if "INSERT INTO BUGS " in statement.upper() and "POISON" in repr(params):
            raise RuntimeError("disk full (injected)")

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", poison)
    try:
        bodies = [report(title=f"fine {i}") for i in range(5)]
        bodies.insert(2, report(title="POISON"))
        out = await submit_all(client, bodies, widget_headers(key))
    finally:
        event.remove(engine, "before_cursor_execute", poison)
    assert sorted(r.status_code for r in out) == [201] * 5 + [500]
    assert_error(out[2], 500, "internal_error")
    bugs = await bugs_of(client, tenant_a)
    assert sorted(b["title"] for b in bugs) == [f"fine {i}" for i in range(5)]
    assert sorted(int(b["key"].split("-")[1]) for b in bugs) == [1, 2, 3, 4, 5]


async def test_same_idempotency_key_at_once_stores_one_report(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    key = (await make_key(client, tenant_a))["key"]
    h = widget_headers(key, **{"Idempotency-Key": f"draft-{uuid.uuid4()}"})
    out = await submit_all(client, [report(), report(), report()], h)
    assert [r.status_code for r in out] == [201, 201, 201]
    assert len({r.json()["id"] for r in out}) == 1
    assert sorted(r.headers.get("idempotent-replayed", "") for r in out) == ["", "true", "true"]
    assert len(await bugs_of(client, tenant_a)) == 1

    h2 = widget_headers(key, **{"Idempotency-Key": f"draft-{uuid.uuid4()}"})
    out = await submit_all(client, [report(title="one"), report(title="two")], h2)
    assert sorted(r.status_code for r in out) == [201, 422]
    refused = next(r for r in out if r.status_code == 422)
    assert_error(refused, 422, "idempotency_key_reused")
    assert len(await bugs_of(client, tenant_a)) == 2


async def _change_key_elsewhere(app: FastAPI, key_id: str, **values: Any) -> None:
    """As another API process would: straight in the database, so this process's key cache
    still holds the old key."""
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(WidgetKey).where(WidgetKey.id == uuid.UUID(key_id)).values(**values)
        )
        await session.commit()


async def test_key_revoked_by_another_process_stores_nothing(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    k = await make_key(client, tenant_a)
    assert (
        await client.post(URL, json=report(), headers=widget_headers(k["key"]))
    ).status_code == 201
    from bugport.models.base import utcnow

    await _change_key_elsewhere(app, k["id"], revoked_at=utcnow())
    r = await client.post(URL, json=report(title="after"), headers=widget_headers(k["key"]))
    assert_error(r, 401, "invalid_token")
    assert [b["title"] for b in await bugs_of(client, tenant_a)] == ["Pay button does nothing"]


async def test_origin_removed_by_another_process_is_refused(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    k = await make_key(client, tenant_a)
    assert (
        await client.post(URL, json=report(), headers=widget_headers(k["key"]))
    ).status_code == 201
    await _change_key_elsewhere(app, k["id"], allowed_origins=["https://elsewhere.example.org"])
    r = await client.post(URL, json=report(title="after"), headers=widget_headers(k["key"]))
    assert_error(r, 403, "origin_not_allowed")
    assert len(await bugs_of(client, tenant_a)) == 1


async def test_intake_records_key_last_use(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    k = await make_key(client, tenant_a)
    assert (
        await client.post(URL, json=report(), headers=widget_headers(k["key"]))
    ).status_code == 201
    r = await client.get(
        f"/v1/projects/{tenant_a.project_id}/widget-keys/{k['id']}", headers=tenant_a.admin.headers
    )
    assert r.json()["last_used_at"] is not None


async def test_expired_idempotency_key_is_taken_over(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    """After 24 hours a key is free again: the same key with another body stores a new report."""
    from datetime import timedelta

    from bugport.models import IdempotencyRecord
    from bugport.models.base import utcnow

    key = (await make_key(client, tenant_a))["key"]
    idem = f"draft-{uuid.uuid4()}"
    h = widget_headers(key, **{"Idempotency-Key": idem})
    first = await client.post(URL, json=report(title="first"), headers=h)
    assert first.status_code == 201
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == idem)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    second = await client.post(URL, json=report(title="second"), headers=h)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in second.headers
    # ...and it is the key's answer from now on.
    again = await client.post(URL, json=report(title="second"), headers=h)
    assert again.json() == second.json() and again.headers["idempotent-replayed"] == "true"


async def test_every_report_request_is_announced_until_answered(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: Tenant
) -> None:
    """Widget reports are announced to the batcher on arrival (a batch waits for those not yet
    answered): stored, refused or rejected, each announcement ends with its answer, or every
    later batch would wait for a request that is gone."""
    key = (await make_key(client, tenant_a))["key"]
    h = widget_headers(key)
    intake = app.state.widget_intake
    seen_at_submit: list[int] = []
    submit = intake.submit

    async def recording_submit(item: Any) -> Any:
        seen_at_submit.append(intake.announced)
        return await submit(item)

    intake.submit = recording_submit
    try:
        bodies = [report(title=f"together {i}") for i in range(5)]
        answers = await submit_all(client, bodies, h)
    finally:
        del intake.submit
    assert len(seen_at_submit) == 5 and min(seen_at_submit) >= 1
    assert [r.status_code for r in answers] == [201] * 5
    assert len({r.json()["key"] for r in answers}) == 5
    refused = [
        await client.post(URL, json=report(), headers={**h, "Origin": "https://evil.example"}),
        await client.post(URL, json={"title": ""}, headers=h),
        await client.post(URL, json=report(), headers={"Origin": h["Origin"]}),
        await client.post(URL, content=b"x" * 600_000, headers=h),
    ]
    assert [r.status_code for r in refused] == [403, 422, 401, 413]
    assert intake.announced == 0
