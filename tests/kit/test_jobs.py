"""The job kit: retries in-process, enqueue only after commit, and a real `bugport worker`
process consuming the Redis stream (same task code as in-process)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI

from bugport.app import create_app
from bugport.db import run_after_commit
from bugport.kit.jobs import JobContext, Jobs, enqueue_after_commit, job
from tests.conftest import JWT_SECRET, client_for, make_settings
from tests.fixtures.services import REDIS_URL, need_redis
from tests.fixtures.users import make_tenant
from tests.media.conftest import png, upload_ready

CALLS: dict[str, int] = {}


@job("test.flaky", retries=3)
async def flaky(ctx: JobContext, key: str, fail_times: int) -> str:
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] <= fail_times:
        raise RuntimeError("transient")
    return "ok"


def fresh_jobs(app: FastAPI) -> Jobs:
    s = app.state
    return Jobs(s.settings, JobContext(s.settings, s.sessionmaker, s.storage))


async def test_in_process_job_is_retried_until_it_succeeds(app: FastAPI) -> None:
    jobs = fresh_jobs(app)
    key = uuid.uuid4().hex
    await jobs.enqueue("test.flaky", key=key, fail_times=2)
    await jobs.drain()
    assert CALLS[key] == 3


async def test_retries_stop_at_the_limit(app: FastAPI) -> None:
    jobs = fresh_jobs(app)
    key = uuid.uuid4().hex
    await jobs.enqueue("test.flaky", key=key, fail_times=100)
    await jobs.drain()
    assert CALLS[key] == 3  # retries=3: three runs in all, then given up (and logged)


async def test_unknown_job_is_an_error(app: FastAPI) -> None:
    with pytest.raises(KeyError):
        await fresh_jobs(app).enqueue("test.nope")


async def test_enqueued_only_after_commit(app: FastAPI) -> None:
    jobs = fresh_jobs(app)
    key = uuid.uuid4().hex
    async with app.state.sessionmaker() as session:
        enqueue_after_commit(session, jobs, "test.flaky", key=key, fail_times=0)
        await jobs.drain()
        assert key not in CALLS  # nothing runs while the transaction is open
        await session.rollback()
    # A rolled-back request never reaches run_after_commit (db._session): nothing ran.
    assert key not in CALLS
    async with app.state.sessionmaker() as session:
        enqueue_after_commit(session, jobs, "test.flaky", key=key, fail_times=0)
        await session.commit()
    await run_after_commit(session)
    await jobs.drain()
    assert CALLS[key] == 1


async def test_bugport_worker_runs_thumbnails_from_redis(
    backend_url: tuple[str, str], tmp_root: Path
) -> None:
    """The API (Redis mode) enqueues; a separate `bugport worker` process makes the thumbnail."""
    need_redis()
    _, url = backend_url
    data_dir = tmp_root / f"worker-{uuid.uuid4().hex[:8]}"
    queue = f"bugport:test:{uuid.uuid4().hex}"
    settings = make_settings(url, data_dir, redis_url=REDIS_URL, jobs_queue=queue)
    app = create_app(settings)
    env = {
        **os.environ,
        "BUGPORT_DATABASE_URL": url,
        "BUGPORT_DATA_DIR": str(data_dir),
        "BUGPORT_SECRET_KEY": "test-signing-key",
        "BUGPORT_SUPABASE_JWT_SECRET": JWT_SECRET,
        "BUGPORT_REDIS_URL": REDIS_URL,
        "BUGPORT_JOBS_QUEUE": queue,
        "BUGPORT_LOG_LEVEL": "WARNING",
    }
    bugport = Path(sys.executable).parent / "bugport"
    worker = await asyncio.create_subprocess_exec(
        str(bugport), "worker", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with client_for(app) as client:
            t = await make_tenant(client, settings)
            from tests.media.conftest import MediaEnv

            menv = MediaEnv("local", app, client, client, None)
            m = await upload_ready(menv, t.member.headers, t.project_id, png(800, 200))
            assert m["thumbnail_state"] == "pending"
            state = None
            for _ in range(150):  # up to 30 s, mostly the worker's start-up
                r = await client.get(f"/v1/media/{m['id']}", headers=t.member.headers)
                state = r.json()["thumbnail_state"]
                if state != "pending" or worker.returncode is not None:
                    break
                await asyncio.sleep(0.2)
            assert state == "ready", (state, worker.returncode)
            assert r.json()["thumbnail_url"]
            # The API process ran nothing itself: its broker is the Redis one.
            assert app.state.jobs.uses_redis
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
        try:
            _, err = await asyncio.wait_for(worker.communicate(), timeout=20)
        except TimeoutError:
            worker.kill()
            _, err = await worker.communicate()
        await app.state.jobs.shutdown()
        await app.state.engine.dispose()
        import redis.asyncio as aioredis

        r = aioredis.from_url(REDIS_URL)
        await r.delete(queue)
        await r.aclose()
    assert worker.returncode == 0, err.decode()[-2000:]
