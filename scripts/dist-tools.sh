#!/usr/bin/env bash
# Installs Tauri's bundler (the @tauri-apps/cli npm package: a prebuilt binary, pinned in
# scripts/dist/package-lock.json to the tauri crate's version) and prints its path. Quick
# the second time.
set -euo pipefail
cd "$(dirname "$0")/dist"
if [ ! -x node_modules/.bin/tauri ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing Tauri's bundler" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
echo "$PWD/node_modules/.bin/tauri"
