#!/usr/bin/env bash
# Start or check everything the test suite needs. Idempotent; safe on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_up() { python3 - <<'PY'
import socket,sys
try: socket.create_connection(("127.0.0.1",5432),1).close()
except OSError: sys.exit(1)
PY
}
redis_up() { python3 - <<'PY'
import socket,sys
try: socket.create_connection(("127.0.0.1",6379),1).close()
except OSError: sys.exit(1)
PY
}

if ! pg_up; then
  echo "==> PostgreSQL is not answering on 127.0.0.1:5432; trying to start it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  pg_up || { echo "PostgreSQL is required for the tests (127.0.0.1:5432, trust auth)." >&2; exit 1; }
fi
if ! redis_up; then
  echo "==> Redis is not answering on 127.0.0.1:6379; starting one" >&2
  command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server; }
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { echo "Redis is required for the tests (127.0.0.1:6379)." >&2; exit 1; }
fi
echo "==> services: PostgreSQL and Redis are up" >&2

# Browser tests drive Debian's Chromium through Playwright (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Debian's chromium for the widget's browser tests" >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# The extension's Firefox test drives Debian's Firefox ESR through its built-in WebDriver BiDi
# server (no geckodriver).
if [ ! -x /usr/bin/firefox-esr ]; then
  echo "==> installing Debian's firefox-esr for the extension's Firefox test" >&2
  apt-get update -qq && apt-get install -y -qq firefox-esr >/dev/null
fi
# The front ends (widget/, dashboard/, extension/) are built from their committed lockfiles into
# bugport/web/, where `bugport serve` reads them; a build that is current is skipped.
scripts/build-web.sh
