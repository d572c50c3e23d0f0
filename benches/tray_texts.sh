#!/usr/bin/env bash
# The tray's ingest figure of benches/desktop.sh on its own, for profiling: the release app
# in sandbox mode on a copy of the 1 M-message store (copied as desktop.sh copies it, -wal
# included, so SQLite sees the same statistics), the window closed to the tray, then
# BENCH_TRAY_TEXTS texts from the simulated customers, one after another. Prints texts/s
# and the app's CPU per text; asserts nothing. BENCH_PERF=1 also records `perf record -g`
# of the app during the texts (into $BENCH_PERF_OUT, default ./perf-tray.data).
#   BENCH_TRAY_TEXTS=300 BENCH_INBOX_DIR=/tmp/switchboard-bench-inbox benches/tray_texts.sh
# Needs: the release desktop build (`cargo build --release`), the store that
# `cargo bench --no-default-features --bench inbox` generates, Xvfb and xdotool.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BENCH_APP:-${CARGO_TARGET_DIR:-$ROOT/target}/release/switchboard}
N=${BENCH_TRAY_TEXTS:-300}
INBOX=${BENCH_INBOX_DIR:-/tmp/switchboard-bench-inbox}
for tool in Xvfb xdotool dbus-run-session; do
  command -v "$tool" >/dev/null || { echo "tray: $tool is not installed; skipped"; exit 0; }
done
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then exec dbus-run-session -- bash "$0" "$@"; fi
[ -f "$INBOX/switchboard.db" ] || { echo "tray: no store in $INBOX (run the inbox benchmark first)"; exit 1; }
WORK=$(mktemp -d)
mkdir -p "$WORK/data/sandbox"
cp "$INBOX"/switchboard.db* "$WORK/data/sandbox/"
DISPLAY_NUM=${BENCH_DISPLAY:-:96}
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
APP=
cleanup() {
  [ -n "$APP" ] && kill "$APP" 2>/dev/null
  kill $XVFB 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DISPLAY=$DISPLAY_NUM
sleep 1
SWITCHBOARD_DATA_DIR="$WORK/data" RUST_LOG=switchboard=info "$BIN" sandbox >/dev/null 2>"$WORK/app.log" &
APP=$!
for _ in $(seq 1 1500); do grep -q 'startup: first paint of the inbox' "$WORK/app.log" 2>/dev/null && break; sleep 0.05; done
sleep 5
python3 "$ROOT/e2e/x11_close.py" $(xdotool search --name '^Switchboard$')
for _ in $(seq 1 300); do [ "$(pgrep -P "$APP" -f WebKitWebProcess | wc -l)" = 0 ] && break; sleep 0.1; done
sleep 5
if [ "${BENCH_PERF:-0}" = 1 ]; then
  perf record -F 499 -g -p "$APP" -o "${BENCH_PERF_OUT:-$ROOT/perf-tray.data}" >/dev/null 2>&1 &
  PERF=$!
  sleep 1
fi
T0=$(awk '{print $14 + $15}' /proc/"$APP"/stat)
START=$(date +%s.%N)
python3 "$ROOT/benches/send_texts.py" "$WORK/data/sandbox/sandbox-sim.json" "$N"
END=$(date +%s.%N)
T1=$(awk '{print $14 + $15}' /proc/"$APP"/stat)
if [ -n "${PERF:-}" ]; then kill -INT "$PERF"; wait "$PERF" || true; fi
awk "BEGIN{d=$END-$START; printf \"tray: %d texts received in the tray in %.1f s = %.1f texts/s; app CPU %.1f ms per text\n\", $N, d, $N/d, ($T1-$T0)/$(getconf CLK_TCK)*1000/$N}"
echo "tray: stored $(sqlite3 "$WORK/data/sandbox/switchboard.db" "SELECT COUNT(*) FROM messages WHERE body LIKE 'tray text %'" 2>/dev/null || echo '?') of $N"
