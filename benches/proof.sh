#!/usr/bin/env bash
# The figures of docs/PERFORMANCE.md beyond the in-process ingest benchmark (run by
# scripts/bench.sh after it):
#   1. ingest against `switchboard serve` (release build, a real process) and against the
#      Flask reference (benches/reference/app.py) with the SAME load generator
#      (benches/ingest.rs via BENCH_TARGET), in the same run, and the ratio between them;
#   2. inbox at 1 M messages (benches/inbox.rs);
#   3. memory added by a 100 MB download (benches/media.rs);
#   4. the desktop figures (benches/desktop.sh: the Tauri release build and .deb, then the
#      app under Xvfb); BENCH_DESKTOP=0 skips them.
# Prints figures; asserts nothing. Knobs: BENCH_CLIENTS, BENCH_REQUESTS, BENCH_RATE,
# BENCH_SECONDS (ingest), BENCH_INBOX_* (inbox), BENCH_MEDIA_MB (media).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PY=${SWITCHBOARD_PYTHON:-$HOME/.cache/switchboard/venv/bin/python}
if [ ! -x "$PY" ]; then
  bash "$ROOT/scripts/test-setup.sh" >/dev/null
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PUBLIC=https://bench.example.test
TOKEN=bench-auth-token-0123456789

# Waits for "listening on http://ADDR" as the first line of $1 and prints ADDR.
wait_addr() {
  for _ in $(seq 1 200); do
    if [ -s "$1" ]; then
      head -1 "$1" | sed -n 's#^listening on http://##p'
      return 0
    fi
    sleep 0.05
  done
  echo "no 'listening on' line in $1" >&2
  return 1
}

echo "== ingest: switchboard serve (release) vs the Flask reference, same load, same run =="
cargo build --release --no-default-features --bin switchboard --quiet
cargo bench --no-default-features --bench ingest --no-run --quiet 2>/dev/null || true

TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=$TOKEN \
SWITCHBOARD_TWILIO_API_BASE=http://127.0.0.1:9 RUST_LOG=warn \
  "$TARGET_DIR/release/switchboard" serve --no-sync --listen 127.0.0.1:0 --public-url "$PUBLIC" \
  --data-dir "$WORK/serve" >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
SERVE=$(wait_addr "$WORK/serve.out")

"$PY" "$ROOT/benches/reference/app.py" --port 0 --db "$WORK/flask.db" --public-url "$PUBLIC" \
  --token "$TOKEN" >"$WORK/flask.out" 2>"$WORK/flask.err" &
PIDS+=($!)
FLASK=$(wait_addr "$WORK/flask.out")

run_ingest() { # name addr
  echo "-- $1 (http://$2)"
  BENCH_TARGET="http://$2" BENCH_PUBLIC_URL="$PUBLIC" BENCH_AUTH_TOKEN="$TOKEN" \
    cargo bench --no-default-features --bench ingest --quiet 2>/dev/null | tee "$WORK/$1.txt"
}
run_ingest serve "$SERVE"
run_ingest flask "$FLASK"
rps() { sed -n 's/^saturation.* = \([0-9]*\) req\/s.*/\1/p' "$1" | head -1; }
S=$(rps "$WORK/serve.txt"); F=$(rps "$WORK/flask.txt")
if [ -n "$S" ] && [ -n "$F" ] && [ "$F" -gt 0 ]; then
  echo "ingest ratio: switchboard serve $S req/s / Flask reference $F req/s = $(awk "BEGIN{printf \"%.1f\", $S/$F}")x"
fi
echo "stored: serve $(sqlite3 "$WORK/serve/switchboard.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo '?') rows, flask $(sqlite3 "$WORK/flask.db" 'SELECT COUNT(*) FROM messages' 2>/dev/null || echo '?') rows"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
PIDS=()

echo "== inbox at scale =="
cargo bench --no-default-features --bench inbox --quiet

echo "== contacts CSV import (10,000 rows; target < 5 s) =="
cargo bench --no-default-features --bench contacts --quiet

echo "== media: memory added by a large download =="
cargo bench --no-default-features --bench media --quiet

if [ "${BENCH_DESKTOP:-1}" = 1 ]; then
  echo "== desktop =="
  bash "$ROOT/benches/desktop.sh"
else
  echo "== desktop: skipped (BENCH_DESKTOP=0) =="
fi
