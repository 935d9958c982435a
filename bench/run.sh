#!/usr/bin/env bash
# bench/run.sh: reproduces every number in docs/performance.md. Builds authd and bench/ with
# `-c opt`, then runs, each step printing its exact command (prefixed "+") and the 1-minute load
# average at the time:
#   decision  in-process Authorize decision (Google Benchmark): ns/op, allocations/op, bytes/token
#   load      a fresh authd seeded over gRPC + the null server; load_gen at concurrency 1, 8, 32
#             (authd and null in the same run, with ratios); paced runs at half and a quarter of
#             the null server's max QPS; the quarter-load run again during a create storm
#   write     CreateAuthorization with synced writes at concurrency 1, 16, 64
#   front     Authorize through authd's HTTP/2 front vs the same binary on gRPC's own listener
#             (--http2-front=false), on copies of one seeded store, at concurrency 1, 16, 64
#   lifecycle Authorize with expiring tokens and last-used recording (flushed every second) vs the
#             same binary with recording off (--last-used-interval=0), at concurrency 1, 16, 64
#   client    the sibling client library (client/authorizer.h) against a seeded authd: ns per
#             cached decision (SHA-256 alone and an Authorize RPC for scale), and how long a token
#             change takes to reach it over WatchAuthorizations (p50/p99 over 500 writes)
#   sibling   Envoy's ext_authz Check vs Authorize on ONE authd (default flags plus the route table
#             `load_gen --print-ext-authz-routes` writes to $OUT/sibling-routes.yaml), same tokens
#             and mix, alternating rounds, at concurrency 1, 16, 64 (target: Check >= 0.9x); at 16
#             again with only the `authorization` header (Envoy's ext_authz allowed_headers);
#             BatchAuthorize of 100 checks vs Authorize at concurrency 16 (checks/s vs req/s);
#             the same Check vs Authorize against the null server (gRPC + protobuf alone); then
#             bench/ext_authz_bench (the same calls in process, without gRPC's transport)
#   h2load    the cross-check with nghttp2's h2load against authd and the null server
#   stall     writer_stall_bench (in-process TokenStore, synced writes): a probe writer's latency
#             and longest stall alone, during a DeleteOrg of 100k tokens, during a Verify of 1M
#   scale     1M tokens seeded offline (kept in /tmp/authd-bench-scale-N between runs); authd
#             start-up time (first start and restart) and RSS on them; replay of every event
#             (`authd rebuild-projections`)
# Then bench/summarize.py prints the table and which targets were met. Results (JSON and logs) go
# to $BENCH_OUT (default: a fresh /tmp/authd-bench.* dir). Every server listens on 127.0.0.1.
#
# Knobs (environment): BENCH_PIN=1 (servers on CPU 0, clients on CPU 1), BENCH_PARTS="decision load front lifecycle sibling client write h2load stall scale" (a subset runs faster),
# BENCH_ROUNDS=3 BENCH_DURATION=3 BENCH_WARMUP=1 (each load_gen comparison runs ROUNDS rounds of
# DURATION measured seconds per server, alternating which goes first), BENCH_CREATE_DURATION=5,
# BENCH_SEED_TOKENS=2000 (tokens created over gRPC), BENCH_SCALE_TOKENS=1000000,
# BENCH_SCALE_CACHE (where the seeded store is kept; empty = seed afresh inside BENCH_OUT),
# BENCH_DECISION_FILTER (a --benchmark_filter regex), BENCH_STALL_DELETE_TOKENS=100000,
# BENCH_STALL_VERIFY_TOKENS=1000000. About 7 minutes on the 2-core box after the build, 2 more the
# first time (seeding 1M tokens), 2-3 more for stall (it seeds its own 1.1M tokens every run), 3-4
# more for sibling (5 with BENCH_ROUNDS=5).
set -euo pipefail
cd "$(dirname "$0")/.."

