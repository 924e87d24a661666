#!/usr/bin/env bash
# Build the front ends into bugport/web/<name>/, where `bugport serve` reads them and from where
# they ship inside the wheel. Usage: scripts/build-web.sh [--force] [widget] [dashboard] [extension]
# (no names: every front end present). A front end is rebuilt only when its build is missing or
# older than its sources or lockfile; `npm ci` installs exactly the lockfile, nothing at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
names=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) names+=("$arg") ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(widget dashboard extension)

# Files outside a front end's folder that its build reads (the extension bundles the widget's
# redaction module and type-checks against the dashboard's generated API types).
shared_sources() {
  case "$1" in
    extension) echo widget/src/redact.ts dashboard/src/api/schema.d.ts ;;
  esac
}

stale() {  # $1 = front end folder, $2 = its build stamp
  [ "$force" = 1 ] && return 0
  [ -f "$2" ] || return 0
  # shellcheck disable=SC2046
  [ -n "$(find "$1" $(shared_sources "$1") \( -name node_modules -o -name dist -o -name test-results -o -name playwright-report \) -prune \
          -o -type f -newer "$2" -print -quit)" ]
}

for name in "${names[@]}"; do
  [ -f "$name/package.json" ] || continue
  out="bugport/web/$name"
  stamp="$out/.built"
  stale "$name" "$stamp" || continue
  if ! command -v npm >/dev/null 2>&1; then
    echo "==> npm is not installed: cannot build $name/ (apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "==> building $name/ (npm ci && npm run build)" >&2
  log="$(mktemp)"
  if ! (cd "$name" && npm ci --no-audit --no-fund --loglevel=error && npm run build) >"$log" 2>&1; then
    cat "$log" >&2
    echo "==> building $name/ failed" >&2
    exit 1
  fi
  rm -f "$log"
  rm -rf "$out"
  mkdir -p "$out"
  cp -R "$name/dist/." "$out/"
  touch "$stamp"
done
