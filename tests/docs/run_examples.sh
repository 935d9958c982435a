#!/usr/bin/env bash
# Runs the examples that api_docs_test.sh extracted from docs/api.md, in document order, in this one
# shell, so that the variables an example sets are seen by the next ones (as when a reader pastes the
# page into a terminal). Usage: run_examples.sh DIR, with the examples' scratch directory as the
# current directory. DIR holds index.tsv ("NNN<TAB>name<TAB>expect" per example), NNN.sh (the
# block) and, optionally, NNN.sample.json or NNN.sample.text (the sample output the page shows).
#
# expect "ok": the block is sourced with errexit and pipefail, so every command in it must succeed;
#   what it printed is kept in NNN.out and must match the sample output, if any (check_sample).
# expect "<code>" (buf's snake_case name, e.g. permission_denied): the block runs in a subshell, which
#   must fail with buf's exit status for that code (the code's number x 8) and print buf's JSON error
#   on stderr; code and message must equal the block's "# → <code>: <message>" line, after
#   expanding the $VARIABLES in it; a "<n>" in it stands for any decimal number (a log position that
#   authd's background writes, such as last-use records, may have moved on). The message "*" is for
#   the one status that is not authd's: a
#   client deadline, worded by whichever side's gRPC library notices it first (and coded canceled
#   instead of deadline_exceeded when buf's own timer fires first).
# The first failure ends the run with the example's name, block, output and stderr; exit status 1.
set -uo pipefail

examples_dir=$1
current=""
finished=0

report_failure() {
  finished=1
  echo "FAIL: example '$current': $*" >&2
  echo "--- block:" >&2
  cat "$examples_dir/$current_n.sh" >&2
  echo "--- stdout:" >&2
  cat "$examples_dir/$current_n.out" >&2 2>/dev/null || true
  echo "--- stderr:" >&2
  cat "$examples_dir/$current_n.err" >&2 2>/dev/null || true
  exit 1
}

on_exit() {
  local rc=$?
  if [ "$finished" != 1 ] && [ -n "$current" ] && [ "$rc" != 0 ]; then
    # errexit fired inside an "ok" block: say which one.
    finished=1
    report_failure "a command failed (exit status $rc)"
  fi
}
trap on_exit EXIT

# buf exits with the gRPC code's number shifted left by three bits.
code_number() {
  case $1 in
    canceled | cancelled) echo 1 ;; unknown) echo 2 ;; invalid_argument) echo 3 ;;
    deadline_exceeded) echo 4 ;; not_found) echo 5 ;; already_exists) echo 6 ;;
    permission_denied) echo 7 ;; resource_exhausted) echo 8 ;; failed_precondition) echo 9 ;;
    aborted) echo 10 ;; out_of_range) echo 11 ;; unimplemented) echo 12 ;; internal) echo 13 ;;
    unavailable) echo 14 ;; data_loss) echo 15 ;; unauthenticated) echo 16 ;;
    *) return 1 ;;
  esac
}

# Expands $NAME and ${NAME} from this shell's variables; an unset one is an error.
expand_vars() {
  local rest=$1 out="" name
  local re='^([^$]*)\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(.*)$'
  while [[ $rest =~ $re ]]; do
    out+=${BASH_REMATCH[1]}
    name=${BASH_REMATCH[2]}
    rest=${BASH_REMATCH[3]}
    if [ -z "${!name+set}" ]; then
      echo "unset variable \$$name" >&2
      return 1
    fi
    out+=${!name}
  done
  printf '%s' "$out$rest"
}

