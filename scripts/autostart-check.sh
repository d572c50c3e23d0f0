#!/usr/bin/env bash
# Runs a start-at-login entry the way a desktop session does at login, and checks what the
# owner would see: Switchboard running in the tray with no window, still running a few
# seconds later, and its window opening when Switchboard is launched again. Called by
# package-check.sh on the installed package: autostart-check.sh ENTRY WORKDIR
# Uses a private Xvfb display and D-Bus session bus; HOME is the caller's (a scratch one).
set -euo pipefail
entry="$1"
work="$2"
if [ -z "${AUTOSTART_CHECK_IN_BUS:-}" ]; then
  # The bus daemon logs every service it starts: to a file, with our own messages on fd 3.
  exec 3>&2
  AUTOSTART_CHECK_IN_BUS=1 exec dbus-run-session -- bash "$0" "$@" >"$work/dbus.log" 2>&1
fi
fail() {
  echo "autostart check: $*" >&3
  if [ -f "$work/autostart.log" ]; then grep -v -e AT-SPI -e atk-bridge -e '^$' "$work/autostart.log" | tail -n 20 >&3; fi
  exit 1
}

# A display of our own.
display=""
for n in $(seq 90 130); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || fail "no free X display number"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
app_pid=""
cleanup() {
  if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
  kill "$xvfb_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
export DISPLAY="$display"

# The entry's command line, split as the Desktop Entry spec splits it (no field codes here).
exec_line="$(sed -n 's/^Exec=//p' "$entry" | head -n1)"
[ -n "$exec_line" ] || fail "no Exec line in $entry"
read -r -a argv <<<"$exec_line"
RUST_LOG=switchboard=info "${argv[@]}" >"$work/autostart.log" 2>&1 &
app_pid=$!

started=""
for _ in $(seq 1 120); do
  if grep -q "started in the tray" "$work/autostart.log"; then started=1; break; fi
  kill -0 "$app_pid" 2>/dev/null || fail "the app exited at once"
  sleep 0.5
done
[ -n "$started" ] || fail "the app did not say it started in the tray within 60 s"
sleep 3
kill -0 "$app_pid" 2>/dev/null || fail "the app in the tray exited"
if xdotool search --onlyvisible --name '^Switchboard$' >/dev/null 2>&1; then
  fail "a start at login opened a window"
fi

# Launched again (the application menu's Switchboard): the running app opens its window,
# and the second process leaves.
timeout 60 switchboard >"$work/second.log" 2>&1 || true
shown=""
for _ in $(seq 1 120); do
  if xdotool search --onlyvisible --name '^Switchboard$' >/dev/null 2>&1; then shown=1; break; fi
  sleep 0.5
done
[ -n "$shown" ] || fail "launching Switchboard again did not open the window of the app in the tray"
kill -0 "$app_pid" 2>/dev/null || fail "the app in the tray exited when its window was asked for"
echo "autostart check passed: the entry started Switchboard in the tray, and a second launch opened its window" >&3
