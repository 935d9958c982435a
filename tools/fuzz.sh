#!/usr/bin/env bash
# Builds authd's libFuzzer targets (fuzz/: token, permission, event, config, http) with clang-14 and runs
# each for a bounded time, starting from a copy of its seed corpus (fuzz/corpus/<target>/ is never
# written). Usage: tools/fuzz.sh [seconds_per_target [target...]]   (default: 30 s, all four)
# Prints per target the executions, executions per second and coverage (libFuzzer's `cov`: edges of
# authd's own code; the system libraries are not instrumented). Exits non-zero when the build fails
# or any target finds a crash, a property violation, a timeout or an out-of-memory, after printing
# the reproducer's path and base64 (replay it with `<fuzzer binary> <file>`).
#
# --config=fuzz changes the C++ compiler, which invalidates Bazel's cache, so the build has its own
# output base (AUTHD_FUZZ_OUTPUT_BASE, default ~/.cache/authd-fuzz/<hash of this checkout>) and the
# main build's cache is untouched. AUTHD_FUZZ_BAZEL_STARTUP adds Bazel startup options (e.g. a
# --bazelrc). The fuzz Bazel server is shut down before the fuzzers run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

usage() {
  echo "usage: tools/fuzz.sh [seconds_per_target [token|permission|event|config|http ...]]" >&2
  exit 2
}
secs="${1:-30}"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || usage
shift $(($# > 0 ? 1 : 0))
targets=(token permission event config http)
if [ $# -gt 0 ]; then
  for t in "$@"; do [[ " ${targets[*]} " == *" $t "* ]] || usage; done
  targets=("$@")
fi
if ! command -v clang-14 >/dev/null; then
  echo "fuzz: clang-14 is missing; run tools/install_deps.sh" >&2
  exit 1
fi

cache_root="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}"
output_base="${AUTHD_FUZZ_OUTPUT_BASE:-$cache_root/authd-fuzz/$(pwd -P | md5sum | cut -c1-16)}"
# shellcheck disable=SC2206  # startup options are words
startup=(--output_base="$output_base" ${AUTHD_FUZZ_BAZEL_STARTUP:-})
bazel_fuzz() { tools/bazel.sh "${startup[@]}" "$@"; }

# No bazel-* symlinks (they would point the checkout's bazel-bin at this output base).
flags=(--config=fuzz --symlink_prefix=/)
labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:${t}_fuzzer"); done

build_start=$SECONDS
echo "=== fuzz: building ${labels[*]} (output base $output_base)"
bazel_fuzz build "${flags[@]}" "${labels[@]}" 2>&1 | grep -v '^\(Loading\|Analyzing\|\[\)'
build_rc=${PIPESTATUS[0]}
bin="$(bazel_fuzz info "${flags[@]}" bazel-bin 2>/dev/null)"
bazel_fuzz shutdown >/dev/null 2>&1 || true
if [ "$build_rc" -ne 0 ] || [ -z "$bin" ]; then
  echo "fuzz: build failed (exit $build_rc)"
  exit 1
fi
echo "fuzz: build took $((SECONDS - build_start)) s; binaries in $bin/fuzz/"

if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

work="$(mktemp -d "${TMPDIR:-/tmp}/authd-fuzz.XXXXXX")"
failed=()
printf '%-11s %12s %9s %7s %8s %14s  %s\n' target execs exec/s cov features corpus result
for t in "${targets[@]}"; do
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp fuzz/corpus/"$t"/* "$dir/corpus/"
  seeds=$(find "$dir/corpus" -type f | wc -l)
  # -timeout: one input may take at most 10 s; -rss_limit_mb: the whole process 2 GiB.
  dict=()
  if [ -f "fuzz/$t.dict" ]; then dict=(-dict="fuzz/$t.dict"); fi
  "$bin/fuzz/${t}_fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    "${dict[@]}" -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" \
    >"$dir/log" 2>&1
  rc=$?
  final_stat() { sed -n "s/^stat::$1: *//p" "$dir/log" | tail -n 1; }
  last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  result=ok
  artifacts=$(find "$dir/artifacts" -type f | sort)
  if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
    result="FAILED (exit $rc)"
    failed+=("$t")
  fi
  printf '%-11s %12s %9s %7s %8s %14s  %s\n' "$t" "$(final_stat number_of_executed_units)" \
    "$(final_stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "$seeds -> $corpus" "$result"
done

status=0
for t in "${failed[@]}"; do
  dir="$work/$t"
  echo
  echo "=== fuzz: $t failed; the end of its log ($dir/log):"
  tail -n 60 "$dir/log"
  for f in $(find "$dir/artifacts" -type f | sort); do
    echo "--- reproducer: $f ($(stat -c %s "$f") bytes); replay: $bin/fuzz/${t}_fuzzer $f"
    head -c 4096 "$f" | base64 -w 100
  done
  status=1
done
if [ "$status" -eq 0 ]; then
  rm -rf "$work"
else
  echo "fuzz: logs and reproducers kept in $work"
fi
exit "$status"
