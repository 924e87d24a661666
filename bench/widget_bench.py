"""Widget intake throughput over HTTP on PostgreSQL, against the stack's ceiling, in one run.

    .venv/bin/python bench/widget_bench.py [--duration 20] [--connections 16]
        [--cpu-per-process 0.5]

What it does (everything on loopback; bounded in time; stops by itself):
1. A fresh PostgreSQL database, migrated; BugPort started with uvicorn (uvloop, httptools, no
   access log), rate limits raised for the run, Redis for the limits (so two processes share
   them, as in production), with 1 and then 2 worker processes.
2. A workspace, project and widget key made through the API.
3. Load: wrk, 16 connections, POST /v1/widget/bugs with a ~10 KB report (50 console entries, 20
   network entries), a fresh Idempotency-Key per request and an allowed Origin. After a 3 s
   warm-up the database is ANALYZEd, as autovacuum would (this machine runs without it).
4. The ceiling: a bare FastAPI endpoint (bench/widget_ceiling_app.py) doing one INSERT of the same
   JSON on the same database, same server settings, 1 and 2 processes.
5. All of it twice: as is, then with each API process held to `--cpu-per-process` of a core (a
   cgroup CPU quota). On two cores shared with PostgreSQL, Redis and wrk, two unconstrained
   processes mostly measure the machine (the bare ceiling gains x1.2-1.4); capped, each process
   has the CPU it would have on a core of its own, so the runs show how intake scales with
   processes.
6. One process also runs with half the clients: the load each of two processes carries. Two
   processes against that tells what they lose to each other (shared locks, Redis) from what a
   process loses when its batches get smaller.
Prints a Markdown table (reports/s, p50, p99, ratio, and the cores each program used during the
run, read from /proc) to paste into bench/RESULTS-widget.md. Needs root for the CPU caps (it
says so and skips them otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ORIGIN = "https://shop.bench.test"
JWT_SECRET = "bench-jwt-secret-bench-jwt-secret-0123456789"


def report() -> dict[str, object]:
    logs = [
        {
            "level": "error" if i % 5 == 0 else "log",
            "message": f"cart item {i}: " + ("TypeError: x is undefined" if i % 5 == 0 else "ok"),
            "timestamp": "2026-11-28T16:00:00.000Z",
            "source": f"app.js:{100 + i}",
        }
        for i in range(50)
    ]
    network = [
        {
            "method": "GET" if i % 2 else "POST",
            "url": f"https://api.shop.bench.test/cart/{i}?page=2",
            "status": 500 if i % 4 == 0 else 404,
            "request_headers": {"accept": "application/json"},
            "response_headers": {"content-type": "application/json"},
            "timing": {"duration": 120.5 + i},
            "started_at": "2026-11-28T16:00:00.000Z",
            "error": None if i % 3 else "upstream timed out",
        }
        for i in range(20)
    ]
    return {
        "title": "Checkout button does nothing",
        "description": "Clicked Pay, spinner forever.",
        "reporter": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "page_url": "https://shop.bench.test/checkout?step=2",
        "environment": {
            "browser": "Chrome",
            "browser_version": "156.0",
            "os": "Linux",
            "device": "desktop",
            "viewport_width": 1280,
            "viewport_height": 720,
            "screen_width": 1920,
            "screen_height": 1080,
            "pixel_ratio": 1,
            "locale": "en-GB",
            "timezone": "Europe/London",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
        },
        "metadata": {"plan": "pro", "release": "2026.11.28"},
        "logs": logs,
        "network": network,
    }


WRK_LUA = """
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  wrk.method = "POST"
  wrk.body = io.open(os.getenv("BENCH_BODY_FILE")):read("*a")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
  local auth = os.getenv("BENCH_AUTH")
  if auth ~= "" then wrk.headers["Authorization"] = auth end
end
function request()
  counter = counter + 1
  -- Unique per run (wrk's math.random repeats its sequence from run to run: keys of the
  -- warm-up would come back in the measured run and be answered as replays).
  wrk.headers["Idempotency-Key"] = "bench-" .. os.getenv("BENCH_RUN") .. "-" .. tid .. "-" .. counter
  return wrk.format()
