#!/usr/bin/env bash
# Runs README.md's "Quick start" block, verbatim except for the address, against a real authd on
# 127.0.0.1 port 0, with `buf curl` (npm @bufbuild/buf) as the grpcurl-style client. Fails loudly
# (never skips) when buf is missing: tools/install_deps.sh installs it and tools/test.sh passes its
# path as AUTHD_BUF.
set -euo pipefail
RUNFILES="${TEST_SRCDIR}/authd"
BUF="${AUTHD_BUF:-$(command -v buf || true)}"
if [ -z "$BUF" ] || [ ! -x "$BUF" ]; then
  echo "FAIL: buf not found. Run tools/install_deps.sh, or set AUTHD_BUF to the buf binary." >&2
  exit 1
fi
command -v jq >/dev/null || { echo "FAIL: jq not found (tools/install_deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/quickstart.XXXXXX")
"$RUNFILES/services/authd" --listen=127.0.0.1:0 --data-dir="$work/data" >"$work/authd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 1 300); do
  addr=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$work/authd.log" | head -n1 | cut -d' ' -f3 || true)
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/authd.log"; exit 1; }
  sleep 0.05
done
[ -n "$addr" ] || { echo "authd did not start"; cat "$work/authd.log"; exit 1; }

# Extract the block between the quickstart markers, point it at this server.
sed -n '/<!-- quickstart:begin -->/,/<!-- quickstart:end -->/p' "$RUNFILES/README.md" \
  | sed '/^```/d;/<!--/d' | sed "s/127\.0\.0\.1:50051/$addr/g" >"$work/quickstart.sh"
grep -q 'authd.v1.AuthorizeService/Authorize' "$work/quickstart.sh" || {
  echo "FAIL: README quick start block not found or incomplete"; exit 1; }

export PATH="$(dirname "$BUF"):$PATH"
out=$(cd "$work" && bash -euo pipefail "$work/quickstart.sh" 2>&1) || { echo "$out"; exit 1; }
echo "$out"

# Reflection lists every authd service, health and reflection.
for svc in authd.v1.SetupService authd.v1.SessionService authd.v1.TenantService \
           authd.v1.AuthorizationService authd.v1.AuthorizeService authd.v1.AdminService \
           grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  grep -qx "$svc" <<<"$out" || { echo "FAIL: $svc not listed through reflection"; exit 1; }
done
# The last call of the block is Authorize for the new read token: it must be allowed.
tail -n 8 <<<"$out" | grep -q '"allowed": true' || { echo "FAIL: Authorize was not allowed"; exit 1; }
# No token ever reaches the server log.
reader=$(jq -r .token "$work/reader.json")
if grep -qF "$reader" "$work/authd.log"; then echo "FAIL: token in the server log"; exit 1; fi
echo "PASS"
