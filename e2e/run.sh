#!/usr/bin/env bash
# Desktop end-to-end tests: builds the app with the front end embedded, then drives the
# real WebKitGTK window through tauri-driver + WebKitWebDriver under Xvfb, in sandbox mode
# with a throwaway data folder. Screenshots go to .e2e-out/screenshots/ (`make screenshots` refreshes docs/screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="${SWITCHBOARD_TOOLS:-$HOME/.cache/switchboard/tools}"

for tool in xvfb-run dbus-run-session WebKitWebDriver python3; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is missing (see scripts/setup.sh)" >&2; exit 1; }
done
if ! command -v tauri-driver >/dev/null && [ ! -x "$TOOLS/bin/tauri-driver" ]; then
  echo "==> installing tauri-driver into $TOOLS"
  cargo install tauri-driver --locked --root "$TOOLS"
fi
export PATH="$TOOLS/bin:$PATH"

(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
# The very build `cargo test` made (scripts/test.sh): building the app with plain
# `cargo build` would compile the whole dependency graph a second time, with the
# dev-dependencies' features off. A no-op when the tests were just built.
cargo test --locked --lib --bins --tests --no-run
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)

DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
export SWITCHBOARD_DATA_DIR="$DATA" APP_BIN="$TARGET/debug/switchboard"
export XDG_DATA_HOME="$DATA/xdg" XDG_CONFIG_HOME="$DATA/xdg-config"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"

xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  tauri-driver --port 4444 > "$SWITCHBOARD_DATA_DIR/tauri-driver.log" 2>&1 &
  TD=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/4444) 2>/dev/null && break; sleep 0.2; done
  set +e
  node e2e/test.mjs
  RC=$?
  kill "$TD" 2>/dev/null; wait "$TD" 2>/dev/null
  [ $RC -eq 0 ] || { echo "--- tauri-driver log"; tail -50 "$SWITCHBOARD_DATA_DIR/tauri-driver.log"; }
  exit $RC
'
