"""The dashboard's API types (dashboard/src/api/schema.d.ts) are generated from BugPort's own
OpenAPI schema by openapi-typescript; this fails when they are stale, so the dashboard cannot
drift from the contract. Fix: `cd dashboard && npm run gen:api:local` (dump + generate)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"
GENERATOR = DASHBOARD / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED = DASHBOARD / "src" / "api" / "schema.d.ts"


def dump_schema() -> str:
    spec = importlib.util.spec_from_file_location(
        "dump_openapi", ROOT / "scripts" / "dump-openapi.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return json.dumps(module.schema(), indent=2, sort_keys=True) + "\n"


def test_generated_types_match_the_schema(tmp_path: Path) -> None:
    if not GENERATOR.exists():
        msg = "dashboard/node_modules is missing: run scripts/build-web.sh dashboard (npm ci)."
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    schema = tmp_path / "openapi.json"
    schema.write_text(dump_schema())
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(GENERATOR), str(schema), "-o", str(out)],
        cwd=DASHBOARD,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert COMMITTED.read_text() == out.read_text(), (
        "dashboard/src/api/schema.d.ts is stale: the API changed. "
        "Run `cd dashboard && npm run gen:api:local` and commit the result."
    )


def test_the_dashboard_uses_only_the_generated_client() -> None:
    """No hand-written fetch calls scattered in components: every request goes through src/api."""
    offenders = [
        str(p.relative_to(DASHBOARD))
        for p in (DASHBOARD / "src").rglob("*.ts*")
        if "api" not in p.relative_to(DASHBOARD / "src").parts[:1]
        and re.search(r"(?<![\w.])fetch\(|XMLHttpRequest", p.read_text())
    ]
    assert offenders == []