# Whether message $2 is message $1, where each "<n>" of $1 matches one or more digits.
message_matches() {
  local want=$1 got=$2 prefix digits
  while [[ $want == *"<n>"* ]]; do
    prefix=${want%%"<n>"*}
    [[ $got == "$prefix"* ]] || return 1
    got=${got#"$prefix"}
    digits=${got%%[!0-9]*}
    [ -n "$digits" ] || return 1
    got=${got#"$digits"}
    want=${want#*"<n>"}
  done
  [ "$got" = "$want" ]
}

# The fields a JSON sample shows must exist in the real output (array positions ignored), and its
# booleans and ENUM_LIKE strings must have the same values there. Both may be streams of objects.
JQ_SHAPE='def norm: map(if type == "number" then 0 else . end);
  [.[] | (paths(scalars) | norm | tojson),
         (paths(type == "boolean" or (type == "string" and test("^[A-Z][A-Z0-9_]+$"))) as $p
          | [($p | norm), getpath($p)] | tojson)] | unique'

check_sample() {
  local n=$1 out="$examples_dir/$1.out"
  if [ -f "$examples_dir/$n.sample.json" ]; then
    local want have missing
    want=$(jq -s -c "$JQ_SHAPE" "$examples_dir/$n.sample.json") ||
      report_failure "the page's sample output is not valid JSON"
    have=$(jq -s -c "$JQ_SHAPE" "$out") || report_failure "the output is not JSON, the page shows JSON"
    missing=$(jq -n -c --argjson w "$want" --argjson h "$have" '$w - $h')
    [ "$missing" = "[]" ] ||
      report_failure "the page's sample output shows what the server did not return: $missing"
  elif [ -f "$examples_dir/$n.sample.text" ]; then
    local line trimmed
    sed 's/^[[:space:]]*//;s/[[:space:]]*$//' "$out" >"$out.trimmed"
    while IFS= read -r line; do
      trimmed=$(sed 's/^[[:space:]]*//;s/[[:space:]]*$//' <<<"$line")
      [ -z "$trimmed" ] || [ "$trimmed" = "..." ] && continue
      grep -Fxq -- "$trimmed" "$out.trimmed" ||
        report_failure "the page's sample output line is not in the output: $trimmed"
    done <"$examples_dir/$n.sample.text"
  fi
}

ok_count=0
error_count=0
while IFS=$'\t' read -r current_n current expect; do
  echo "=== $current (expect $expect)"
  block="$examples_dir/$current_n.sh"
  if [ "$expect" = ok ]; then
    set -e
    # shellcheck disable=SC1090
    source "$block" >"$examples_dir/$current_n.out" 2>"$examples_dir/$current_n.err" </dev/null
    set +e
    cat "$examples_dir/$current_n.out"
    check_sample "$current_n"
    ok_count=$((ok_count + 1))
    continue
  fi

  want_number=$(code_number "$expect") || report_failure "unknown expected code '$expect'"
  expected_line=$(grep -m1 '^# → ' "$block" || true)
  [ -n "$expected_line" ] || report_failure "an error example needs a '# → $expect: <message>' line"
  expected=${expected_line#'# → '}
  [ "${expected%%: *}" = "$expect" ] ||
    report_failure "the marker says '$expect' but the block's '# →' line says '${expected%%: *}'"
  want_message=$(expand_vars "${expected#*: }") || report_failure "cannot expand the expected message"

  (
    set -e
    # shellcheck disable=SC1090
    source "$block"
  ) >"$examples_dir/$current_n.out" 2>"$examples_dir/$current_n.err" </dev/null
  rc=$?
  cat "$examples_dir/$current_n.err"
  [ "$rc" != 0 ] || report_failure "succeeded, but the page says it fails with $expect"
  got_code=$(jq -s -r 'last | .code' "$examples_dir/$current_n.err" 2>/dev/null) ||
    report_failure "exit status $rc without buf's JSON error on stderr"
  got_message=$(jq -s -r 'last | .message' "$examples_dir/$current_n.err")
  # A client deadline ("*"): when buf's own timer fires before the server's DEADLINE_EXCEEDED
  # arrives, buf reports it as canceled. Either is the deadline the page describes.
  if [ "$want_message" = "*" ] && [ "$expect" = deadline_exceeded ] && [ "$got_code" = canceled ]; then
    expect=canceled
    want_number=1
  fi
  [ "$got_code" = "$expect" ] || report_failure "failed with code $got_code, the page says $expect"
  [ "$rc" = $((want_number * 8)) ] ||
    report_failure "buf exited $rc, want $((want_number * 8)) for $expect"
  [ "$want_message" = "*" ] || message_matches "$want_message" "$got_message" ||
    report_failure "message '$got_message', the page says '$want_message'"
  error_count=$((error_count + 1))
done <"$examples_dir/index.tsv"

finished=1
echo "=== ran $((ok_count + error_count)) examples: $ok_count expected to succeed, $error_count expected to fail"
