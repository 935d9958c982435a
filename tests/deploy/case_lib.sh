# shellcheck shell=bash
# Sourced by the sh_tests in this directory: named test cases, each reported on its own line and
# written to Bazel's test.xml (XML_OUTPUT_FILE) so tools/test.sh counts cases, not targets.
#   run_case NAME COMMAND [ARGS...]   runs COMMAND; passes when it exits 0 (its output is kept)
#   expect_fail NAME PATTERN COMMAND [ARGS...]
#                                     passes when COMMAND exits non-zero AND prints PATTERN (fixed)
#   finish                            writes test.xml; exits 1 if any case failed
#   need_tool NAME PATH               fails the whole test, loudly, when PATH is not executable
_cases=()      # "name<TAB>status<TAB>output file"
_case_dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cases.XXXXXX")
_case_n=0

need_tool() {
  if [ -z "$2" ] || [ ! -x "$2" ]; then
    echo "FAIL: $1 not found at '${2}'. Run tools/install_deps.sh; tools/test.sh passes" \
         "--test_env=AUTHD_TOOLS=\$PWD/.tools (npm tools) and Debian tools come from apt." >&2
    exit 1
  fi
}

_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
_started=$(_now_ms)

_record() {  # name status outfile (the case's time is from the previous record to now)
  _cases+=("$1"$'\t'"$2"$'\t'"$3")
  local now; now=$(_now_ms)
  if [ "$2" = pass ]; then
    echo "ok   $1 ($((now - _started)) ms)"
  else
    echo "FAIL $1 ($((now - _started)) ms)"
    sed 's/^/     | /' "$3" | head -n 60
  fi
  _started=$(_now_ms)
}

run_case() {
  local name=$1; shift
  _case_n=$((_case_n + 1))
  local out="$_case_dir/$_case_n.out"
  if "$@" >"$out" 2>&1; then _record "$name" pass "$out"; else _record "$name" fail "$out"; fi
}

expect_fail() {
  local name=$1 pattern=$2; shift 2
  _case_n=$((_case_n + 1))
  local out="$_case_dir/$_case_n.out"
  if "$@" >"$out" 2>&1; then
    echo "expected a failure, but the command succeeded" >>"$out"
    _record "$name" fail "$out"
  elif ! grep -qF -- "$pattern" "$out"; then
    echo "expected the output to contain: $pattern" >>"$out"
    _record "$name" fail "$out"
  else
    _record "$name" pass "$out"
  fi
}

_xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

finish() {
  local failed=0 total=${#_cases[@]} suite=${TEST_TARGET:-deploy}
  local xml=${XML_OUTPUT_FILE:-$_case_dir/test.xml}
  for c in "${_cases[@]}"; do [ "$(cut -f2 <<<"$c")" = pass ] || failed=$((failed + 1)); done
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites tests=\"$total\" failures=\"$failed\">"
    echo "<testsuite name=\"$(_xml_escape <<<"$suite")\" tests=\"$total\" failures=\"$failed\">"
    for c in "${_cases[@]}"; do
      local name status out
      name=$(cut -f1 <<<"$c" | _xml_escape); status=$(cut -f2 <<<"$c"); out=$(cut -f3 <<<"$c")
      if [ "$status" = pass ]; then
        echo "<testcase name=\"$name\" classname=\"$(_xml_escape <<<"$suite")\"/>"
      else
        echo "<testcase name=\"$name\" classname=\"$(_xml_escape <<<"$suite")\"><failure message=\"failed\">"
        head -c 20000 "$out" | _xml_escape
        echo "</failure></testcase>"
      fi
    done
    echo "</testsuite></testsuites>"
  } >"$xml"
  echo "$((total - failed)) of $total cases passed"
  [ "$total" -gt 0 ] && [ "$failed" -eq 0 ]
}
