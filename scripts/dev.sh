#!/usr/bin/env bash
# `make dev`: the UI served by Vite with hot reload, and the app built without the embedded
# UI (feature embed-ui off), so its window loads http://localhost:5173 (devUrl in
# tauri.conf.json). Edits under ui/ show at once; Rust edits need this command again.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
(cd ui && exec npx vite --port 5173 --strictPort) &
VITE=$!
trap 'kill $VITE 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/5173) 2>/dev/null && break; sleep 0.2; done
cargo run --locked --no-default-features --features desktop -- "$@"
