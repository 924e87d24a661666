"""Duplicate detection keeps its measured quality on the labelled set (bench/similar/): the
whole evaluation on SQLite in process, against the targets of issue 23."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "similar"))

import evaluate  # noqa: E402


async def test_grouping_and_top5_meet_the_targets() -> None:
    started = time.perf_counter()
    result = await evaluate.evaluate(postgres=False)
    elapsed = time.perf_counter() - started
    summary = {
        k: result[k] for k in ("precision", "recall", "top5", "pairs", "merges", "top5_misses")
    }
    assert result["reports"] >= 200 and result["groups"] >= 30 and result["distractors"] >= 40
    assert result["precision"] >= evaluate.TARGETS["precision"], summary
    assert result["recall"] >= evaluate.TARGETS["recall"], summary
    assert result["top5"] >= evaluate.TARGETS["top5"], summary
    assert elapsed < 60, elapsed
