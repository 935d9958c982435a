# bench/common.sh: helpers the bench scripts (bench/run.sh, bench/etcd_run.sh,
# bench/hostile/run.sh) source after they cd to the repository root. They expect $BIN (the -c opt
# output dir) to be set before `run` is used.

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
section() { printf '\n=== %s   [load average %s]\n' "$*" "$(loadavg)"; }
# Prints the command as it can be re-typed (with $BIN for the opt output dir), then runs it.
run() {
  local shown
  shown=$(printf '%q ' "$@")
  printf '+ %s\n' "${shown//$BIN/\$BIN}"
  "$@"
}
# The lines every bench result starts with, so runs can be compared.
machine_env() {
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel: $(uname -r)"
  echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
  echo "load average at start: $(loadavg)"
}

# BENCH_PIN=1: servers on CPU 0 (SERVER_PIN), clients on CPU 1 (CLIENT_PIN); else both empty.
set_pins() {
  SERVER_PIN=()
  CLIENT_PIN=()
  if [ "${BENCH_PIN:-0}" = 1 ]; then
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c 1)
  fi
}

# Processes a bench script started: stopped (SIGTERM, then reaped) on exit by `cleanup`, which
# each script installs with `trap cleanup EXIT`.
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
