#!/usr/bin/env bash
# A/B of `switchboard serve` ingest: two builds, alternating, a fresh store per run, the same
# load generator (benches/ingest.rs pointed at each with BENCH_TARGET: 20,000 signed texts,
# each from a new sender, 16 clients). Prints, per run, the saturation rate and the CPU time
# per text of the writer thread (the one SQLite writer, which bounds saturation) and of the
# whole process, read from /proc: on a shared virtual machine the rate moves ±15 % between
# runs, the CPU per text much less, and a difference in it is work, not luck.
#
# Usage: benches/serve-ab.sh A_NAME=/path/to/switchboard B_NAME=/path/to/switchboard
#   RUNS=10 (pairs), REQUESTS=20000, INGEST=<benches/ingest binary> (else built here).
# Build each binary with `cargo build --release --no-default-features --bin switchboard` at
# the commit to compare (a worktree per commit keeps both).
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
REQUESTS=${REQUESTS:-20000}
if [ -z "${INGEST:-}" ]; then
  INGEST=$(cargo bench --locked --no-default-features --bench ingest --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "ingest" and m.get("executable"):
        print(m["executable"])')
fi
PUBLIC=https://bench.example.test
TOKEN=bench-auth-token-0123456789
TICKS=$(getconf CLK_TCK)

# CPU ticks (user + system) of process $1's threads named $2 (all threads when empty).
ticks() {
  local total=0 stat name fields
  for f in /proc/"$1"/task/*/stat; do
    stat=$(cat "$f" 2>/dev/null) || continue
    name=${stat#*(}
    name=${name%%)*}
    if [ -n "$2" ] && [ "$name" != "$2" ]; then continue; fi
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

run() {
  local name=$1 bin=$2 dir pid addr rate w0 a0 w1 a1
  dir=$(mktemp -d)
  TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=$TOKEN \
    SWITCHBOARD_TWILIO_API_BASE=http://127.0.0.1:9 RUST_LOG=warn \
    "$bin" serve --no-sync --listen 127.0.0.1:0 --public-url "$PUBLIC" --data-dir "$dir/data" \
    >"$dir/out" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$dir/out" ] && break; sleep 0.05; done
  addr=$(head -1 "$dir/out" | sed -n 's#^listening on http://##p')
  sleep 0.5
  w0=$(ticks $pid switchboard-db-)
  a0=$(ticks $pid "")
  rate=$(BENCH_SECONDS=0 BENCH_REQUESTS=$REQUESTS BENCH_TARGET="http://$addr" BENCH_PUBLIC_URL="$PUBLIC" \
    BENCH_AUTH_TOKEN="$TOKEN" "$INGEST" --bench 2>/dev/null | sed -n 's/^saturation.*= \([0-9]*\) req\/s.*/\1/p')
  w1=$(ticks $pid switchboard-db-)
  a1=$(ticks $pid "")
  kill $pid
  wait $pid 2>/dev/null || true
  rm -rf "$dir"
  echo "$name: $rate req/s; writer $(((w1 - w0) * 1000000 / TICKS / REQUESTS)) us/text, process $(((a1 - a0) * 1000000 / TICKS / REQUESTS)) us/text"
}

for _ in $(seq 1 "$RUNS"); do
  run "${1%%=*}" "${1#*=}"
  run "${2%%=*}" "${2#*=}"
done | tee /dev/stderr | python3 -c '
import re, statistics, sys
runs = {}
for line in sys.stdin:
    m = re.match(r"(\S+): (\d+) req/s; writer (\d+) us/text, process (\d+)", line)
    if m:
        runs.setdefault(m[1], []).append(tuple(int(x) for x in m.groups()[1:]))
for name, r in runs.items():
    med = [statistics.median(x[i] for x in r) for i in range(3)]
    print(f"{name}: median {med[0]:.0f} req/s, writer {med[1]:.0f} us/text, process {med[2]:.0f} us/text over {len(r)} runs")
'
