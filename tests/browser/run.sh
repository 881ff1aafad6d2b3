#!/usr/bin/env bash
# Browser tests: the web client in Debian's Chromium (playwright-core) against real Qixie servers,
# one fresh server per test file. Installs what is missing, builds the server, then runs every
# tests/browser/*.test.mjs with Node's test runner and exits with its status.
#   CHROMIUM=/path/to/chromium  QIXIE_BIN=/path/to/qixie  (defaults: /usr/bin/chromium, target/debug/qixie)
set -euo pipefail
cd "$(dirname "$0")/../.."

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "browser tests: Chromium not found at $chromium (apt-get install chromium, or set CHROMIUM)" >&2
  exit 2
fi

if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
  [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "== browser tests: npm ci"
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

if [ ! -f web/dist/index.html ]; then
  echo "== browser tests: building the web client (web/dist is missing)"
  (cd web && npm ci --no-audit --no-fund && npm run build)
fi

if [ -z "${QIXIE_BIN:-}" ]; then
  echo "== browser tests: cargo build -p qixie"
  cargo build -p qixie
fi

rm -rf tests/browser/artifacts
echo "== browser tests: running"
exec node --test --test-concurrency=1 --test-timeout=300000 tests/browser/*.test.mjs