end
done = function(summary, latency, requests)
  local codes = 0
  io.write(string.format("BENCH p50=%.3f p99=%.3f requests=%d errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


async def fresh_db(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_URL.format(db=name)


async def analyze(db_url: str) -> None:
    """What autovacuum does on a production server as tables grow (this machine's PostgreSQL runs
    with autovacuum off): fresh statistics, which also make the server re-plan the statements
    cached while the tables were empty (a plan for an empty table scans it whole)."""
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def bug_count(db_url: str) -> int:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM bugs"))
    finally:
        await conn.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(module: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(ROOT / ".venv/bin/uvicorn"),
        module,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(workers),
        "--loop", "uvloop",
        "--http", "httptools",
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{module} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


class CpuQuota:
    """Holds a server's processes to `cores` of CPU in all, through a cgroup (v1 `cpu`
    controller, or v2 `cpu.max`): a short period (10 ms), so the cap throttles smoothly."""

    PERIOD_US = 10_000

    def __init__(self, cores: float) -> None:
        name = f"bugport-bench-{os.getpid()}"
        v1 = Path("/sys/fs/cgroup/cpu")
        v2 = Path("/sys/fs/cgroup")
        quota = int(cores * self.PERIOD_US)
        if (v1 / "cgroup.procs").exists():
            self.path = v1 / name
            self.path.mkdir()
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif "cpu" in (v2 / "cgroup.controllers").read_text().split():
            (v2 / "cgroup.subtree_control").write_text("+cpu")
            self.path = v2 / name
            self.path.mkdir()
            (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            raise OSError("no cgroup cpu controller")
        self.root = self.path.parent

    def hold(self, pids: set[int]) -> None:
        for pid in pids:
            (self.path / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                (self.root / "cgroup.procs").write_text(pid)
            except OSError:
                pass  # gone
        self.path.rmdir()


def server_pids(server_pid: int) -> set[int]:
    parents = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            parents[int(pid)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree = {server_pid}
    for _ in range(3):  # the server's workers, and theirs
        tree |= {pid for pid, ppid in parents.items() if ppid in tree}
    return tree


def cpu_ticks(server_pid: int) -> dict[str, int]:
    """CPU time (clock ticks) used so far, by program: the API server (the process and its
    workers), PostgreSQL, Redis and the rest of the machine; wrk's comes from getrusage."""
    procs: dict[int, tuple[str, int]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        procs[int(pid)] = (name, int(fields[11]) + int(fields[12]))
    server = server_pids(server_pid)
    out: dict[str, int] = {}
    for pid, (name, ticks) in procs.items():
        if pid in server:
            key = "api"
        else:
            key = {"postgres": "postgres", "redis-server": "redis"}.get(name, "other")
        out[key] = out.get(key, 0) + ticks
    return out


def cores_used(before: dict[str, int], after: dict[str, int], seconds: float) -> dict[str, float]:
    hz = os.sysconf("SC_CLK_TCK")
    return {k: max(0, after.get(k, 0) - before.get(k, 0)) / hz / seconds for k in after}


def wrk(
    url: str, duration: int, connections: int, env: dict[str, str], server_pid: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA)
    before = cpu_ticks(server_pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "-s",
            f.name,
            url,
        ],
        env={**os.environ, **env, "BENCH_RUN": uuid.uuid4().hex},
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    used = cores_used(before, cpu_ticks(server_pid), duration)
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] = (done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime) / duration
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"BENCH p50=([\d.]+) p99=([\d.]+) requests=(\d+) errors=(\d+)", out)
    assert m, out
    return {
        "rps": rps,
        "p50": float(m.group(1)),
        "p99": float(m.group(2)),
        "requests": int(m.group(3)),
        "errors": int(m.group(4)),
        **{f"cores_{k}": v for k, v in used.items()},
    }


def seed(base: str) -> str:
    """A user, workspace, project and widget key, through the API."""
    sys.path.insert(0, str(ROOT))
    from bugport.auth.jwt import mint_dev_token
    from bugport.config import Settings

    token = mint_dev_token(
        Settings(supabase_jwt_secret=JWT_SECRET, public_base_url=base), "bench@example.com"
    )
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=h, timeout=10) as c:
        ws = c.post("/v1/auth/sync-profile").json()["created_workspace_id"]
        project = c.get("/v1/projects", params={"workspace_id": ws}).json()["data"][0]["id"]
        r = c.post(
            f"/v1/projects/{project}/widget-keys",
            json={"label": "bench", "allowed_origins": [ORIGIN]},
        )
        r.raise_for_status()
        return str(r.json()["key"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument(
        "--cpu-per-process",
        type=float,
        default=0.5,
        help="Also run with each API process held to this much CPU (cgroup quota; 0: don't).",
    )
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    body = json.dumps(report()).encode()
    tmp = Path(tempfile.mkdtemp(prefix="bugport-bench-"))
    (tmp / "body.json").write_bytes(body)
    print(f"report body: {len(body)} bytes, 50 console entries, 20 network entries")
    print(f"load average at the start: {os.getloadavg()} on {os.cpu_count()} cores")

    db_url = asyncio.run(fresh_db("bugport_bench_widget"))
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
        "BUGPORT_WIDGET_RATE_LIMIT_PER_KEY": "100000000/minute",
        "BUGPORT_WIDGET_RATE_LIMIT_PER_IP": "100000000/minute",
        "BUGPORT_WIDGET_RATE_LIMIT_PER_WORKSPACE": "100000000/minute",
        "BENCH_DATABASE_URL": db_url,
        "BENCH_BODY_FILE": str(tmp / "body.json"),
        "BENCH_ORIGIN": ORIGIN,
    }
    subprocess.run(
        [str(ROOT / ".venv/bin/bugport"), "migrate"],
        env={**os.environ, **env},
        check=True,
        cwd=ROOT,
    )

    async def ceiling_table() -> None:
        conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_ceiling_reports (id uuid PRIMARY KEY, body jsonb NOT NULL)"
        )
        await conn.close()

    asyncio.run(ceiling_table())
    caps: list[float | None] = [None]
    if args.cpu_per_process:
        try:
            CpuQuota(args.cpu_per_process).close()
            caps.append(args.cpu_per_process)
        except OSError as exc:
            print(f"no CPU cap runs: cgroups cannot be used here ({exc})")
    results: list[tuple[str, int, float | None, dict[str, float]]] = []
    key = ""

    def served(
        module: str, workers: int, cap: float | None
    ) -> tuple[subprocess.Popen[bytes], str, CpuQuota | None]:
        port = free_port()
        proc = start(module, port, workers, env)
        quota = None
        if cap is not None:
            quota = CpuQuota(cap * workers)
            quota.hold(server_pids(proc.pid))
        return proc, f"http://127.0.0.1:{port}", quota

    def done(proc: subprocess.Popen[bytes], quota: CpuQuota | None) -> None:
        stop(proc)
        if quota is not None:
            quota.close()

    for cap in caps:
        for workers in [int(w) for w in args.workers.split(",")]:
            proc, base, quota = served("bugport.server:app", workers, cap)
            try:
                if not key:
                    key = seed(base)
                env_w = {**env, "BENCH_AUTH": f"Bearer {key}"}
                # Warm-up, then the measured run.
                wrk(f"{base}/v1/widget/bugs", 3, args.connections, env_w, proc.pid)
                asyncio.run(analyze(db_url))
                # One process with half the clients carries the load each of two processes
                # carries: it tells what two processes lose to each other from what a process
                # loses to smaller batches.
                clients = [args.connections] + ([args.connections // 2] if workers == 1 else [])
                for n in clients:
                    before = asyncio.run(bug_count(db_url))
                    res = wrk(f"{base}/v1/widget/bugs", args.duration, n, env_w, proc.pid)
                    # Every answered request stored a new report (no replays, nothing lost).
                    res["stored"] = asyncio.run(bug_count(db_url)) - before
                    res["clients"] = n
                    results.append(("widget intake", workers, cap, res))
            finally:
                done(proc, quota)
            proc, base, quota = served("bench.widget_ceiling_app:app", workers, cap)
            try:
                url = f"{base}/v1/ingest"
                env_c = {**env, "BENCH_AUTH": ""}
                wrk(url, 3, args.connections, env_c, proc.pid)
                asyncio.run(analyze(db_url))
                res = wrk(url, args.duration, args.connections, env_c, proc.pid)
                res["clients"] = args.connections
                results.append(("ceiling (bare INSERT)", workers, cap, res))
            finally:
                done(proc, quota)

    print()
    print(f"load average at the end: {os.getloadavg()} on {os.cpu_count()} cores")
    print(
        "| endpoint | processes | CPU per process | clients | reports/s | p50 ms | p99 ms | requests "
        "| stored | errors | vs ceiling "
        "| cores: API / PostgreSQL / wrk / Redis / other |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ceilings = {(w, c): r["rps"] for name, w, c, r in results if name.startswith("ceiling")}
    for name, w, c, r in results:
        full = r["clients"] == args.connections
        ratio = f"{r['rps'] / ceilings[w, c]:.0%}" if full and name == "widget intake" else "—"
        print(
            f"| {name} | {w} | {'uncapped' if c is None else f'{c} core'} | {r['clients']:.0f} "
            f"| {r['rps']:.0f} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['requests']} | {r.get('stored', '—')} | {r['errors']} | {ratio} | "
            + " / ".join(
                f"{r.get(f'cores_{k}', 0):.2f}"
                for k in ("api", "postgres", "wrk", "redis", "other")
            )
            + " |"
        )
    print()
    for cap in caps:
        label = "uncapped" if cap is None else f"{cap} core per process"
        rps = {(name, w, r["clients"]): r["rps"] for name, w, c, r in results if c == cap}
        full, half = args.connections, args.connections // 2
        for name in ("widget intake", "ceiling (bare INSERT)"):
            if (name, 1, full) in rps and (name, 2, full) in rps:
                gain = rps[name, 2, full] / rps[name, 1, full]
                print(f"{name}, {label}: 2 processes vs 1: x{gain:.2f}")
        if ("widget intake", 1, half) in rps and ("widget intake", 2, full) in rps:
            gain = rps["widget intake", 2, full] / rps["widget intake", 1, half]
            print(
                f"widget intake, {label}: 2 processes ({full} clients) vs 1 process "
                f"({half} clients): x{gain:.2f}"
            )


if __name__ == "__main__":
    main()
