"""Similar bugs and the grouped inbox at 1,000,000 bugs on PostgreSQL (issue 23 point 7).

    .venv/bin/python bench/similar_bench.py [--bugs 1000000] [--requests 200] [--measure-only]

Reuses bench/bugs_bench.py (a fresh `bugport_bench` database, the API under uvicorn on
127.0.0.1:8765, a dev user's project, COPY seeding with the secondary indexes rebuilt after the
load). Each seeded bug also gets failure fingerprints the way ingest would store them: 35% of the
bugs captured a failure, drawn from 20,000 distinct failures with a Zipf-like spread (a few
outages with thousands of reports, a long tail of ones and twos), each failure a failing request
(`METHOD /api/<area>/:id → Nxx`) and most also a console error, some errors shared between
failures. Then it measures, one request at a time (latency, not throughput):

- `GET /v1/bugs/{id}/similar` for a bug of the biggest group, of a small group, and of a bug with
  no captured failure (text only);
- `POST /v1/bugs/similar` with a draft (captures + title);
- `GET /v1/bugs?group=fingerprint`: first page, a page 10 pages deep, and with a status filter.

Writes the "Similar bugs" section of bench/RESULTS.md (the rest of the file is kept). Target:
p95 < 50 ms for each call. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bugs_bench as bb  # noqa: E402

from bugport.auth.jwt import mint_dev_token  # noqa: E402
from bugport.config import Settings  # noqa: E402
from bugport.similar.fingerprint import digest  # noqa: E402

FAILURES = 20_000
WITH_FAILURE = 0.35
AREAS = [
    "orders", "checkout", "cart", "users", "sessions", "invoices", "search", "uploads",
    "reports", "billing", "teams", "projects", "comments", "exports", "webhooks", "avatars",
]  # fmt: skip
METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"]
CLASSES = ["5xx", "5xx", "4xx", "no response"]
ERRORS = [
    "typeerror: cannot read properties of undefined (reading <{w}>) @ {f}@app.js",
    "error: request failed with status code <n> @ {f}@api.js",
    "unhandledrejection: {w} is not defined @ {f}@main.js",
    "chunkloaderror: loading chunk <n> failed",
]


def failure(i: int) -> tuple[str, str, str | None]:
    """The i-th distinct failure: (fingerprint, request part, error part)."""
    rnd = random.Random(i)
    area, sub = rnd.choice(AREAS), rnd.choice(bb.WORDS)
    request = f"{rnd.choice(METHODS)} /api/{area}/:id/{sub}{i % 97} → {rnd.choice(CLASSES)}"
    error = None
    if rnd.random() < 0.8:
        # Errors repeat across failures (the same bug behind two endpoints): 4,000 of them.
        e = random.Random(i % 4000)
        error = e.choice(ERRORS).format(w=e.choice(bb.WORDS), f=e.choice(bb.WORDS))
    return digest("request", request), request, error


def zipf_index(rnd: random.Random) -> int:
    # P(k) ∝ 1/k over 1..FAILURES: the first failures are outages with thousands of reports.
    return min(FAILURES - 1, int(FAILURES ** rnd.random()) - 1)


def seeded_rows(
    n: int, start: int, ws: uuid.UUID, project: uuid.UUID, user: uuid.UUID, t0: datetime
) -> Iterator[tuple[Any, ...]]:
    rnd = random.Random(-start)
    for row in _plain_rows(n, start, ws, project, user, t0):
        if rnd.random() < WITH_FAILURE:
            yield (*row, *failure(zipf_index(rnd)))
        else:
            yield (*row, None, None, None)


_plain_rows = bb.rows
bb.rows = seeded_rows  # type: ignore[assignment]
bb.COLUMNS = [*bb.COLUMNS, "fingerprint", "fp_request", "fp_error"]


def draft(project: str) -> dict[str, Any]:
    fp, request, _ = failure(3)
    method, path, *_ = request.split(" ")
    return {
        "project_id": project,
        "title": "Checkout payment button broken on safari",
        "page_url": "https://shop.example.com/checkout",
        "network": [
            {
                "method": method,
                "url": "https://shop.example.com" + path.replace(":id", "8812"),
                "status": 503,
            },
        ],  # fmt: skip
        "logs": [{"level": "error", "message": "TypeError: Cannot read properties of undefined"}],
    }


async def post_timed(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str], n: int
) -> list[float]:
    import time

    for _ in range(max(5, n // 10)):
        assert (await client.post(url, json=body, headers=headers)).status_code == 200
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = await client.post(url, json=body, headers=headers)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    return out


async def pick(conn_url: str, project: str) -> dict[str, str]:
    import asyncpg

    conn = await asyncpg.connect(conn_url)
    try:
        big = await conn.fetchrow(
            "SELECT fingerprint, count(*) n FROM bugs WHERE project_id = $1 AND fingerprint IS "
            "NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            uuid.UUID(project),
        )
        big_bug = await conn.fetchval(
            "SELECT id FROM bugs WHERE fingerprint = $1 ORDER BY created_at DESC LIMIT 1",
            big["fingerprint"],
        )
        small_bug = await conn.fetchval(
            "SELECT b.id FROM bugs b WHERE b.fingerprint = $1 LIMIT 1",
            failure(FAILURES - 7)[0],
        ) or await conn.fetchval(
            "SELECT id FROM bugs WHERE fingerprint IS NOT NULL ORDER BY created_at LIMIT 1"
        )
        small_n = await conn.fetchval(
            "SELECT count(*) FROM bugs WHERE fingerprint = (SELECT fingerprint FROM bugs WHERE "
            "id = $1)",
            small_bug,
        )
        plain_bug = await conn.fetchval(
            "SELECT id FROM bugs WHERE fingerprint IS NULL ORDER BY created_at DESC LIMIT 1"
        )
        stats = await conn.fetchrow(
            "SELECT count(*) total, count(fingerprint) fingerprinted, "
            "count(DISTINCT fingerprint) groups FROM bugs"
        )
    finally:
        await conn.close()
    return {
        "big": str(big_bug),
        "big_n": str(big["n"]),
        "small": str(small_bug),
        "small_n": str(small_n),
        "plain": str(plain_bug),
        **{k: str(v) for k, v in stats.items()},
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bugs", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--measure-only", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()
    if not args.measure_only:
        bb.console.print(f"[bold]database[/] {bb.DB}: drop, create, migrate")
        await bb.fresh_database()
    settings = Settings(supabase_jwt_secret=bb.SECRET, public_base_url="http://127.0.0.1:8000")
    h = {"Authorization": f"Bearer {mint_dev_token(settings, 'bench@example.com', 'Bench User')}"}
    server = bb.start_server()
    results: dict[str, list[float]] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bb.PORT}", timeout=60) as c:
            await bb.wait_ready(c)
            me = (await c.post("/v1/auth/sync-profile", headers=h)).json()
            project = (await c.get("/v1/projects", headers=h)).json()["data"][0]["id"]
            ws = (await c.get(f"/v1/projects/{project}", headers=h)).json()["workspace_id"]
            seed_s = None
            if not args.measure_only:
                seed_s = await bb.seed(
                    args.bugs, uuid.UUID(ws), uuid.UUID(project), uuid.UUID(me["id"])
                )
                bb.console.print(f"seeded {args.bugs:,} bugs in {seed_s:.0f} s")
            ids = await pick(bb.URL.replace("+asyncpg", ""), project)
            grouped = f"/v1/bugs?project_id={project}&group=fingerprint&limit=50"
            cursor = None
            for _ in range(10):
                page = await c.get(grouped + (f"&cursor={cursor}" if cursor else ""), headers=h)
                cursor = page.json()["next_cursor"]
            calls = {
                f"similar: a bug of the biggest group ({int(ids['big_n']):,} reports)":
                    f"/v1/bugs/{ids['big']}/similar",
                f"similar: a bug of a small group ({ids['small_n']} reports)":
                    f"/v1/bugs/{ids['small']}/similar",
                "similar: a bug with no captured failure (text only)":
                    f"/v1/bugs/{ids['plain']}/similar",
                "grouped inbox, first page (50 groups)": grouped,
                "grouped inbox, 10 pages deep": f"{grouped}&cursor={cursor}",
                "grouped inbox, status=open": f"{grouped}&status=open",
            }  # fmt: skip
            for name, url in calls.items():
                results[name] = await bb.timed(c, url, h, args.requests)
                bb.console.print(
                    f"{name:60s} p50 {bb.pct(results[name], 50):6.1f} ms  "
                    f"p95 {bb.pct(results[name], 95):6.1f} ms"
                )
            name = "similar: a draft before filing (POST /v1/bugs/similar)"
            results[name] = await post_timed(
                c, "/v1/bugs/similar", draft(project), h, args.requests
            )
            bb.console.print(
                f"{name:60s} p50 {bb.pct(results[name], 50):6.1f} ms  "
                f"p95 {bb.pct(results[name], 95):6.1f} ms"
            )
    finally:
        server.terminate()
        server.wait(10)
    write_results(Path(args.out), args, seed_s, ids, results)


def write_results(
    path: Path,
    args: argparse.Namespace,
    seed_s: float | None,
    ids: dict[str, str],
    results: dict[str, list[float]],
) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    lines = [
        "## Similar bugs and the grouped inbox (issue 23)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/similar_bench.py --bugs {args.bugs} "
        f"--requests {args.requests}` ({os.cpu_count()} cores, {platform.machine()}); the API "
        "under one uvicorn worker on 127.0.0.1, one request at a time, each call after "
        f"{max(5, args.requests // 10)} warm-up requests. Seed: {int(ids['total']):,} bugs in one "
        f"project, {int(ids['fingerprinted']):,} of them with a captured failure in "
        f"{int(ids['groups']):,} distinct fingerprints (Zipf-like: the biggest group has "
        f"{int(ids['big_n']):,} reports)"
        + (f", seeded by COPY in {seed_s:.0f} s." if seed_s else " (reused from a previous run)."),
        "",
        "| call | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
    ]
    for name, ms in results.items():
        lines.append(f"| {name} | {bb.pct(ms, 50):.1f} | {bb.pct(ms, 95):.1f} | {max(ms):.1f} |")
    worst = max(bb.pct(ms, 95) for ms in results.values())
    lines += [
        "",
        f"Target: p95 < 50 ms for each call — {'met' if worst < 50 else 'NOT met'} (worst p95 "
        f"{worst:.1f} ms). Load average at the end: {' '.join(load)}.",
        "",
    ]
    section = "\n".join(lines)
    text = path.read_text() if path.exists() else ""
    pattern = re.compile(
        r"## Similar bugs and the grouped inbox \(issue 23\)\n.*?(?=\n## |\Z)", re.S
    )
    text = (
        pattern.sub(section.rstrip("\n"), text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    path.write_text(text if text.endswith("\n") else text + "\n")
    bb.console.print(f"wrote the section to {path}")


if __name__ == "__main__":
    asyncio.run(main())
