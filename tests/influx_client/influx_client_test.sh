#!/usr/bin/env bash
# Starts the real authd with its HTTP API on 127.0.0.1 (port 0) and runs InfluxDB's own JavaScript
# client against it (influx_client_test.cjs). The npm packages come from $AUTHD_TOOLS/node_modules
# (tools/install_deps.sh installs them; tools/test.sh passes --test_env=AUTHD_TOOLS).
set -euo pipefail
: "${AUTHD_TOOLS:?AUTHD_TOOLS must point at the npm tools dir (tools/test.sh sets it)}"
[ -f "$AUTHD_TOOLS/node_modules/@influxdata/influxdb-client-apis/package.json" ] || {
  echo "FAIL: @influxdata/influxdb-client-apis is not installed in $AUTHD_TOOLS (run tools/install_deps.sh)" >&2
  exit 1
}
runfiles=${TEST_SRCDIR:-$0.runfiles}/authd
authd=$runfiles/services/authd
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/influx_client.XXXXXX")
: >"$dir/authd.log"  # exists before the first read below, however the child is scheduled
"$authd" --listen=127.0.0.1:0 --data-dir="$dir/data" --http-listen=127.0.0.1:0 >"$dir/authd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*HTTP API (InfluxDB /api/v2) at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$dir/authd.log" || true)
  [ -n "$port" ] && grep -q "listening on" "$dir/authd.log" && break
  kill -0 $pid 2>/dev/null || { cat "$dir/authd.log" >&2; echo "FAIL: authd exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$dir/authd.log" >&2; echo "FAIL: authd did not start" >&2; exit 1; }
status=0
NODE_PATH="$AUTHD_TOOLS/node_modules" node "$runfiles/tests/influx_client/influx_client_test.cjs" \
  "http://127.0.0.1:$port" || status=$?
if [ "$status" != 0 ]; then
  echo "--- authd log:" >&2
  cat "$dir/authd.log" >&2
fi
exit $status
