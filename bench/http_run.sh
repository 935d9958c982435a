#!/usr/bin/env bash
# bench/http_run.sh: authd's HTTP API against its own gRPC API (issue 19; docs/performance.md §10).
# Builds authd and bench/http_bench with `-c opt`, starts one authd on a fresh data dir serving
# both on 127.0.0.1 free ports, and runs http_bench (GET /api/v2/authorizations/{id} vs
# GetAuthorization, and POST /api/v2/authorizations vs CreateAuthorization with synced writes) at
# each concurrency of BENCH_HTTP_CONCURRENCY, alternating rounds. Each step prints its command.
# Knobs: BENCH_PIN=1 (authd on CPU 0, http_bench on CPU 1), BENCH_HTTP_CONCURRENCY="1 4 16",
# BENCH_ROUNDS=3, BENCH_DURATION=3, BENCH_WARMUP=1, BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

CONCURRENCY=${BENCH_HTTP_CONCURRENCY:-1 4 16}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/authd-bench-http.XXXXXX)}
mkdir -p "$OUT"
set_pins
trap cleanup EXIT

tools/bazel.sh build -c opt //services:authd //bench:http_bench >&2
BIN=$(tools/bazel.sh info -c opt bazel-bin 2>/dev/null)

{ echo "== authd HTTP API vs gRPC"; machine_env; } | tee "$OUT/env.txt"
for c in $CONCURRENCY; do
  section "concurrency $c"
  log="$OUT/authd-$c.log"
  "${SERVER_PIN[@]}" "$BIN/services/authd" --listen=127.0.0.1:0 --data-dir="$OUT/data-$c" \
    --http-listen=127.0.0.1:0 --http-workers="$((c > 4 ? c : 4))" >"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 3000); do grep -q 'listening on' "$log" && break; sleep 0.01; done
  grpc=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n1)
  http=$(sed -n 's|.*HTTP API (InfluxDB /api/v2) at http://\(127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$log")
  [ -n "$grpc" ] && [ -n "$http" ] || { cat "$log" >&2; echo "http_run.sh: authd did not start" >&2; exit 1; }
  run "${CLIENT_PIN[@]}" "$BIN/bench/http_bench" --grpc="$grpc" --http="$http" --concurrency="$c" \
    --rounds="$ROUNDS" --duration="${DURATION}s" --warmup="${WARMUP}s" | tee "$OUT/http-$c.txt"
  stop_pid "$pid"
done
echo "results in $OUT"
