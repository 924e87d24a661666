#!/usr/bin/env bash
# The whole suite: lint and types, then pytest on SQLite and PostgreSQL across both cores.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "==> ruff" >&2
.venv/bin/ruff check bugport tests || exit 1
.venv/bin/ruff format --check -q bugport tests || { echo "run: .venv/bin/ruff format bugport tests" >&2; exit 1; }
echo "==> mypy" >&2
.venv/bin/mypy bugport || exit 1
echo "==> pytest" >&2
# pytest exits 5 when it collected nothing: that fails here too, as any non-zero status does.
exec .venv/bin/pytest -n "${BUGPORT_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
