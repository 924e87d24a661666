"""Quality of duplicate detection on the labelled set (bench/similar/dataset.json).

    .venv/bin/python bench/similar/evaluate.py [--postgres] [--json] [--quiet]

Builds a fresh app in process (SQLite in a temp dir; `--postgres`: a fresh PostgreSQL database
`bugport_similar_eval` on 127.0.0.1:5432), signs in a dev user (who gets a workspace and a
project), files every report over HTTP (httpx against the ASGI app), then measures:

- grouping: pairwise precision and recall of "same `fingerprint.hash`" against the labels (a
  report without a fingerprint is a group of its own);
- top-5: for every report whose true group has two members or more, whether one of them is in
  its `GET /v1/bugs/{id}/similar?limit=5`.

Prints the figures, the groups that split, the distractors that merged and the top-5 misses,
with their fingerprint parts; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import shutil
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bugport.app import create_app  # noqa: E402
from bugport.auth.jwt import mint_dev_token  # noqa: E402
from bugport.config import Settings  # noqa: E402
from bugport.db import make_engine  # noqa: E402
from bugport.migrate import upgrade  # noqa: E402

DATASET = Path(__file__).resolve().parent / "dataset.json"
PG_DB = "bugport_similar_eval"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "similar-eval-jwt-secret-long-enough-for-hs256"
TARGETS = {"precision": 0.95, "recall": 0.8, "top5": 0.9}
FIELDS = ("title", "description", "page_url", "environment", "logs", "network")


@dataclass
class Filed:
    report: dict[str, Any]
    bug_id: str
    fp: dict[str, Any] | None
    similar: list[str] = field(default_factory=list)

    @property
    def hash(self) -> str | None:
        return self.fp["hash"] if self.fp else None

    def parts(self) -> str:
        if not self.fp:
            return "no fingerprint"
        return f"request={self.fp['request']!r} error={self.fp['error']!r}"


async def database(postgres: bool, tmp: Path) -> str:
    if postgres:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{PG_DB}"')
        finally:
            await conn.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'similar-eval.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


async def file_all(
    postgres: bool, reports: list[dict[str, Any]], show_progress: bool
) -> list[Filed]:
    tmp = Path(tempfile.mkdtemp(prefix="bugport-similar-eval-"))
    try:
        url = await database(postgres, tmp)
        settings = Settings(
            database_url=url,
            data_dir=tmp / "data",
            supabase_jwt_secret=SECRET,
            secret_key="similar-eval-signing-key",
            rate_limits_enabled=False,
            public_base_url="http://eval",
            log_level="WARNING",
        )
        app = create_app(settings)
        for name in ("httpx", "bugport"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://eval") as c:
                return await _file_and_query(c, settings, reports, show_progress)
        finally:
            await app.state.engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _file_and_query(
    c: httpx.AsyncClient, settings: Settings, reports: list[dict[str, Any]], show_progress: bool
) -> list[Filed]:
    token = mint_dev_token(settings, "eval@example.com", "Eval")
    headers = {"Authorization": f"Bearer {token}"}
    r = await c.post("/v1/auth/sync-profile", headers=headers)
    r.raise_for_status()
    ws = r.json()["created_workspace_id"]
    r = await c.get("/v1/projects", params={"workspace_id": ws}, headers=headers)
    project_id = r.json()["data"][0]["id"]
    sizes: dict[str, int] = defaultdict(int)
    for rep in reports:
        sizes[rep["group"]] += 1
    filed: list[Filed] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
        transient=True,
    ) as bar:
        task = bar.add_task("filing reports", total=len(reports))
        for rep in reports:
            body = {k: rep[k] for k in FIELDS if rep.get(k) is not None}
            r = await c.post("/v1/bugs", json={"project_id": project_id, **body}, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"{rep['id']}: {r.status_code} {r.text}")
            filed.append(Filed(rep, r.json()["id"], r.json().get("fingerprint")))
            bar.advance(task)
        asked = [f for f in filed if sizes[f.report["group"]] >= 2]
        task = bar.add_task("asking /similar", total=len(asked))
        for f in asked:
            r = await c.get(f"/v1/bugs/{f.bug_id}/similar", params={"limit": 5}, headers=headers)
            r.raise_for_status()
            f.similar = [s["bug"]["id"] for s in r.json()["data"]]
            bar.advance(task)
    return filed


def measure(filed: list[Filed]) -> dict[str, Any]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(filed, 2):
        same_true = a.report["group"] == b.report["group"]
        same_pred = a.hash is not None and a.hash == b.hash
        tp += same_true and same_pred
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    by_group: dict[str, list[Filed]] = defaultdict(list)
    by_hash: dict[str, list[Filed]] = defaultdict(list)
    for f in filed:
        by_group[f.report["group"]].append(f)
        if f.hash:
            by_hash[f.hash].append(f)
    id_group = {f.bug_id: f.report["group"] for f in filed}
    asked = [f for f in filed if len(by_group[f.report["group"]]) >= 2]
    hits = [f for f in asked if any(id_group[s] == f.report["group"] for s in f.similar)]
    # The hard cases: reports that share no fingerprint with any true duplicate.
    alone = [
        f
        for f in asked
        if not any(
            o is not f and o.hash is not None and o.hash == f.hash
            for o in by_group[f.report["group"]]
        )
    ]
    alone_hits = [f for f in alone if f in hits]
    splits = []
    for name, members in sorted(by_group.items()):
        hashes: dict[str | None, list[Filed]] = defaultdict(list)
        for m in members:
            hashes[m.hash].append(m)
        if len(members) >= 2 and (len(hashes) > 1 or None in hashes):
            splits.append(
                {
                    "group": name,
                    "size": len(members),
                    "parts": [
                        {
                            "count": len(ms),
                            "reports": [m.report["id"] for m in ms],
                            "browsers": sorted({m.report["browser"] for m in ms}),
                            "missing": sorted({m.report["missing"] or "-" for m in ms}),
                            "fingerprint": ms[0].parts(),
                        }
                        for _, ms in sorted(hashes.items(), key=lambda kv: -len(kv[1]))
                    ],
                }
            )
    merges = []
    for _h, members in by_hash.items():
        labels = sorted({m.report["group"] for m in members})
        if len(labels) > 1:
            merges.append(
                {
                    "groups": labels,
                    "reports": [m.report["id"] for m in members],
                    "notes": sorted({m.report.get("note", "") for m in members} - {""}),
                    "fingerprint": members[0].parts(),
                }
            )
    misses = [
        {
            "report": f.report["id"],
            "group": f.report["group"],
            "browser": f.report["browser"],
            "missing": f.report["missing"],
            "fingerprint": f.parts(),
            "top5": [id_group[s] for s in f.similar],
        }
        for f in asked
        if f not in hits
    ]
    figures = {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "top5": len(hits) / len(asked) if asked else 1.0,
    }
    distractors = sum(1 for f in filed if f.report["distractor"])
    return {
        **figures,
        "pairs": {"true_positive": tp, "false_positive": fp, "false_negative": fn},
        "reports": len(filed),
        "groups": len({f.report["group"] for f in filed if not f.report["distractor"]}),
        "distractors": distractors,
        "top5_asked": len(asked),
        "top5_hits": len(hits),
        "with_fingerprint": sum(1 for f in filed if f.hash),
        "top5_without_shared_fingerprint": {"asked": len(alone), "hits": len(alone_hits)},
        "met": {k: figures[k] >= v for k, v in TARGETS.items()},
        "splits": splits,
        "merges": merges,
        "top5_misses": misses,
    }


def load(dataset: Path = DATASET) -> list[dict[str, Any]]:
    return list(json.loads(dataset.read_text())["reports"])


async def evaluate(
    postgres: bool = False, dataset: Path = DATASET, show_progress: bool = False
) -> dict[str, Any]:
    reports = load(dataset)
    result = measure(await file_all(postgres, reports, show_progress))
    result["backend"] = "postgresql" if postgres else "sqlite"
    return result


def show(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Duplicate detection on {result['backend']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("")
    for key, label in (
        ("precision", "grouping precision"),
        ("recall", "grouping recall"),
        ("top5", "top-5 hit rate"),
    ):
        ok = result["met"][key]
        table.add_row(
            label, f"{result[key]:.3f}", f"≥ {TARGETS[key]}", "[green]ok" if ok else "[red]MISSED"
        )
    p = result["pairs"]
    table.add_row("pairs tp / fp / fn", f"{p['true_positive']} / {p['false_positive']} / "
                  f"{p['false_negative']}", "", "")  # fmt: skip
    table.add_row(
        "reports / groups / distractors",
        f"{result['reports']} / {result['groups']} / {result['distractors']}",
        "",
        "",
    )
    table.add_row("top-5 asked / hit", f"{result['top5_asked']} / {result['top5_hits']}", "", "")
    hard = result["top5_without_shared_fingerprint"]
    table.add_row("top-5 hit, no shared fingerprint", f"{hard['hits']} / {hard['asked']}", "", "")
    console.print(table)
    if result["splits"]:
        console.print("[bold]Groups split across fingerprints[/]")
        for s in result["splits"]:
            console.print(f"  {s['group']} ({s['size']} reports)")
            for part in s["parts"]:
                console.print(
                    f"    {part['count']:>2} × {part['fingerprint']}  browsers={part['browsers']}"
                    f" missing={part['missing']}",
                    markup=False,
                )
    if result["merges"]:
        console.print("[bold]Fingerprints shared by different groups[/]")
        for m in result["merges"]:
            console.print(f"  {m['groups']}: {m['fingerprint']}", markup=False)
            for note in m["notes"]:
                console.print(f"    distractor: {note}", markup=False)
    if result["top5_misses"]:
        console.print("[bold]True duplicate not in the top 5[/]")
        for m in result["top5_misses"]:
            console.print(
                f"  {m['report']} {m['group']} ({m['browser']}, missing {m['missing']}): "
                f"{m['fingerprint']}; top 5 = {m['top5']}",
                markup=False,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help=f"a fresh database {PG_DB}")
    parser.add_argument("--json", action="store_true", help="machine output on stdout")
    parser.add_argument("--dataset", type=Path, default=DATASET)
    args = parser.parse_args()
    result = asyncio.run(evaluate(args.postgres, args.dataset, show_progress=not args.json))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        show(result, Console())
    sys.exit(0 if all(result["met"].values()) else 1)


if __name__ == "__main__":
    main()
