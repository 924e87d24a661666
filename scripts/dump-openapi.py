#!/usr/bin/env python3
"""Print BugPort's OpenAPI schema (what `/v1/openapi.json` serves) as stable JSON, for the
dashboard's generated client types: `scripts/dump-openapi.py > dashboard/openapi.json` then
`cd dashboard && npm run gen:api`. Builds the app with throwaway settings; touches no database."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def schema() -> dict[str, Any]:
    from bugport.app import create_app
    from bugport.config import Settings

    with tempfile.TemporaryDirectory(prefix="bugport-openapi-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'schema.db'}",
            secret_key="openapi-dump",
            supabase_jwt_secret="openapi-dump-secret-that-is-long-enough",
        )
        return create_app(settings).openapi()


def main() -> int:
    sys.stdout.write(json.dumps(schema(), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