PARTS=${BENCH_PARTS:-decision load front lifecycle sibling client write h2load stall scale}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
LONG=$((ROUNDS * DURATION))
CREATE_DURATION=${BENCH_CREATE_DURATION:-5}
SEED_TOKENS=${BENCH_SEED_TOKENS:-2000}
SCALE_TOKENS=${BENCH_SCALE_TOKENS:-1000000}
DECISION_FILTER=${BENCH_DECISION_FILTER:-.}
STALL_DELETE_TOKENS=${BENCH_STALL_DELETE_TOKENS:-100000}
STALL_VERIFY_TOKENS=${BENCH_STALL_VERIFY_TOKENS:-1000000}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/authd-bench.XXXXXX)}
mkdir -p "$OUT"

BIN=/opt-output-dir-not-known-yet
# BENCH_PIN=1: servers on CPU 0, load generators on CPU 1 (taskset), so that the client's own CPU
# use does not show up as server latency; both servers get the same single core, so the ratios
# stay like for like.
SERVER_PIN=()
CLIENT_PIN=()
# writer_stall_bench's probe and the DeleteOrg/Verify it measures are threads of one process: on
# one core the probe would wait for the CPU as well as for the writer lock, so it gets both.
STALL_PIN=()
if [ "${BENCH_PIN:-0}" = 1 ]; then
  SERVER_PIN=(taskset -c 0)
  CLIENT_PIN=(taskset -c 1)
  STALL_PIN=(taskset -c 0,1)
fi
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# loadavg, section, run, machine_env, PIDS/cleanup/stop_pid/rss_kb
source bench/common.sh

trap cleanup EXIT



# start_authd DATA_DIR LOG [ARG...]: starts authd on 127.0.0.1 port 0 (with ARGs) and waits
# (bounded: 120 s) for its "listening on" line. Sets AUTHD_PID, AUTHD_ADDR, AUTHD_START_MS (exec
# to listening).
start_authd() {
  local data=$1 log=$2 t0
  shift 2
  t0=$(date +%s%N)
  "${SERVER_PIN[@]}" "$BIN/services/authd" --listen=127.0.0.1:0 --data-dir="$data" "$@" >"$log" 2>&1 &
  AUTHD_PID=$!
  PIDS+=("$AUTHD_PID")
  for _ in $(seq 1 12000); do
    grep -q 'listening on' "$log" && break
    if ! kill -0 "$AUTHD_PID" 2>/dev/null; then
      cat "$log" >&2
      echo "run.sh: authd exited during start-up" >&2
      exit 1
    fi
    sleep 0.01
  done
  AUTHD_START_MS=$((($(date +%s%N) - t0) / 1000000))
  AUTHD_ADDR=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n1)
  if [ -z "$AUTHD_ADDR" ]; then
    echo "run.sh: authd did not start in 120 s" >&2
    exit 1
  fi
}

# start_null LOG: sets NULL_PID, NULL_ADDR.
start_null() {
  local log=$1
  "${SERVER_PIN[@]}" "$BIN/bench/null_server" --listen=127.0.0.1:0 >"$log" 2>&1 &
  NULL_PID=$!
  PIDS+=("$NULL_PID")
  for _ in $(seq 1 2000); do
    grep -q 'listening on' "$log" && break
    sleep 0.01
  done
  NULL_ADDR=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n1)
  if [ -z "$NULL_ADDR" ]; then
    echo "run.sh: null_server did not start" >&2
    exit 1
  fi
}

# json_of TEXT_FILE JSON_FILE: keeps the load_gen JSON line.
json_of() { grep '^{' "$1" >"$2"; }

section "build (-c opt)"
run tools/bazel.sh build -c opt //bench/... //services:authd
BIN=$(tools/bazel.sh info -c opt bazel-bin 2>/dev/null)
echo "BIN=$BIN"

{
  machine_env
  # The tree is shared: say which code the binaries were built from.
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- services storage authz proto bench 2>/dev/null || echo ' (+ uncommitted changes in services storage authz proto bench)')"
  echo "out: $OUT"
} | tee "$OUT/env.txt"

