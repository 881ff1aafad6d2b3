#!/usr/bin/env bash
# Build-time figures: a clean release build, and incremental debug rebuilds after editing one chat
# file and one org file (a new function, so the crate is really recompiled, not only re-checked).
#
#   bench/build/build-times.sh [--skip-clean] [CHAT_FILE ORG_FILE]
#
# Run from the repository root with nothing else building. The clean release build uses its own
# target directory (target/bench-build-clean), removed first; rebuilds use target/.
set -euo pipefail
skip_clean=0
if [[ "${1:-}" == "--skip-clean" ]]; then skip_clean=1; shift; fi
chat=${1:-$(ls crates/chat/src/message.rs crates/qixie/src/modules/chat/message.rs 2>/dev/null | head -1 || true)}
org=${2:-$(ls crates/org/src/member/write.rs crates/org/src/member.rs 2>/dev/null | head -1 || true)}
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }

echo "commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $skip_clean == 0 ]]; then
  rm -rf target/bench-build-clean
  printf 'clean release build (qixie binary): %.1f s\n' \
    "$(secs cargo build --release --bin qixie --target-dir target/bench-build-clean)"
  rm -rf target/bench-build-clean
fi
cargo build --bin qixie >/dev/null 2>&1
for f in "$chat" "$org"; do
  cp "$f" "$f.orig"
  trap 'mv "$f.orig" "$f"' EXIT
  for i in 1 2 3; do
    printf '\n#[allow(dead_code)]\nfn rebuild_probe() -> u64 { %s }\n' "$RANDOM$i" >> "$f"
    printf 'debug rebuild after editing %s (run %d): %.1f s\n' "$f" "$i" "$(secs cargo build --bin qixie)"
    cp "$f.orig" "$f"
  done
  mv "$f.orig" "$f"; trap - EXIT
  cargo build --bin qixie >/dev/null 2>&1
done
