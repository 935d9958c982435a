#!/usr/bin/env bash
# deploy/docker/Dockerfile, without a Docker engine: npm dockerfile-utils lints it (and is shown to
# catch a broken file), and its structure keeps the issue's promises: a Bazel build stage on
# Debian bookworm building authd and authctl, a bookworm-slim runtime stage, a numeric non-root
# USER, authd as the ENTRYPOINT, state only under the /data volume, and no AUTHD_* variables
# baked in (they would override the chart's config file). Fails loudly when a tool is missing.
set -uo pipefail
HERE="$TEST_SRCDIR/authd/tests/deploy"
source "$HERE/case_lib.sh"
LINT="${AUTHD_TOOLS:+$AUTHD_TOOLS/node_modules/.bin/dockerfile-utils}"
need_tool dockerfile-utils "$LINT"
need_tool node "$(command -v node || true)"

DOCKERFILE="$TEST_SRCDIR/authd/deploy/docker/Dockerfile"
IGNORE="$TEST_SRCDIR/authd/deploy/docker/Dockerfile.dockerignore"
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/dockerfile.XXXXXX")

lint_clean() {  # lint_clean FILE: dockerfile-utils reports no problem at all (errors or warnings)
  local out
  out=$("$LINT" lint --json "$1") || { echo "$out"; return 1; }
  [ "$(tr -d ' \n' <<<"$out")" = "[]" ] || { echo "$out"; return 1; }
}
run_case "dockerfile-utils lint: no problems" lint_clean "$DOCKERFILE"
printf 'FROM debian:bookworm-slim\nRUNN true\nUSER\n' >"$work/Dockerfile.broken"
expect_fail "dockerfile-utils catches a broken Dockerfile" "Unknown instruction: RUNN" \
  "$LINT" lint "$work/Dockerfile.broken"

# Logical lines (continuations joined, comments dropped, blanks squeezed), split into stages.
awk '/^[[:space:]]*#/ {next} { if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }' \
  "$DOCKERFILE" | sed 's/[[:space:]]\+/ /g; s/ $//' >"$work/lines"
stages=$(grep -ci '^FROM ' "$work/lines")
awk -v n="$stages" 'toupper($1) == "FROM" {s++} s == 1 {print >"'"$work"'/build"} s == n {print >"'"$work"'/runtime"}' \
  "$work/lines"
BUILD="$work/build" RUNTIME="$work/runtime"

has() {  # has FILE REGEX: some line of FILE matches REGEX
  grep -qE -- "$2" "$1" || { echo "no line of the stage matches /$2/:"; cat "$1"; return 1; }
}
last() {  # last FILE INSTRUCTION REGEX: the last INSTRUCTION line of FILE matches REGEX
  local line; line=$(grep -E "^$2 " "$1" | tail -n 1)
  grep -qE -- "$3" <<<"$line" || { echo "last $2 is '$line', want /$3/"; return 1; }
}
hasnt() { ! grep -E -- "$2" "$1"; }

run_case "two stages" test "$stages" -eq 2
run_case "build stage: Debian bookworm" has "$BUILD" '^FROM debian:bookworm AS build$'
run_case "build stage: Bazel from Debian" has "$BUILD" 'apt-get install .*bazel-bootstrap'
run_case "build stage: builds //services:authd and //cli:authctl" \
  has "$BUILD" 'bazel .*build .*//services:authd //cli:authctl'
run_case "build stage: copies both binaries out of bazel-bin" \
  has "$BUILD" 'cp -L bazel-bin/services/authd bazel-bin/cli/authctl /out/'
run_case "runtime stage: bookworm-slim" has "$RUNTIME" '^FROM debian:bookworm-slim$'
run_case "runtime stage: authd and authctl copied in" \
  has "$RUNTIME" '^COPY --from=build /out/authd /out/authctl /usr/local/bin/$'
run_case "runtime stage: numeric non-root USER" last "$RUNTIME" USER '^USER [1-9][0-9]*:[1-9][0-9]*$'
run_case "runtime stage: ENTRYPOINT is authd (exec form)" \
  last "$RUNTIME" ENTRYPOINT '^ENTRYPOINT \["/usr/local/bin/authd"\]$'
run_case "runtime stage: state only under the /data volume" has "$RUNTIME" '^VOLUME \["/data"\]$'
run_case "runtime stage: /data owned by the image user" has "$RUNTIME" 'chown 65532:65532 /data'
run_case "runtime stage: CMD listens on all interfaces (gRPC and InfluxDB's HTTP API), data on the volume" \
  last "$RUNTIME" CMD '"--listen=0.0.0.0:50051", "--http-listen=0.0.0.0:8086", "--data-dir=/data"'
run_case "runtime stage: no AUTHD_* variables baked in" hasnt "$RUNTIME" '^(ENV|ARG) .*AUTHD_'
run_case "runtime stage: no compilers, -dev packages or Bazel" \
  hasnt "$RUNTIME" 'install .*(-dev( |$)|g\+\+|gcc |bazel)'
run_case ".dockerignore keeps Bazel's trees, .git and .tools out of the context" \
  bash -c "grep -qx 'bazel-\*' '$IGNORE' && grep -qx '.git' '$IGNORE' && grep -qx '.tools' '$IGNORE'"

finish
