"""Webhook delivery throughput, and what a burst of events costs the API, on PostgreSQL + Redis.

    .venv/bin/python bench/webhooks_bench.py [--events 10000] [--workers 1 2]

What it does (everything on loopback; bounded: each run stops after --timeout seconds):
1. A fresh PostgreSQL database, migrated; the API (uvicorn, one process) and N `bugport worker`
   processes on Redis, the way production runs jobs; a loopback receiver
   (bench/webhook_receiver_app.py) that answers 204 and counts distinct webhook-ids.
2. Through the API: a user, workspace, project, one bug, and a webhook endpoint to the receiver.
3. A burst: --events change events for that bug written into the outbox in one transaction (what
   that many timeline changes leave behind), then the clock runs until the receiver has seen
   every webhook-id once. Events delivered per second = events / that time.
4. Meanwhile one client reads GET /v1/bugs/{id} in a loop; its p50/p95 during the burst are set
   against the same loop with nothing to deliver (the baseline), so the cost of a burst to API
   requests is measured, not assumed.
Prints a Markdown table for bench/RESULTS.md. Progress is printed while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from widget_bench import (  # noqa: E402
    JWT_SECRET,
    REDIS,
    free_port,
    fresh_db,
    start,
    stop,
)


def seed(base: str, receiver: str) -> tuple[str, dict[str, str], str]:
    """(bug id, auth headers, endpoint id) made through the API."""
    sys.path.insert(0, str(ROOT))
    from bugport.auth.jwt import mint_dev_token
    from bugport.config import Settings

    token = mint_dev_token(
        Settings(supabase_jwt_secret=JWT_SECRET, public_base_url=base),
        f"bench-{uuid.uuid4().hex[:6]}@example.com",
    )
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        ws = c.post("/v1/auth/sync-profile").json()["created_workspace_id"]
        project = c.get("/v1/projects", params={"workspace_id": ws}).json()["data"][0]["id"]
        bug = c.post("/v1/bugs", json={"project_id": project, "title": "bench"}).json()["id"]
        r = c.post(
            f"/v1/workspaces/{ws}/webhooks",
            json={"url": receiver + "/hook", "event_types": ["bug.status_changed"]},
        )
        r.raise_for_status()
        return str(bug), h, str(r.json()["id"])


async def burst(db_url: str, bug_id: str, n: int) -> None:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        row = await conn.fetchrow(
            "SELECT workspace_id, project_id FROM bugs WHERE id = $1", uuid.UUID(bug_id)
        )
        assert row is not None
        data = json.dumps({"change": {"from": "open", "to": "in_progress"}, "actor": {}})
        await conn.executemany(
            "INSERT INTO events (id, workspace_id, project_id, bug_id, type, data, created_at) "
            "VALUES ($1, $2, $3, $4, 'bug.status_changed', $5::jsonb, now())",
            [
                (uuid.uuid4(), row["workspace_id"], row["project_id"], uuid.UUID(bug_id), data)
                for _ in range(n)
            ],
        )
    finally:
        await conn.close()


class Reader(threading.Thread):
    """GET /v1/bugs/{id} in a loop, one request at a time, latencies in ms."""

    def __init__(self, base: str, headers: dict[str, str], bug: str) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = f"{base}/v1/bugs/{bug}", headers
        self.latencies: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(headers=self.headers, timeout=30) as c:
            while not self.halt.is_set():
                t0 = time.perf_counter()
                c.get(self.url).raise_for_status()
                self.latencies.append((time.perf_counter() - t0) * 1000)

    def stats(self) -> tuple[float, float, int]:
        xs = sorted(self.latencies)
        p95 = xs[int(len(xs) * 0.95) - 1] if len(xs) >= 20 else max(xs)
        return statistics.median(xs), p95, len(xs)


def received(receiver: str) -> int:
    return int(httpx.get(receiver + "/count", timeout=5).json()["distinct"])


def run(workers: int, events: int, timeout: float) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bugport-webhooks-bench-"))
    db_url = asyncio.run(fresh_db(f"bench_webhooks_{workers}"))
    env = {
        "BUGPORT_DATABASE_URL": db_url,
        "BUGPORT_DATA_DIR": str(tmp / "data"),
        "BUGPORT_SUPABASE_JWT_SECRET": JWT_SECRET,
        "BUGPORT_SECRET_KEY": "bench-secret",
        "BUGPORT_LOG_LEVEL": "WARNING",
        "BUGPORT_REDIS_URL": REDIS,
        "BUGPORT_REDIS_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
        "BUGPORT_RATE_LIMIT_PER_CREDENTIAL": "100000000/minute",
        "BUGPORT_RATE_LIMIT_PER_IP": "100000000/minute",
        "BUGPORT_WEBHOOK_NET_ALLOWLIST": '["127.0.0.1"]',
        "BUGPORT_WEBHOOK_SWEEP_SECONDS": "0.5",
    }
    full_env = {**os.environ, **env}
    subprocess.run([str(ROOT / ".venv/bin/bugport"), "migrate"], env=full_env, check=True, cwd=ROOT)
    rport, aport = free_port(), free_port()
    receiver_proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/uvicorn"), "bench.webhook_receiver_app:app", "--port", str(rport),
         "--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"],
        cwd=ROOT,
    )  # fmt: skip
    receiver = f"http://127.0.0.1:{rport}"
    api = start("bugport.server:app", aport, 1, env)
    base = f"http://127.0.0.1:{aport}"
    worker_procs = [
        subprocess.Popen([str(ROOT / ".venv/bin/bugport"), "worker"], env=full_env, cwd=ROOT)
        for _ in range(workers)
    ]
    try:
        for _ in range(100):
            try:
                received(receiver)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        bug, headers, _ = seed(base, receiver)
        reader = Reader(base, headers, bug)
        reader.start()
        time.sleep(5)
        baseline = reader.stats()
        reader.latencies.clear()
        print(f"  {workers} worker(s): writing {events} events…", flush=True)
        asyncio.run(burst(db_url, bug, events))
        t0 = time.monotonic()
        last = -1
        while True:
            n = received(receiver)
            if n != last:
                print(f"    delivered {n}/{events} after {time.monotonic() - t0:.1f} s", flush=True)
                last = n
            if n >= events or time.monotonic() - t0 > timeout:
                break
            time.sleep(1)
        elapsed = time.monotonic() - t0
        during = reader.stats()
        reader.halt.set()
        reader.join()
        return {
            "workers": workers,
            "delivered": n,
            "seconds": elapsed,
            "per_s": n / elapsed,
            "base_p50": baseline[0],
            "base_p95": baseline[1],
            "burst_p50": during[0],
            "burst_p95": during[1],
            "burst_n": during[2],
        }
    finally:
        for p in worker_procs:
            p.terminate()
        for p in worker_procs:
            p.wait(timeout=15)
        stop(api)
        receiver_proc.terminate()
        receiver_proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    rows = [run(w, args.events, args.timeout) for w in args.workers]
    print()
    print("| workers | delivered | time | events/s | API GET p50 / p95 idle | during the burst |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workers']} | {r['delivered']:.0f} | {r['seconds']:.1f} s | {r['per_s']:.0f} | "
            f"{r['base_p50']:.1f} / {r['base_p95']:.1f} ms | "
            f"{r['burst_p50']:.1f} / {r['burst_p95']:.1f} ms ({r['burst_n']:.0f} requests) |"
        )


if __name__ == "__main__":
    main()
