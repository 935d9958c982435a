#!/usr/bin/env bash
# Starts two real authd with their HTTP API on 127.0.0.1 (one with an 8 s session TTL) and drives
# the web UI in Debian's Chromium with playwright-core (ui_test.cjs). Needs /usr/bin/chromium and
# $AUTHD_TOOLS/node_modules/playwright-core (tools/install_deps.sh installs both; tools/test.sh
# passes --test_env=AUTHD_TOOLS). Screenshots go to $TEST_UNDECLARED_OUTPUTS_DIR.
set -euo pipefail
: "${AUTHD_TOOLS:?AUTHD_TOOLS must point at the npm tools dir (tools/test.sh sets it)}"
[ -f "$AUTHD_TOOLS/node_modules/playwright-core/package.json" ] ||
  { echo "FAIL: playwright-core is not installed in $AUTHD_TOOLS (run tools/install_deps.sh)" >&2; exit 1; }
[ -x "${AUTHD_CHROMIUM:-/usr/bin/chromium}" ] ||
  { echo "FAIL: chromium is not installed (run tools/install_deps.sh)" >&2; exit 1; }
runfiles=${TEST_SRCDIR:-$0.runfiles}/authd
authd=$runfiles/services/authd
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/ui.XXXXXX")
shots=${TEST_UNDECLARED_OUTPUTS_DIR:-$dir}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done' EXIT

# start NAME ARGS...: starts authd, sets $port to its HTTP port.
start() {
  local name=$1; shift
  : >"$dir/$name.log"  # exists before the first read below, however the child is scheduled
  "$authd" --listen=127.0.0.1:0 --data-dir="$dir/$name" --http-listen=127.0.0.1:0 "$@" \
    >"$dir/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's|.*HTTP API (InfluxDB /api/v2) at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$dir/$name.log" || true)
    [ -n "$port" ] && grep -q "listening on" "$dir/$name.log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir/$name.log" >&2
  echo "FAIL: authd ($name) did not start" >&2
  exit 1
}
start main
main_port=$port
start short --session-ttl=8s
short_port=$port

status=0
HOME="$dir" NODE_PATH="$AUTHD_TOOLS/node_modules" timeout 240 node "$runfiles/tests/ui/ui_test.cjs" \
  "http://127.0.0.1:$main_port" "http://127.0.0.1:$short_port" "$shots" || status=$?
if [ "$status" != 0 ]; then
  echo "--- authd log:" >&2
  cat "$dir/main.log" >&2
fi
# The tokens the page made never reach authd's log.
if grep -q "authd_[A-Za-z0-9]\{40,\}" "$dir/main.log"; then
  echo "FAIL: a token in authd's log" >&2
  status=1
fi
exit $status
