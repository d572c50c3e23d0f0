#!/usr/bin/env bash
# Test-only tools: Prism (serves Twilio's official OpenAPI specs as a mock) and the
# official `twilio` Python package (signs requests exactly as Twilio does). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x tests/tools/node_modules/.bin/prism ] || [ tests/tools/package-lock.json -nt tests/tools/node_modules/.package-lock.json ]; then
  echo "==> installing Prism"
  (cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
fi

VENV="${SWITCHBOARD_VENV:-$HOME/.cache/switchboard/venv}"
if ! "$VENV/bin/python" -c "import twilio, flask" 2>/dev/null; then
  echo "==> installing the official twilio Python library (and Flask for the benchmark reference)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/tools/requirements.txt
fi