if has_part decision; then
  section "decision: in-process Authorize decision (Google Benchmark)"
  echo "load average: $(loadavg)" >"$OUT/decision.loadavg"
  run "$BIN/bench/authorize_decision_bench" --benchmark_filter="$DECISION_FILTER" \
    --benchmark_counters_tabular=true \
    --benchmark_out="$OUT/decision.json" --benchmark_out_format=json | tee "$OUT/decision.txt"
fi

if has_part front; then
  # The same store twice (seeded once, then copied while stopped), so both servers hold the same
  # tokens; one authd serves through its HTTP/2 front, the other through gRPC's own listener.
  section "front: Authorize through authd's HTTP/2 front vs gRPC's own listener (--http2-front=false)"
  mkdir -p "$OUT/data-front"
  start_authd "$OUT/data-front" "$OUT/authd-front-seed.log"
  run "$BIN/bench/seed_tokens" --target="$AUTHD_ADDR" --count="$SEED_TOKENS" --threads=16 \
    --out="$OUT/front-tokens.tsv"
  stop_pid "$AUTHD_PID"
  cp -a "$OUT/data-front" "$OUT/data-nofront"
  start_authd "$OUT/data-front" "$OUT/authd-front.log"
  FRONT_ADDR=$AUTHD_ADDR FRONT_PID=$AUTHD_PID
  start_authd "$OUT/data-nofront" "$OUT/authd-nofront.log" --http2-front=false
  NOFRONT_ADDR=$AUTHD_ADDR NOFRONT_PID=$AUTHD_PID
  for c in 1 16 64; do
    section "front: Authorize closed loop, concurrency $c ($ROUNDS rounds of each)"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$FRONT_ADDR" --target-name=authd-front \
      --baseline="$NOFRONT_ADDR" --baseline-name=authd-grpc-listener --concurrency="$c" \
      --rounds="$ROUNDS" --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
      --tokens-file="$OUT/front-tokens.tsv" --json | tee "$OUT/front_c$c.txt"
    json_of "$OUT/front_c$c.txt" "$OUT/front_c$c.json"
  done
  echo "RSS after: front $(rss_kb "$FRONT_PID") kB, grpc listener $(rss_kb "$NOFRONT_PID") kB"
  stop_pid "$FRONT_PID"
  stop_pid "$NOFRONT_PID"
fi

if has_part lifecycle; then
  # Issue 14: Authorize QPS with token lifecycle on (expiring tokens, uses marked and flushed every
  # second: the worst case) against the same binary with usage recording off
  # (--last-used-interval=0), on copies of one seeded store. Target: >= 0.95.
  section "lifecycle: Authorize with expiry + last-used recording vs recording off"
  mkdir -p "$OUT/data-lifecycle"
  start_authd "$OUT/data-lifecycle" "$OUT/authd-lifecycle-seed.log"
  run "$BIN/bench/seed_tokens" --target="$AUTHD_ADDR" --count="$SEED_TOKENS" --threads=16 \
    --ttl-seconds=86400 --out="$OUT/lifecycle-tokens.tsv"
  stop_pid "$AUTHD_PID"
  cp -a "$OUT/data-lifecycle" "$OUT/data-lifecycle-off"
  start_authd "$OUT/data-lifecycle" "$OUT/authd-lifecycle.log" --last-used-interval=1s
  ON_ADDR=$AUTHD_ADDR ON_PID=$AUTHD_PID
  start_authd "$OUT/data-lifecycle-off" "$OUT/authd-lifecycle-off.log" --last-used-interval=0
  OFF_ADDR=$AUTHD_ADDR OFF_PID=$AUTHD_PID
  for c in 1 16 64; do
    section "lifecycle: Authorize closed loop, concurrency $c ($ROUNDS rounds of each)"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$ON_ADDR" --target-name=lifecycle-on \
      --baseline="$OFF_ADDR" --baseline-name=recording-off --concurrency="$c" \
      --rounds="$ROUNDS" --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
      --tokens-file="$OUT/lifecycle-tokens.tsv" --json | tee "$OUT/lifecycle_c$c.txt"
    json_of "$OUT/lifecycle_c$c.txt" "$OUT/lifecycle_c$c.json"
  done
  stop_pid "$ON_PID"
  stop_pid "$OFF_PID"
