#!/usr/bin/env bash
# Signed-webhook ingest benchmark: throughput and p50/p99 latency with durable commits.
# Optimised build of the library (cargo bench uses the release profile).
#   BENCH_CLIENTS=16 BENCH_REQUESTS=3000 BENCH_RATE=500 BENCH_SECONDS=10 scripts/bench.sh
# To measure another listener (e.g. `switchboard serve`, or the Flask reference planned for
# comparison) the same way: BENCH_TARGET=http://127.0.0.1:PORT BENCH_PUBLIC_URL=<its public URL>
# BENCH_AUTH_TOKEN=<its token> scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --no-default-features --bench ingest "$@"

# ---- Proof benchmarks (owner: proof engineer) -------------------------------------------
# serve vs the Flask reference (ratio), inbox at 1 M messages, media memory, desktop (BENCH_DESKTOP=1).
./benches/proof.sh
