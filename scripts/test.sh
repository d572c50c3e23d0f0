#!/usr/bin/env bash
# Runs every test: the front end's unit tests, then the Rust unit and integration tests
# (including the real-keychain tests) inside a private D-Bus session with an unlocked
# throwaway gnome-keyring, then the desktop end-to-end tests under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/test-setup.sh

export SWITCHBOARD_VENV="${SWITCHBOARD_VENV:-$HOME/.cache/switchboard/venv}"
export SWITCHBOARD_PYTHON="$SWITCHBOARD_VENV/bin/python"
export SWITCHBOARD_PRISM="$PWD/tests/tools/node_modules/.bin/prism"

echo "==> front-end unit tests"
(cd ui && npx vitest run)

echo "==> Rust tests (real Secret Service in a private D-Bus session)"
KEYRING_HOME="$(mktemp -d)"
trap 'rm -rf "$KEYRING_HOME"' EXIT
export XDG_DATA_HOME="$KEYRING_HOME/data" XDG_RUNTIME_DIR="$KEYRING_HOME/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n "switchboard-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  export SWITCHBOARD_KEYCHAIN_TESTS=1
  # Not --all-targets: benches are harness=false binaries and would run as full benchmarks.
  cargo test --locked --lib --bins --tests -- --test-threads="${TEST_THREADS:-4}"
'

if [ -f e2e/run.sh ]; then
  echo "==> desktop end-to-end tests (Xvfb + WebKitWebDriver)"
  ./e2e/run.sh
fi