fi

if has_part client; then
  # Issue 15: what the sibling client library (client/authorizer.h) costs: a cached decision
  # (target <= 200 ns) and how fast a change reaches it over WatchAuthorizations (p50/p99).
  section "client: cached decisions and Watch propagation (bench/client_bench)"
  mkdir -p "$OUT/data-client"
  start_authd "$OUT/data-client" "$OUT/authd-client.log"
  CLIENT_ADDR=$AUTHD_ADDR CLIENT_AUTHD_PID=$AUTHD_PID
  run "$BIN/bench/seed_tokens" --target="$CLIENT_ADDR" --count="$SEED_TOKENS" --threads=16 \
    --out="$OUT/client-tokens.tsv"
  run "${CLIENT_PIN[@]}" "$BIN/bench/client_bench" --target="$CLIENT_ADDR" \
    --tokens-file="$OUT/client-tokens.tsv" --samples=500 --json | tee "$OUT/client_bench.txt"
  json_of "$OUT/client_bench.txt" "$OUT/client_bench.json"
  stop_pid "$CLIENT_AUTHD_PID"
fi

if has_part sibling; then
  # Issue 15: Check (as Envoy's ext_authz filter sends it) against Authorize on the same authd,
  # tokens and mix, rounds alternating which goes first. Target: Check QPS >= 0.9x Authorize.
  section "sibling: Envoy Check vs Authorize on one authd"
  printf '+ %s\n' "\$BIN/bench/load_gen --print-ext-authz-routes >\$OUT/sibling-routes.yaml"
  "$BIN/bench/load_gen" --print-ext-authz-routes >"$OUT/sibling-routes.yaml"
  mkdir -p "$OUT/data-sibling"
  start_authd "$OUT/data-sibling" "$OUT/authd-sibling.log" \
    --ext-authz-routes="$OUT/sibling-routes.yaml"
  SIBLING_ADDR=$AUTHD_ADDR SIBLING_PID=$AUTHD_PID
  run "$BIN/bench/seed_tokens" --target="$SIBLING_ADDR" --count="$SEED_TOKENS" --threads=16 \
    --out="$OUT/sibling-tokens.tsv"
  for c in 1 16 64; do
    section "sibling: Check vs Authorize closed loop, concurrency $c ($ROUNDS rounds of each)"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$SIBLING_ADDR" --rpc=check \
      --baseline-rpc=authorize --concurrency="$c" --rounds="$ROUNDS" --duration="${DURATION}s" \
      --warmup="${WARMUP}s" --mix=80:10:10 --tokens-file="$OUT/sibling-tokens.tsv" --json |
      tee "$OUT/sibling_check_c$c.txt"
    json_of "$OUT/sibling_check_c$c.txt" "$OUT/sibling_check_c$c.json"
  done
  # What Envoy's ext_authz `allowed_headers: {patterns: [{exact: authorization}]}` would save.
  section "sibling: Check with the authorization header only vs Authorize, concurrency 16 ($ROUNDS rounds of each)"
  run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$SIBLING_ADDR" --rpc=check \
    --check-headers=authorization --baseline-rpc=authorize --concurrency=16 --rounds="$ROUNDS" \
    --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
    --tokens-file="$OUT/sibling-tokens.tsv" --json | tee "$OUT/sibling_check1h_c16.txt"
  json_of "$OUT/sibling_check1h_c16.txt" "$OUT/sibling_check1h_c16.json"
  section "sibling: BatchAuthorize of 100 vs Authorize closed loop, concurrency 16 ($ROUNDS rounds of each)"
  run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$SIBLING_ADDR" --rpc=batch --batch-size=100 \
    --baseline-rpc=authorize --concurrency=16 --rounds="$ROUNDS" --duration="${DURATION}s" \
    --warmup="${WARMUP}s" --mix=80:10:10 --tokens-file="$OUT/sibling-tokens.tsv" --json |
    tee "$OUT/sibling_batch_c16.txt"
  json_of "$OUT/sibling_batch_c16.txt" "$OUT/sibling_batch_c16.json"
  echo "RSS after: $(rss_kb "$SIBLING_PID") kB"
  stop_pid "$SIBLING_PID"

  # The same two rpcs against the null server (no authd code, empty answers): what Envoy's larger
  # messages cost gRPC and protobuf alone, the ceiling of Check/Authorize for any handler.
  section "sibling: Check vs Authorize on the null server, concurrency 16 ($ROUNDS rounds of each)"
  start_null "$OUT/null-sibling.log"
  run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$NULL_ADDR" --rpc=check \
    --baseline-rpc=authorize --verify=false --concurrency=16 --rounds="$ROUNDS" \
    --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
    --tokens-file="$OUT/sibling-tokens.tsv" --json | tee "$OUT/sibling_null_c16.txt"
  json_of "$OUT/sibling_null_c16.txt" "$OUT/sibling_null_c16.json"
  stop_pid "$NULL_PID"
  NULL_PID=

  section "sibling: the same calls in process, without gRPC's transport (bench/ext_authz_bench)"
  run "${SERVER_PIN[@]}" "$BIN/bench/ext_authz_bench" --benchmark_min_time=0.3 \
    --benchmark_repetitions=3 --benchmark_display_aggregates_only=true \
    --benchmark_counters_tabular=true --benchmark_out="$OUT/sibling_inprocess.json" \
    --benchmark_out_format=json | tee "$OUT/sibling_inprocess.txt"
