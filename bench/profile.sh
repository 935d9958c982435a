#!/usr/bin/env bash
# bench/profile.sh: the perf profiles docs/performance.md quotes, one per miss. Needs `perf`
# (Debian: linux-perf) and the -c opt binaries bench/run.sh builds. Prints the top of each profile
# by shared object and by symbol; the raw perf.data files stay in $PROFILE_OUT.
#
#   bench/profile.sh decision   the in-process decision at 1M tokens x 1 permission
#   bench/profile.sh authorize  authd under closed-loop Authorize load (concurrency 32, 10 s)
#   bench/profile.sh cpu        server CPU time and context switches per request, authd vs null
#                               server, at concurrency 1 and 8 (perf stat)
#   bench/profile.sh create     authd under CreateAuthorization load (concurrency 16, synced), with
#                               server CPU time per create (perf stat) and a call-graph profile
#   bench/profile.sh sibling    Envoy's Check vs Authorize on one authd (load_gen's route table,
#                               2000 tokens, mix 80:10:10, concurrency 16; authd on CPU 0,
#                               load_gen on CPU 1): server CPU time and context switches per call
#                               (perf stat), then a call-graph profile of each
#   bench/profile.sh startup    authd start-up on the 1M-token store of bench/run.sh
#   bench/profile.sh replay     authd rebuild-projections on that store
# Every server listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:?usage: bench/profile.sh decision|authorize|cpu|create|sibling|startup|replay}
PROFILE_OUT=${PROFILE_OUT:-$(mktemp -d /tmp/authd-profile.XXXXXX)}
mkdir -p "$PROFILE_OUT"
SCALE_DIR=${BENCH_SCALE_CACHE:-/tmp/authd-bench-scale-1000000}
tools/bazel.sh build -c opt //bench/... //services:authd >/dev/null 2>&1
BIN=$(tools/bazel.sh info -c opt bazel-bin 2>/dev/null)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); out: $PROFILE_OUT"

SERVER_PIN=()
CLIENT_PIN=()

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

top() {  # top DATA: the heaviest shared objects and symbols, self time
  perf report -i "$1" --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
  echo
  perf report -i "$1" --no-children --sort dso,sym -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
    head -30 | cut -c1-160
}

wait_listening() {  # wait_listening LOG: prints the address
  for _ in $(seq 1 6000); do
    if grep -q 'listening on' "$1"; then break; fi
    sleep 0.02
  done
  sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$1" | head -n1
}

start_pair() {  # a fresh authd with 2000 tokens and a null server: sets AUTHD AUTHD_PID NULL NULL_PID
  mkdir -p "$PROFILE_OUT/data"
  # authd also serves Check, with the route table load_gen --rpc=check needs.
  "$BIN/bench/load_gen" --print-ext-authz-routes >"$PROFILE_OUT/routes.yaml"
  "${SERVER_PIN[@]}" "$BIN/services/authd" --listen=127.0.0.1:0 --data-dir="$PROFILE_OUT/data" \
    --ext-authz-routes="$PROFILE_OUT/routes.yaml" >"$PROFILE_OUT/authd.log" 2>&1 &
  AUTHD_PID=$!
  PIDS+=("$AUTHD_PID")
  "$BIN/bench/null_server" >"$PROFILE_OUT/null.log" 2>&1 &
  NULL_PID=$!
  PIDS+=("$NULL_PID")
  AUTHD=$(wait_listening "$PROFILE_OUT/authd.log")
  NULL=$(wait_listening "$PROFILE_OUT/null.log")
  "$BIN/bench/seed_tokens" --target="$AUTHD" --count=2000 --out="$PROFILE_OUT/tokens.tsv" >/dev/null
}

