#!/usr/bin/env bash
# Installs what building and testing Switchboard needs on Debian/Ubuntu, then builds the
# front end. Safe to run again: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Tauri/WebKitGTK for the window; Xvfb, WebKitWebDriver and gnome-keyring for the tests.
APT_PACKAGES="libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev
  build-essential pkg-config file curl xvfb xauth imagemagick xdotool webkit2gtk-driver gnome-keyring
  dbus dbus-x11 python3-venv"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "==> installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is needed: install it from rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "Node.js 20+ and npm are needed: install them (e.g. apt-get install nodejs npm), then run this again." >&2
  exit 1
fi

# Front end: reinstall only when the lock file changed.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "==> installing front-end packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "==> building the front end"
(cd ui && npm run --silent build >/dev/null)
