#!/usr/bin/env bash
# Runs every `buf curl` example of docs/api.md, in order, as one script against a fresh authd on
# 127.0.0.1 port 0, and checks each outcome (run_examples.sh says how), so the page cannot rot.
# Then checks the page as a whole: every method the server lists through reflection has an executed
# example; every authd.v1 method has its section with a grpcurl line and an error table; every
# grpcurl line is well-formed; every call goes to 127.0.0.1; reflection lists and describes the
# health service; no token reaches the server log.
#
# buf comes from $AUTHD_BUF (tools/test.sh passes it), PATH, or else the .tools/ of the workspace
# the runfiles' docs/api.md links to (where tools/install_deps.sh puts it), so that a plain
# `tools/bazel.sh test //tests/docs/...` finds it too. Without buf the test fails, unless
# npm's registry is unreachable (then buf cannot be installed here): only then it prints
# "SKIPPED: npm registry unreachable, buf unavailable" and passes.
set -euo pipefail
RUNFILES="${TEST_SRCDIR}/authd"
DOC="$RUNFILES/docs/api.md"
HERE="$RUNFILES/tests/docs"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

BUF="${AUTHD_BUF:-$(command -v buf || true)}"
if [ -z "$BUF" ] && [ -L "$DOC" ]; then
  workspace_buf="$(dirname "$(dirname "$(readlink -f "$DOC")")")/.tools/node_modules/.bin/buf"
  if [ -x "$workspace_buf" ]; then BUF=$workspace_buf; fi
fi
if [ -z "$BUF" ] || [ ! -x "$BUF" ]; then
  command -v npm >/dev/null ||
    fail "buf not found, and npm is not installed to tell whether it could be (run tools/install_deps.sh)"
  if timeout 20 npm ping >/dev/null 2>&1; then
    fail "buf not found although the npm registry is reachable: run tools/install_deps.sh, or set AUTHD_BUF to the buf binary"
  fi
  echo "SKIPPED: npm registry unreachable, buf unavailable"
  exit 0
fi
for tool in jq protoc base64 timeout; do
  command -v "$tool" >/dev/null || fail "$tool not found (tools/install_deps.sh installs it)"
done
[ -f "$DOC" ] || fail "docs/api.md is not in the runfiles"

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/api_docs.XXXXXX")
examples="$work/examples"
scratch="$work/scratch"
mkdir -p "$examples" "$scratch"

# --- 1. Extract the examples: a marker line, then directly its fenced block. -----------------------
re_example='^<!-- example: ([a-z0-9-]+) expect: ([a-z_]+) -->$'
re_output='^<!-- output: ([a-z0-9-]+) -->$'
declare -A file_of=()
n=0
state=text
pending=""
pending_expect=""
pending_output=""
target=""
: >"$examples/index.tsv"
: >"$work/unexecuted_bash.txt"
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case $state in
    text)
      if [[ $line =~ $re_example ]]; then
        [ -z "$pending$pending_output" ] || fail "docs/api.md:$lineno: the marker above has no block"
        pending=${BASH_REMATCH[1]}
        pending_expect=${BASH_REMATCH[2]}
        [ -z "${file_of[$pending]:-}" ] || fail "docs/api.md:$lineno: example name '$pending' used twice"
      elif [[ $line =~ $re_output ]]; then
        [ -z "$pending$pending_output" ] || fail "docs/api.md:$lineno: the marker above has no block"
        pending_output=${BASH_REMATCH[1]}
        [ -n "${file_of[$pending_output]:-}" ] ||
          fail "docs/api.md:$lineno: output for '$pending_output', which is not an earlier example"
      elif [[ $line == *'<!-- example'* || $line == *'<!-- output'* ]]; then
        fail "docs/api.md:$lineno: malformed marker: $line"
      elif [[ $line == '```bash' && -n $pending ]]; then
        n=$((n + 1))
        target=$(printf '%s/%03d' "$examples" "$n")
        file_of[$pending]=$target
        printf '%03d\t%s\t%s\n' "$n" "$pending" "$pending_expect" >>"$examples/index.tsv"
        : >"$target.sh"
        target="$target.sh"
        pending=""
        state=block
      elif [[ $line =~ ^\`\`\`(json|text)$ && -n $pending_output ]]; then
        target="${file_of[$pending_output]}.sample.${BASH_REMATCH[1]}"
        : >"$target"
        pending_output=""
        state=block
      elif [[ $line == '```'* ]]; then
        [ -z "$pending$pending_output" ] ||
          fail "docs/api.md:$lineno: a marker must be followed directly by its block"
        if [[ $line == '```bash' ]]; then state=unexecuted; else state=other; fi
      elif [ -n "$line" ] && [ -n "$pending$pending_output" ]; then
        fail "docs/api.md:$lineno: a marker must be followed directly by its block"
      fi
      ;;
    block)
      if [[ $line == '```' ]]; then state=text; else printf '%s\n' "$line" >>"$target"; fi
      ;;
    unexecuted)
      if [[ $line == '```' ]]; then state=text; else printf '%s\n' "$line" >>"$work/unexecuted_bash.txt"; fi
      ;;
    other)
      if [[ $line == '```' ]]; then state=text; fi
      ;;
  esac
