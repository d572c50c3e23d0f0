#!/usr/bin/env bash
# Cross-checks the Windows build, so a change that breaks Windows fails CI: clippy (which
# type-checks everything cfg(windows) and denies its warnings) for x86_64-pc-windows-gnu,
# headless (--no-default-features) and with the desktop app. Nothing runs: Debian 12's
# Wine 8.0 cannot start what current Rust links (no bcryptprimitives.dll), so a compile
# check is what this machine can give (README "Platforms").
#
# Installs what it needs the first time (scripts/windows-toolchain.sh); quick the second
# time. Kept out of scripts/setup.sh so `make run` on a user's machine does not install a
# Windows toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-pc-windows-gnu
./scripts/windows-toolchain.sh

# The desktop build embeds ui/dist (feature embed-ui); scripts/setup.sh builds it.
if [ ! -f ui/dist/index.html ]; then
  echo "ui/dist is missing: run ./scripts/setup.sh first" >&2
  exit 1
fi

echo "==> Windows cross-check: headless core (--no-default-features)"
cargo clippy --locked --target "$TARGET" --no-default-features -- -D warnings
echo "==> Windows cross-check: desktop app (default features)"
cargo clippy --locked --target "$TARGET" -- -D warnings