fi

if has_part load || has_part write || has_part h2load; then
  section "a fresh authd, seeded over gRPC, and the null server"
  mkdir -p "$OUT/data-load"
  start_authd "$OUT/data-load" "$OUT/authd-load.log"
  echo "authd on $AUTHD_ADDR (pid $AUTHD_PID); data dir $OUT/data-load"
  run "$BIN/bench/seed_tokens" --target="$AUTHD_ADDR" --count="$SEED_TOKENS" --threads=16 \
    --out="$OUT/tokens.tsv" --h2load-body="$OUT/authorize.grpc"
  start_null "$OUT/null.log"
  echo "null_server on $NULL_ADDR (pid $NULL_PID)"
fi

if has_part load; then
  for c in 1 8 32; do
    section "load: Authorize closed loop, concurrency $c ($ROUNDS rounds of null server and authd)"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$AUTHD_ADDR" --baseline="$NULL_ADDR" --concurrency="$c" \
      --rounds="$ROUNDS" --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
      --tokens-file="$OUT/tokens.tsv" --json | tee "$OUT/load_c$c.txt"
    json_of "$OUT/load_c$c.txt" "$OUT/load_c$c.json"
  done

  # Paced runs at half and a quarter of the gRPC stack's maximum (the null server's closed-loop
  # QPS at concurrency 32), 64 slots so that in-flight requests are not the limit. On this box
  # the client shares the 2 cores: load_gen counts requests its pacers sent late (client behind),
  # and the summary only trusts a run where that stayed under 1%.
  HALF=$(jq '.runs[0].qps / 2 | floor' "$OUT/load_c32.json")
  QUARTER=$(jq '.runs[0].qps / 4 | floor' "$OUT/load_c32.json")
  for step in half quarter; do
    if [ "$step" = half ]; then rate=$HALF; else rate=$QUARTER; fi
    section "load: Authorize paced at $rate/s ($step of the null server's max), 64 slots"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$AUTHD_ADDR" --baseline="$NULL_ADDR" --concurrency=64 \
      --rate="$rate" --rounds="$ROUNDS" --duration="${DURATION}s" --warmup="${WARMUP}s" \
      --mix=80:10:10 --tokens-file="$OUT/tokens.tsv" --json | tee "$OUT/$step.txt"
    json_of "$OUT/$step.txt" "$OUT/$step.json"
  done

  section "load: Authorize paced at $QUARTER/s during a create storm (16 creates in flight)"
  STORM=$((WARMUP + LONG + 3))
  run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --rpc=create --target="$AUTHD_ADDR" --target-name=authd-creates \
    --concurrency=16 --duration="${STORM}s" --warmup=0s --tokens-file="$OUT/tokens.tsv" \
    --json >"$OUT/storm_create.txt" &
  STORM_PID=$!
  sleep 1
  run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$AUTHD_ADDR" --target-name=authd-during-creates \
    --concurrency=64 --rate="$QUARTER" --duration="${LONG}s" --warmup="${WARMUP}s" \
    --mix=80:10:10 --tokens-file="$OUT/tokens.tsv" --json | tee "$OUT/storm_authorize.txt"
  wait "$STORM_PID"
  cat "$OUT/storm_create.txt"
  json_of "$OUT/storm_authorize.txt" "$OUT/storm_authorize.json"
  json_of "$OUT/storm_create.txt" "$OUT/storm_create.json"
