#!/usr/bin/env bash
# CI: the Linux package works once installed. Bundles a .deb, installs it with apt (as a
# user would, dependencies resolved), checks the desktop entry and icon, checks every
# shared library the installed binary needs is found, starts the installed binary
# headless (--help, export, serve answering /healthz), turns start at login on and runs its
# entry as a login would (the app in the tray, its window on a second launch), then removes
# the package and checks it is gone.
#
# The .deb holds the DEBUG binary `make test` already built, not a release build: a
# release build costs 20-30 minutes on the 2-core CI machine, against 1-4 for this step
# (measured: 58 s on a quiet machine, the bundling alone 3.5 minutes on a loaded one). What it proves is the packaging (file layout, desktop entry, icon, dependencies,
# the binary starting from /usr/bin); `make dist` builds the release packages from the same
# tauri.conf.json. Needs root or sudo, and changes the machine while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

tauri="$(./scripts/dist-tools.sh)"

# Naming a test target makes cargo unify the dev-dependency features exactly as
# `cargo test` did, so after `make test` this is the binary already built (no second build).
cargo build --locked --bin switchboard --test integration
bundle_dir="$CARGO_TARGET_DIR/debug/bundle/deb"
rm -rf "$bundle_dir"
echo "==> bundling the .deb (debug binary)"
"$tauri" bundle --debug --bundles deb
deb="$(ls "$bundle_dir"/*.deb)"

echo "==> installing $(basename "$deb")"
tmp="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
  if dpkg-query -W -f='${Status}' switchboard 2>/dev/null | grep -q "install ok installed"; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq switchboard >/dev/null
  fi
}
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$deb" >/dev/null

fail() { echo "package check: $*" >&2; exit 1; }

echo "==> checking the installed files"
[ "$(command -v switchboard)" = /usr/bin/switchboard ] || fail "switchboard is not /usr/bin/switchboard on PATH"
entry=/usr/share/applications/Switchboard.desktop
[ -f "$entry" ] || fail "no desktop entry at $entry"
field() { sed -n "s/^$1=//p" "$entry" | head -n1; }
[ "$(field Type)" = Application ] || fail "the desktop entry is not Type=Application"
[ "$(field Name)" = Switchboard ] || fail "the desktop entry's Name is not Switchboard"
exec_cmd="$(field Exec | awk '{print $1}')"
command -v "$exec_cmd" >/dev/null || fail "the desktop entry's Exec ($exec_cmd) is not an installed command"
icon="$(field Icon)"
ls /usr/share/icons/hicolor/*/apps/"$icon".png >/dev/null 2>&1 || fail "no icon named $icon in /usr/share/icons/hicolor"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$entry"; fi
if ldd /usr/bin/switchboard | grep "not found"; then fail "the installed binary misses the libraries above"; fi

echo "==> starting the installed binary headless"
switchboard --help >/dev/null
switchboard export --data-dir "$tmp/data" --format json >"$tmp/export.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == 1, d' "$tmp/export.json" \
  || fail "export from the installed binary did not write a version-1 JSON document"
# serve with made-up credentials and an unreachable Twilio: it must still open its
# listener and answer the unsigned health check.
TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000 TWILIO_AUTH_TOKEN=package-check \
  SWITCHBOARD_TWILIO_API_BASE=http://127.0.0.1:9 SWITCHBOARD_TWILIO_NUMBERS_BASE=http://127.0.0.1:9 \
  switchboard serve --data-dir "$tmp/data" --listen 127.0.0.1:0 --public-url https://package-check.invalid \
  --no-sync >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(sed -n 's/^listening on //p' "$tmp/serve.out")"
  [ -n "$addr" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; fail "serve exited before listening"; }
  sleep 0.5
done
[ -n "$addr" ] || { cat "$tmp/serve.err" >&2; fail "serve did not print 'listening on' within 60 s"; }
code="$(curl -s -o /dev/null -w '%{http_code}' "$addr/healthz")"
[ "$code" = 200 ] || fail "GET $addr/healthz answered $code"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve did not exit cleanly on SIGTERM"
serve_pid=""

echo "==> start at login, from the installed package"
# The owner's switch (Settings) and `switchboard start-at-login` write the same entry; in a
# home of its own, so this machine's real sessions are never touched.
home="$tmp/home"
mkdir -p "$home"
autostart_entry="$home/.config/autostart/Switchboard.desktop"
[ "$(HOME="$home" switchboard start-at-login status)" = off ] || fail "start at login is on before it was turned on"
HOME="$home" switchboard start-at-login on >/dev/null
[ -f "$autostart_entry" ] || fail "start-at-login on wrote no $autostart_entry"
[ "$(HOME="$home" switchboard start-at-login status)" = "on: $autostart_entry" ] || fail "start-at-login status does not say on"
grep -qx 'Exec=/usr/bin/switchboard --tray' "$autostart_entry" || { cat "$autostart_entry" >&2; fail "the autostart entry does not start the installed binary in the tray"; }
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$autostart_entry"; fi
# What the desktop session does at login: run the entry's Exec line (in a display and a
# session bus of its own). The app must come up in the tray with no window, stay up, and
# open its window when launched again (the desktop entry's Exec, or the tray's Open).
HOME="$home" DISPLAY= bash ./scripts/autostart-check.sh "$autostart_entry" "$tmp" || fail "the app started at login did not run in the tray"
HOME="$home" switchboard start-at-login off >/dev/null
[ ! -e "$autostart_entry" ] || fail "start-at-login off left $autostart_entry"
[ "$(HOME="$home" switchboard start-at-login status)" = off ] || fail "start-at-login status does not say off"

echo "==> removing the package"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq switchboard >/dev/null
[ ! -e /usr/bin/switchboard ] || fail "/usr/bin/switchboard is still there after removal"
[ ! -e "$entry" ] || fail "$entry is still there after removal"
echo "package check passed: $(basename "$deb") installs, starts headless and removes cleanly"