done <"$DOC"
[ "$state" = text ] || fail "docs/api.md ends inside a fenced block"
[ -z "$pending$pending_output" ] || fail "docs/api.md ends with a marker that has no block"
[ "$n" -ge 50 ] || fail "only $n examples found in docs/api.md; the markers are probably broken"
head -n1 "$examples/index.tsv" | grep -q $'\tvariables\tok$' ||
  fail "the first example must be 'variables' (it sets AUTHD and CURL)"

# --- 2. Static checks of the page. ------------------------------------------------------------------
# Every URL and address on the page is the local default one.
if grep -nE '://' "$DOC" | grep -vE '^[0-9]+:([^:]|:[^/]|://127\.0\.0\.1:50051([^0-9]|$))*$'; then
  fail "docs/api.md: every call must go to http://127.0.0.1:50051 (lines above)"
fi
# Every buf command shown is executed: $CURL and $AUTHD appear only in example blocks.
if grep -nE '\$(CURL|AUTHD)' "$work/unexecuted_bash.txt"; then
  fail "docs/api.md: buf commands outside an example block are not tested (lines above)"
fi
# Each grpcurl command (continuation lines joined) is well-formed.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$work/unexecuted_bash.txt" | grep -E '^[[:space:]]*grpcurl ' \
  >"$work/grpcurl.txt" || fail "docs/api.md has no grpcurl command"