fi

if has_part write; then
  for c in 1 16 64; do
    section "write: CreateAuthorization, synced writes, concurrency $c"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --rpc=create --target="$AUTHD_ADDR" --concurrency="$c" \
      --duration="${CREATE_DURATION}s" --warmup=1s --tokens-file="$OUT/tokens.tsv" --json |
      tee "$OUT/create_c$c.txt"
    json_of "$OUT/create_c$c.txt" "$OUT/create_c$c.json"
  done
fi

if has_part h2load; then
  if ! command -v h2load >/dev/null 2>&1; then
    section "h2load not installed: apt-get install nghttp2-client (skipped)"
  else
    section "h2load: one well-formed Authorize call first (grpc-status must be 0)"
    if command -v nghttp >/dev/null 2>&1; then
      nghttp -v -d "$OUT/authorize.grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://$AUTHD_ADDR/authd.v1.AuthorizeService/Authorize" 2>&1 |
        grep -aE 'grpc-status|:status' | tee "$OUT/h2load_check.txt"
    fi
    for pair in "null $NULL_ADDR" "authd $AUTHD_ADDR"; do
      set -- $pair
      section "h2load: Authorize against $1, 4 connections x 8 streams"
      run h2load --duration="$LONG" --warm-up-time="$WARMUP" -c 4 -m 8 -t 1 \
        -d "$OUT/authorize.grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://$2/authd.v1.AuthorizeService/Authorize" | tee "$OUT/h2load_$1.txt"
    done
  fi
fi

if [ -n "${AUTHD_PID:-}" ]; then stop_pid "$AUTHD_PID"; fi
if [ -n "${NULL_PID:-}" ]; then stop_pid "$NULL_PID"; fi

if has_part stall; then
  # Seeds its own store in a temp dir (removed at the end); one JSON line per phase.
  section "stall: writer stalls during DeleteOrg ($STALL_DELETE_TOKENS tokens) and Verify ($STALL_VERIFY_TOKENS tokens)"
  run "${STALL_PIN[@]}" "$BIN/bench/writer_stall_bench" --delete-tokens="$STALL_DELETE_TOKENS" \
    --verify-tokens="$STALL_VERIFY_TOKENS" | tee "$OUT/stall.txt"
  json_of "$OUT/stall.txt" "$OUT/stall.json"
fi

