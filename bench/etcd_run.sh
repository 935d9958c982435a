#!/usr/bin/env bash
# bench/etcd_run.sh: authd on etcd (issue 13), every number of docs/performance.md §9. Builds with
# `-c opt`, starts a real 3-member etcd (Debian's /usr/bin/etcd) on 127.0.0.1 free ports in $OUT,
# two authd replicas on it, and prints each step's exact command (prefixed "+"):
#   create       CreateAuthorization through replica A at concurrency 1, 16, 64 (creates/s, p50/p99)
#   propagation  a create on A until Authorize allows it on B (no min_position): p50/p99, alone and
#                during a 16-way create storm on A (bench/propagation_bench)
#   authorize    Authorize QPS on replica A (etcd mode) vs authd on a copy of replica B's data dir
#                without etcd (the embedded RocksDB mode), same tokens, same run, alternating
#                rounds: the ratio at concurrency 1, 16, 64
#   cold         a fresh replica's start on etcd holding BENCH_SCALE_TOKENS (1M) tokens as a
#                snapshot (bench/seed_etcd_snapshot from bench/seed_store's store, cached like
#                run.sh's scale part): time to "listening on", RSS
# Knobs: BENCH_PIN=1 (servers, etcd included, on CPU 0; clients on CPU 1), BENCH_ETCD_PARTS (a
# subset of "create propagation authorize cold"), BENCH_SEED_TOKENS=2000, BENCH_CREATE_DURATION=5,
# BENCH_ROUNDS=3, BENCH_DURATION=3, BENCH_WARMUP=1, BENCH_SCALE_TOKENS=1000000,
# BENCH_SCALE_CACHE, BENCH_OUT. Every process listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

PARTS=${BENCH_ETCD_PARTS:-create propagation authorize cold}
SEED_TOKENS=${BENCH_SEED_TOKENS:-2000}
CREATE_DURATION=${BENCH_CREATE_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
SCALE_TOKENS=${BENCH_SCALE_TOKENS:-1000000}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/authd-bench-etcd.XXXXXX)}
mkdir -p "$OUT"
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
BIN=/opt-output-dir-not-known-yet  # set after the build; `run` prints it as $BIN

set_pins

trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_authd NAME DATA_DIR [ARG...]: sets PID_<NAME>, ADDR_<NAME>, START_MS_<NAME>.
start_authd() {
  local name=$1 data=$2 log="$OUT/authd-$1.log" t0 addr pid
  shift 2
  t0=$(date +%s%N)
  "${SERVER_PIN[@]}" "$BIN/services/authd" --listen=127.0.0.1:0 --data-dir="$data" "$@" >"$log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 30000); do
    grep -q 'listening on' "$log" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$log" >&2
      echo "etcd_run.sh: authd $name exited during start-up" >&2
      exit 1
    fi
    sleep 0.01
  done
  addr=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n1)
  [ -n "$addr" ] || { echo "etcd_run.sh: authd $name did not start" >&2; exit 1; }
  printf -v "PID_$name" '%s' "$pid"
  printf -v "ADDR_$name" '%s' "$addr"
  printf -v "START_MS_$name" '%s' "$((($(date +%s%N) - t0) / 1000000))"
}

{ echo "== authd on etcd benchmarks"; machine_env; echo "etcd: $(/usr/bin/etcd --version | head -n1)"; } |
  tee "$OUT/env.txt"

section "build (-c opt)"
run tools/bazel.sh build -c opt //bench/... //services:authd
BIN=$(tools/bazel.sh info -c opt bazel-bin 2>/dev/null)

section "etcd: 3 members on 127.0.0.1 (data in $OUT/etcd)"
CLUSTER=""
declare -a CLIENT_PORTS PEER_PORTS
for i in 0 1 2; do
  CLIENT_PORTS[$i]=$(free_port)
  PEER_PORTS[$i]=$(free_port)
  CLUSTER+="${CLUSTER:+,}m$i=http://127.0.0.1:${PEER_PORTS[$i]}"
done
ENDPOINTS=""
for i in 0 1 2; do
  mkdir -p "$OUT/etcd"
  "${SERVER_PIN[@]}" /usr/bin/etcd --name="m$i" --data-dir="$OUT/etcd/m$i" \
    --listen-client-urls="http://127.0.0.1:${CLIENT_PORTS[$i]}" \
    --advertise-client-urls="http://127.0.0.1:${CLIENT_PORTS[$i]}" \
    --listen-peer-urls="http://127.0.0.1:${PEER_PORTS[$i]}" \
    --initial-advertise-peer-urls="http://127.0.0.1:${PEER_PORTS[$i]}" \
    --initial-cluster="$CLUSTER" --initial-cluster-state=new --initial-cluster-token="bench-$$" \
    --quota-backend-bytes=$((8 * 1024 * 1024 * 1024)) --logger=zap --log-outputs=stderr \
    >"$OUT/etcd-m$i.log" 2>&1 &
  PIDS+=("$!")
  ENDPOINTS+="${ENDPOINTS:+,}http://127.0.0.1:${CLIENT_PORTS[$i]}"
