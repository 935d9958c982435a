#!/usr/bin/env bash
# bench/hostile/run.sh: reproduces the 30-second hostile-network figures of docs/security.md.
# Builds authd and bench/hostile:legit_client with `-c opt`, then, for each mode and attack, runs
# bench/hostile/run_attack.py (each run printing its exact command, prefixed "+"): a fresh authd on
# 127.0.0.1 with a fresh data dir, Setup and a bucket read token through `buf curl`, legit_client
# calling Authorize every 5 ms on one long-lived channel (phases quiet 5 s, attack, after 5 s, then
# one call on a fresh channel), and h2_attack.py attacking for HOSTILE_DURATION seconds from the
# 5th second on, while authd's RSS and CPU are sampled every 100 ms. Each run appends one JSON line
# to $HOSTILE_OUT/results.jsonl (logs and samples in $HOSTILE_OUT/logs); at the end a Markdown
# table of them and the load average. Every process only ever talks to 127.0.0.1; tokens are never
# printed. About 45 s per attack and mode after the build (a --mode nofront run that ignores
# SIGTERM takes 15 s more).
#
# Knobs (environment):
#   HOSTILE_ATTACKS="rapid-reset ping-flood settings-flood continuation-flood window-update-flood
#                    zero-window slow-read idle-conns churn"   (a subset runs faster)
#   HOSTILE_MODES=front        "front nofront" measures the before/after: nofront runs authd with
#                              --http2-front=false (gRPC alone facing the attacker; its memory is
#                              guarded by HOSTILE_RSS_KILL_MB)
#   HOSTILE_DURATION=30        attack seconds
#   HOSTILE_PIN=1              authd on CPU 0, legit_client and the attacker (nice 19) on CPU 1
#   HOSTILE_OUT                results dir (default: a fresh /tmp/authd-hostile.XXXXXX)
#   HOSTILE_RSS_KILL_MB=3000   SIGKILL authd when its RSS passes this (recorded in the results)
#   HOSTILE_AUTHD_ARGS=""      extra authd flags for every run, space-separated
#                              (e.g. "--client-stall-timeout=1s")
set -euo pipefail
cd "$(dirname "$0")/../.."

ATTACKS=${HOSTILE_ATTACKS:-rapid-reset ping-flood settings-flood continuation-flood window-update-flood zero-window slow-read idle-conns churn}
MODES=${HOSTILE_MODES:-front}
DURATION=${HOSTILE_DURATION:-30}
RSS_KILL_MB=${HOSTILE_RSS_KILL_MB:-3000}
OUT=${HOSTILE_OUT:-$(mktemp -d /tmp/authd-hostile.XXXXXX)}
mkdir -p "$OUT/logs"

BIN=/opt-output-dir-not-known-yet
PIN=()
if [ "${HOSTILE_PIN:-1}" = 1 ]; then PIN=(--pin); fi
EXTRA=()
for arg in ${HOSTILE_AUTHD_ARGS:-}; do EXTRA+=(--extra-authd-arg="$arg"); done

# loadavg, section, run, machine_env
source bench/common.sh

section "dependencies (buf)"
run tools/install_deps.sh
BUF=.tools/node_modules/.bin/buf
[ -x "$BUF" ] || { echo "run.sh: $BUF missing after tools/install_deps.sh" >&2; exit 1; }

section "build (-c opt)"
run tools/bazel.sh build -c opt //services:authd //bench/hostile:legit_client
BIN=$(tools/bazel.sh info -c opt bazel-bin 2>/dev/null)
echo "BIN=$BIN"

{
  machine_env
  echo "modes: $MODES; attacks: $ATTACKS; duration: ${DURATION}s; pin: ${HOSTILE_PIN:-1}"
  echo "out: $OUT"
} | tee "$OUT/env.txt"

FAILED=()
for mode in $MODES; do
  for attack in $ATTACKS; do
    section "$mode: $attack for ${DURATION}s"
    if ! run /usr/bin/python3 bench/hostile/run_attack.py --authd "$BIN/services/authd" \
      --legit-client "$BIN/bench/hostile/legit_client" --attacker bench/hostile/h2_attack.py \
      --buf "$BUF" --attack "$attack" --mode "$mode" --duration "$DURATION" \
      --rss-kill-mb "$RSS_KILL_MB" "${PIN[@]}" "${EXTRA[@]}" --out "$OUT/logs" |
      tee "$OUT/logs/$mode-$attack.result.txt"; then
      FAILED+=("$mode/$attack")
    fi
    grep '^{' "$OUT/logs/$mode-$attack.result.txt" >>"$OUT/results.jsonl" || true
  done
done

section "summary"
run /usr/bin/python3 bench/hostile/run_attack.py --table "$OUT/results.jsonl" | tee "$OUT/table.md"
echo "results: $OUT"
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "run.sh: no measurement for ${FAILED[*]} (see $OUT/logs)" >&2
  exit 1
fi