if has_part scale; then
  section "scale: authd on an empty store (the RSS baseline)"
  mkdir -p "$OUT/data-empty"
  start_authd "$OUT/data-empty" "$OUT/authd-empty.log"
  sleep 1
  EMPTY_RSS=$(rss_kb "$AUTHD_PID")
  echo "start-up ${AUTHD_START_MS} ms, VmRSS ${EMPTY_RSS} kB"
  stop_pid "$AUTHD_PID"

  # Seeding 1M tokens takes about two minutes, so the seeded store is kept between runs (it is
  # only ever restarted and rebuilt, which leaves its content unchanged). BENCH_SCALE_CACHE=""
  # seeds a fresh one inside $OUT.
  SCALE_DIR=${BENCH_SCALE_CACHE-/tmp/authd-bench-scale-$SCALE_TOKENS}
  SCALE_DIR=${SCALE_DIR:-$OUT/data-scale}
  SEED_MS=0
  if [ -f "$SCALE_DIR.seeded" ]; then
    section "scale: reusing the store seeded with $SCALE_TOKENS tokens in $SCALE_DIR (delete it to re-seed)"
  else
    section "scale: seed $SCALE_TOKENS tokens (2 permissions each) offline, sync_writes=false"
    rm -rf "$SCALE_DIR"
    t0=$(date +%s%N)
    run "$BIN/bench/seed_store" --data-dir="$SCALE_DIR" --count="$SCALE_TOKENS" \
      --permissions=2 --tokens-out="$OUT/tokens-scale.tsv"
    SEED_MS=$((($(date +%s%N) - t0) / 1000000))
    touch "$SCALE_DIR.seeded"
  fi

  # Two starts: the first also pays for what the previous process left behind (the bulk seed's
  # pending compactions, or the WAL a rebuild-projections leaves); the second is the restart after
  # a clean shutdown that a rolling update sees. Both are reported.
  section "scale: authd first start on $SCALE_TOKENS tokens"
  printf '+ %s\n' "\$BIN/services/authd --listen=127.0.0.1:0 --data-dir=$SCALE_DIR  (timed to its 'listening on' line)"
  start_authd "$SCALE_DIR" "$OUT/authd-scale-1.log"
  FIRST_MS=$AUTHD_START_MS
  grep -E 'store open' "$OUT/authd-scale-1.log"
  echo "first start-up ${FIRST_MS} ms"
  stop_pid "$AUTHD_PID"

  section "scale: authd restart on $SCALE_TOKENS tokens"
  LOAD_START=$(loadavg)
  printf '+ %s\n' "\$BIN/services/authd --listen=127.0.0.1:0 --data-dir=$SCALE_DIR  (timed to its 'listening on' line)"
  start_authd "$SCALE_DIR" "$OUT/authd-scale-2.log"
  START_MS=$AUTHD_START_MS
  sleep 1
  SCALE_RSS=$(rss_kb "$AUTHD_PID")
  grep -E 'store open' "$OUT/authd-scale-2.log"
  echo "restart ${START_MS} ms, VmRSS ${SCALE_RSS} kB"
  stop_pid "$AUTHD_PID"
  DISK_KB=$(du -sk "$SCALE_DIR" | cut -f1)

  section "scale: replay every event (authd rebuild-projections)"
  LOAD_REPLAY=$(loadavg)
  t0=$(date +%s%N)
  run "$BIN/services/authd" rebuild-projections --data-dir="$SCALE_DIR"
  REPLAY_MS=$((($(date +%s%N) - t0) / 1000000))
  echo "replay ${REPLAY_MS} ms"

  cat >"$OUT/scale.json" <<EOF
{"tokens":$SCALE_TOKENS,"permissions":2,"seed_ms":$SEED_MS,"first_startup_ms":$FIRST_MS,"startup_ms":$START_MS,"rss_kb":$SCALE_RSS,"empty_rss_kb":$EMPTY_RSS,"disk_kb":$DISK_KB,"replay_ms":$REPLAY_MS,"events":$((SCALE_TOKENS + 5)),"load_avg_startup":"$LOAD_START","load_avg_replay":"$LOAD_REPLAY"}
EOF
  cat "$OUT/scale.json"
fi

section "summary"
python3 bench/summarize.py "$OUT" | tee "$OUT/summary.txt"
echo "results: $OUT"
