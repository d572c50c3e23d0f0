#!/usr/bin/env bash
# The Windows cross toolchain, installed the first time and quick after: the Rust target
# x86_64-pc-windows-gnu, Debian's mingw-w64 (its C compiler builds bundled SQLite and ring,
# its windres tauri-build's resource file) and, with --installer, NSIS's makensis for the
# installer (scripts/dist-windows.sh). Used by windows-check.sh (CI) and dist-windows.sh.
set -euo pipefail
TARGET=x86_64-pc-windows-gnu
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=()
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v x86_64-w64-mingw32-windres >/dev/null; then
  packages+=(mingw-w64)
fi
if [ "${1:-}" = "--installer" ] && ! command -v makensis >/dev/null; then
  packages+=(nsis)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "==> installing ${packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if ! rustup target list --installed | grep -qx "$TARGET"; then
  echo "==> installing the Rust target $TARGET"
  rustup target add "$TARGET"
fi
