#!/usr/bin/env bash
# `make dist`: the release packages for Linux in dist/, built offline by Tauri's bundler
# from tauri.conf.json's `bundle` section: Switchboard_<version>_amd64.deb (Debian, Ubuntu)
# and Switchboard-<version>-1.x86_64.rpm (Fedora, openSUSE). Each installs
# /usr/bin/switchboard, the desktop entry and the icons; the dependencies (WebKitGTK 4.1,
# GTK 3, libdbus, the app-indicator library for the tray) are declared, not bundled.
#
# The Windows installer is scripts/dist-windows.sh (`make dist` runs both): Tauri's own NSIS
# bundler downloads nsis_tauri_utils.dll from GitHub releases, which this machine cannot
# reach, so that one is a hand-written NSIS script built with Debian's makensis.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
./scripts/setup.sh
tauri="$(./scripts/dist-tools.sh)"
bundles="$CARGO_TARGET_DIR/release/bundle"
rm -rf "$bundles/deb" "$bundles/rpm"
echo "==> release build and packages (a cold release build takes 20-30 minutes on 2 cores)"
"$tauri" build --bundles deb,rpm -- --locked
mkdir -p dist
cp "$bundles"/deb/*.deb "$bundles"/rpm/*.rpm dist/
ls -l dist/