while IFS= read -r cmd; do
  [[ $cmd == *' -plaintext '* ]] || fail "grpcurl without -plaintext: $cmd"
  [[ $cmd == *' 127.0.0.1:50051 '* ]] || fail "grpcurl not addressed to 127.0.0.1:50051: $cmd"
  if [[ $cmd =~ authd\.v1\.(TenantService|AuthorizationService|AdminService)/ ||
        $cmd == *authd.v1.SessionService/SignOut* ]]; then
    [[ $cmd =~ -H\ \"authorization:\ (Token|Bearer)\ \$[A-Z_]+\" ]] ||
      fail "grpcurl call needs -H \"authorization: Token \$VAR\": $cmd"
  fi
  if [[ $cmd == *' -d '* ]]; then
    [[ $cmd =~ \ -d\ (\'\{.*\}\'|\"\{.*\}\"|@)\  ]] || fail "grpcurl -d needs one quoted JSON object or @: $cmd"
  fi
done <"$work/grpcurl.txt"

# --- 3. A fresh authd on 127.0.0.1, port 0. ---------------------------------------------------------
# Uses are written every second instead of every minute, so that the page's wait for `lastUsedAt`
# ("Last use", which allows for the default minute) ends within a second or two.
"$RUNFILES/services/authd" --listen=127.0.0.1:0 --data-dir="$work/data" --last-used-interval=1s \
  >"$work/authd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 1 300); do
  addr=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$work/authd.log" | head -n1 | cut -d' ' -f3 || true)
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$work/authd.log"; fail "authd exited at start"; }
  sleep 0.05
done
[ -n "$addr" ] || { cat "$work/authd.log"; fail "authd did not start"; }
for f in "$examples"/*.sh; do sed -i "s/127\.0\.0\.1:50051/$addr/g" "$f"; done

# What the server offers, to check the page covers it (every method of every service).
"$BUF" curl --protocol grpc --http2-prior-knowledge --list-methods "http://$addr" >"$work/methods.txt"
grep -q '^authd\.v1\.AuthorizeService/Authorize$' "$work/methods.txt" || fail "reflection lists no methods"

# --- 4. Run the examples. ---------------------------------------------------------------------------
export PATH="$(dirname "$BUF"):$PATH"
(cd "$scratch" && bash "$HERE/run_examples.sh" "$examples") || { cat "$work/authd.log" >&2; exit 1; }
ran=$(wc -l <"$examples/index.tsv")

# --- 5. Whole-page checks. --------------------------------------------------------------------------
# The output file of the example named $1.
out_of() { printf '%s/%s.out' "$examples" "$(awk -F'\t' -v n="$1" '$2 == n {print $1}' "$examples/index.tsv")"; }
for svc in authd.v1.SetupService authd.v1.SessionService authd.v1.TenantService \
  authd.v1.AuthorizationService authd.v1.AuthorizeService authd.v1.AdminService \
  grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  grep -qx "$svc" "$(out_of list-services)" || fail "reflection does not list $svc"
done
for want in 'name: "Health"' 'name: "Check"' 'name: "Watch"'; do
  grep -qF "$want" "$(out_of describe-health)" || fail "reflection does not describe grpc.health.v1.Health ($want)"
done

cat "$examples"/*.sh >"$work/executed.txt"
while IFS= read -r method; do
  grep -qF "/$method" "$work/executed.txt" || fail "no example of $method in docs/api.md"
  case $method in
    authd.v1.* | grpc.health.v1.Health/Check) ;;
    *) continue ;;
  esac
  short=${method#authd.v1.}
  short=${short#grpc.health.v1.}
  heading="### ${short/\//.}"
  grep -qxF "$heading" "$DOC" || fail "docs/api.md has no section '$heading'"
  awk -v h="$heading" '$0 == h {p = 1; next} p && /^##/ {exit} p' "$DOC" >"$work/section.md"
  grep -qF "\$AUTHD/$method" "$work/section.md" || fail "section '$heading' has no buf example of $method"
  grep -qE "^[[:space:]]*(grpcurl .*)?127\.0\.0\.1:50051 $method( |$)" "$work/section.md" ||
    fail "section '$heading' has no grpcurl command for $method"
  grep -qE '^\| code \| message \| when \|$|^Errors: only the \[authentication errors\]\(#errors\)\.$' \
    "$work/section.md" || fail "section '$heading' has no error table"
done <"$work/methods.txt"

# No token (all of them were printed by the examples) ever reaches the server log.
tokens=$(cat "$examples"/*.out "$scratch"/*.json 2>/dev/null | grep -oE 'authd_[0-9A-Za-z]{49}' | sort -u || true)
[ -n "$tokens" ] || fail "the examples printed no token: the extraction is broken"
while IFS= read -r token; do
  if grep -qF "$token" "$work/authd.log"; then fail "a token reached the server log"; fi
done <<<"$tokens"

echo "PASS: $ran examples of docs/api.md ran against a real authd; $(wc -l <"$work/methods.txt") methods covered"
