#!/usr/bin/env bash
# Runs the WeCom-compatible API suite against a real server, once with each wechatpy line
# (1.8 stable, 2.0 pre-release). QIXIE_TEST_DATABASE_URL=postgres://user@host:port runs it on a fresh
# PostgreSQL database instead of SQLite. Extra arguments go to pytest. Exit code: pytest's (the first
# failing run's).
set -uo pipefail
cd "$(dirname "$0")"

# Build once here, so the two runs share the binary (conftest skips the build when QIXIE_BIN is set).
(cd ../.. && cargo build -p qixie) || exit 2
export QIXIE_BIN="${CARGO_TARGET_DIR:-$(cd ../.. && pwd)/target}/debug/qixie"

status=0
for spec in ".venv:requirements.txt" ".venv-wechatpy2:requirements-wechatpy2.txt"; do
    venv="${spec%%:*}"
    reqs="${spec#*:}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" || exit 2
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs" || exit 2
    echo "== wechatpy $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("wechatpy"))') =="
    "$venv/bin/python" -m pytest "$@"
    rc=$?
    if [ "$status" -eq 0 ] && [ "$rc" -ne 0 ]; then
        status=$rc
    fi
done
exit "$status"