case "$WHAT" in
  decision)
    perf record -F 999 -g -o "$PROFILE_OUT/decision.data" "$BIN/bench/authorize_decision_bench" \
      --benchmark_filter='BM_Decision/tokens:1000000/perms:1/kind:0' --benchmark_repetitions=1 \
      --benchmark_min_time=5 2>&1 | grep -E '^BM_'
    top "$PROFILE_OUT/decision.data"
    ;;
  authorize)
    start_pair
    "$BIN/bench/load_gen" --target="$AUTHD" --concurrency=32 --duration=12s --warmup=1s \
      --tokens-file="$PROFILE_OUT/tokens.tsv" >"$PROFILE_OUT/load.txt" 2>&1 &
    LOAD=$!
    sleep 2
    perf record -F 499 --call-graph dwarf,16384 -p "$AUTHD_PID" -o "$PROFILE_OUT/authorize.data" -- sleep 5 2>/dev/null
    wait "$LOAD"
    cat "$PROFILE_OUT/load.txt"
    top "$PROFILE_OUT/authorize.data"
    ;;
  cpu)
    start_pair
    for c in 1 8; do
      for who in null authd; do
        if [ "$who" = null ]; then target=$NULL pid=$NULL_PID; else target=$AUTHD pid=$AUTHD_PID; fi
        "$BIN/bench/load_gen" --target="$target" --target-name="$who" --concurrency="$c" --duration=5s \
          --warmup=1s --tokens-file="$PROFILE_OUT/tokens.tsv" --verify=false >"$PROFILE_OUT/lg.txt" 2>&1 &
        LOAD=$!
        sleep 2
        perf stat -x, -e task-clock,context-switches -p "$pid" -- sleep 3 2>"$PROFILE_OUT/stat.txt"
        wait "$LOAD"
        qps=$(sed -n 's/.*-> \([0-9.]*\) req\/s.*/\1/p' "$PROFILE_OUT/lg.txt")
        ms=$(awk -F, '/task-clock/ {print $1}' "$PROFILE_OUT/stat.txt")
        cs=$(awk -F, '/context-switches/ {print $1}' "$PROFILE_OUT/stat.txt")
        python3 -c "print('concurrency=%s %-5s qps=%8.0f server CPU us/request=%6.1f context switches/request=%5.2f' % ('$c', '$who', $qps, $ms * 1000 / ($qps * 3), $cs / ($qps * 3)))"
      done
    done
    ;;
  create)
    start_pair
    "$BIN/bench/load_gen" --rpc=create --target="$AUTHD" --concurrency=16 --duration=14s \
      --warmup=1s --tokens-file="$PROFILE_OUT/tokens.tsv" >"$PROFILE_OUT/load.txt" 2>&1 &
    LOAD=$!
    sleep 2
    perf stat -x, -e task-clock,context-switches -p "$AUTHD_PID" -- sleep 4 2>"$PROFILE_OUT/stat.txt"
    perf record -F 499 --call-graph dwarf,16384 -p "$AUTHD_PID" -o "$PROFILE_OUT/create.data" -- sleep 5 2>/dev/null
    wait "$LOAD"
    cat "$PROFILE_OUT/load.txt"
    qps=$(sed -n 's/.*-> \([0-9.]*\) req\/s.*/\1/p' "$PROFILE_OUT/load.txt")
    ms=$(awk -F, '/task-clock/ {print $1}' "$PROFILE_OUT/stat.txt")
    cs=$(awk -F, '/context-switches/ {print $1}' "$PROFILE_OUT/stat.txt")
    python3 -c "print('creates: server CPU us/create=%6.1f context switches/create=%5.2f (perf stat over 4 s at %.0f/s)' % ($ms * 1000 / ($qps * 4), $cs / ($qps * 4), $qps))"
    top "$PROFILE_OUT/create.data"
    ;;
  sibling)
    # One core each, so that "CPU per call" is the server's alone.
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c 1)
    start_pair
    for rpc in authorize check; do
      # perf stat in one run, perf record in another (recording slows the server).
      "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$AUTHD" --rpc="$rpc" --target-name="$rpc" \
        --concurrency=16 --duration=6s --warmup=1s --tokens-file="$PROFILE_OUT/tokens.tsv" \
        >"$PROFILE_OUT/lg-$rpc.txt" 2>&1 &
      LOAD=$!
      sleep 2
      perf stat -x, -e task-clock,context-switches -p "$AUTHD_PID" -- sleep 4 2>"$PROFILE_OUT/stat-$rpc.txt"
      wait "$LOAD"
      grep -E 'ok in' "$PROFILE_OUT/lg-$rpc.txt"
      qps=$(sed -n 's/.*-> \([0-9.]*\) req\/s.*/\1/p' "$PROFILE_OUT/lg-$rpc.txt")
      ms=$(awk -F, '/task-clock/ {print $1}' "$PROFILE_OUT/stat-$rpc.txt")
      cs=$(awk -F, '/context-switches/ {print $1}' "$PROFILE_OUT/stat-$rpc.txt")
      python3 -c "print('%-9s qps=%8.0f server CPU us/call=%6.1f context switches/call=%5.2f (perf stat over 4 s)' % ('$rpc', $qps, $ms * 1000 / ($qps * 4), $cs / ($qps * 4)))"
      "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$AUTHD" --rpc="$rpc" --concurrency=16 \
        --duration=8s --warmup=1s --tokens-file="$PROFILE_OUT/tokens.tsv" >/dev/null 2>&1 &
      LOAD=$!
      sleep 2
      perf record -F 499 --call-graph dwarf,16384 -p "$AUTHD_PID" -o "$PROFILE_OUT/$rpc.data" -- sleep 5 2>/dev/null
      wait "$LOAD"
    done
    for rpc in authorize check; do
      echo "--- $rpc: self time by shared object and symbol"
      top "$PROFILE_OUT/$rpc.data" || true  # head closes the pipe early (pipefail)
    done
    ;;
  startup)
    perf record -F 499 -g -o "$PROFILE_OUT/startup.data" "$BIN/services/authd" --listen=127.0.0.1:0 \
      --data-dir="$SCALE_DIR" >"$PROFILE_OUT/startup.log" 2>&1 &
    PERF_PID=$!
    wait_listening "$PROFILE_OUT/startup.log" >/dev/null
    grep 'store open' "$PROFILE_OUT/startup.log"
    kill -INT "$PERF_PID"
    wait "$PERF_PID" || true
    top "$PROFILE_OUT/startup.data"
    ;;
  replay)
    /usr/bin/time -f '%e s elapsed, %M kB max RSS' perf record -F 199 -g -o "$PROFILE_OUT/replay.data" \
      "$BIN/services/authd" rebuild-projections --data-dir="$SCALE_DIR" 2>&1 | grep -v '^\[ perf'
    top "$PROFILE_OUT/replay.data"
    ;;
  *)
    echo "unknown profile $WHAT" >&2
    exit 2
    ;;
esac