done
echo "endpoints: $ENDPOINTS"
for _ in $(seq 1 200); do
  ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" endpoint health >/dev/null 2>&1 && break
  sleep 0.1
done
ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" endpoint status -w table

if has_part create || has_part propagation || has_part authorize; then
  section "two authd replicas on etcd; $SEED_TOKENS tokens seeded through replica A"
  start_authd A "$OUT/data-a" --etcd-endpoints="$ENDPOINTS"
  start_authd B "$OUT/data-b" --etcd-endpoints="$ENDPOINTS"
  echo "A on $ADDR_A, B on $ADDR_B"
  run "$BIN/bench/seed_tokens" --target="$ADDR_A" --count="$SEED_TOKENS" --threads=16 \
    --out="$OUT/tokens.tsv"
fi

if has_part create; then
  for c in 1 16 64; do
    section "create: CreateAuthorization through replica A (etcd), concurrency $c"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --rpc=create --target="$ADDR_A" \
      --target-name=authd-etcd-creates --concurrency="$c" --duration="${CREATE_DURATION}s" \
      --warmup=1s --tokens-file="$OUT/tokens.tsv" --json | tee "$OUT/etcd_create_c$c.txt"
  done
fi

if has_part propagation; then
  for storm in 0 16; do
    section "propagation: create on A -> allowed on B, storm of $storm creates in flight on A"
    run "${CLIENT_PIN[@]}" "$BIN/bench/propagation_bench" --writer="$ADDR_A" --reader="$ADDR_B" \
      --tokens="$OUT/tokens.tsv" --storm-concurrency="$storm" --duration=10s --json |
      tee "$OUT/propagation_storm$storm.txt"
  done
fi

if has_part authorize; then
  section "authorize: replica A (etcd) vs a copy of replica B's data dir served without etcd"
  # B is caught up with A (the propagation probes waited for it); stopped, its copy is an
  # ordinary RocksDB store (read-only without etcd: writes are refused, Authorize is not).
  stop_pid "$PID_B"
  cp -a "$OUT/data-b" "$OUT/data-rocks"
  start_authd R "$OUT/data-rocks"
  for c in 1 16 64; do
    section "authorize: concurrency $c, authd-etcd (A) vs authd-rocksdb (copy), alternating rounds"
    run "${CLIENT_PIN[@]}" "$BIN/bench/load_gen" --target="$ADDR_A" --target-name=authd-etcd \
      --baseline="$ADDR_R" --baseline-name=authd-rocksdb --concurrency="$c" --rounds="$ROUNDS" \
      --duration="${DURATION}s" --warmup="${WARMUP}s" --mix=80:10:10 \
      --tokens-file="$OUT/tokens.tsv" --json | tee "$OUT/etcd_vs_rocksdb_c$c.txt"
  done
  stop_pid "$PID_R"
fi

if has_part cold; then
  SCALE_DIR=${BENCH_SCALE_CACHE-/tmp/authd-bench-scale-$SCALE_TOKENS}
  SCALE_DIR=${SCALE_DIR:-$OUT/data-scale}
  if [ -f "$SCALE_DIR.seeded" ]; then
    section "cold: reusing the store seeded with $SCALE_TOKENS tokens in $SCALE_DIR"
  else
    section "cold: seed $SCALE_TOKENS tokens (2 permissions each) offline"
    rm -rf "$SCALE_DIR"
    run "$BIN/bench/seed_store" --data-dir="$SCALE_DIR" --count="$SCALE_TOKENS" \
      --permissions=2 --tokens-out="$OUT/tokens-scale.tsv"
    touch "$SCALE_DIR.seeded"
  fi
  section "cold: the seeded store into etcd as a snapshot under /scale/"
  t0=$(date +%s%N)
  run "$BIN/bench/seed_etcd_snapshot" --data-dir="$(readlink -f "$SCALE_DIR/current")" \
    --etcd-endpoints="$ENDPOINTS" --etcd-prefix=/scale/ | tee "$OUT/cold_seed.txt"
  echo "seeding took $((($(date +%s%N) - t0) / 1000000)) ms"
  ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" endpoint status -w table
  section "cold: a fresh replica on /scale/ (installs the snapshot, loads the index)"
  printf '+ %s\n' "\$BIN/services/authd --listen=127.0.0.1:0 --data-dir=$OUT/data-cold --etcd-endpoints=$ENDPOINTS --etcd-prefix=/scale/ --etcd-start-timeout=600s  (timed to its 'listening on' line)"
  start_authd C "$OUT/data-cold" --etcd-endpoints="$ENDPOINTS" --etcd-prefix=/scale/ \
    --etcd-start-timeout=600s
  sleep 1
  COLD_RSS=$(rss_kb "$PID_C")
  grep -E 'installed the etcd snapshot|store open' "$OUT/authd-C.log" || true
  echo "cold start: ${START_MS_C} ms to listening, VmRSS ${COLD_RSS} kB, $SCALE_TOKENS tokens"
  echo "{\"bench\":\"etcd_cold_start\",\"tokens\":$SCALE_TOKENS,\"startup_ms\":$START_MS_C,\"rss_kb\":$COLD_RSS}" |
    tee "$OUT/cold.json"
  stop_pid "$PID_C"
fi

echo "results in $OUT"
