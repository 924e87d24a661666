#!/usr/bin/env bash
# The whole suite, on SQLite and PostgreSQL, across both cores.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pytest -n "${BUGPORT_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
status=$?
# pytest exits 5 when nothing was collected: that is a failure here, not a pass.
exit $status
