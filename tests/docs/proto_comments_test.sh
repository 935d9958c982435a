#!/usr/bin/env bash
# Every service, rpc, message, enum, oneof, field and enum value of the public API
# (proto/authd/v1/*.proto) has a comment: on the line directly above it, or at the end of its own
# line. Admins read the API through these comments, so a new RPC or field without one fails here.
set -euo pipefail
RUNFILES="${TEST_SRCDIR}/authd"

files=("$RUNFILES"/proto/authd/v1/*.proto)
[ "${#files[@]}" -ge 7 ] || { echo "FAIL: expected the 7 authd.v1 .proto files, found ${#files[@]}"; exit 1; }

missing=0
for f in "${files[@]}"; do
  # awk prints "file:line: what" for every declaration without a comment.
  if ! awk -v file="${f#"$RUNFILES"/}" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    {
      line = trim($0)
      code = line
      sub(/[ \t]*\/\/.*$/, "", code)
      what = ""
      if (code ~ /^(service|message|enum|oneof)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/) what = code
      else if (code ~ /^rpc[ \t]/) what = code
      else if (code ~ /^((optional|repeated)[ \t]+)?[A-Za-z_.][A-Za-z0-9_.]*[ \t]+[a-z_][a-z0-9_]*[ \t]*=[ \t]*[0-9]+[ \t]*;$/) what = code
      else if (code ~ /^[A-Z][A-Z0-9_]*[ \t]*=[ \t]*[0-9]+[ \t]*;$/) what = code
      if (what != "" && prev !~ /^\/\// && line !~ /\/\//) {
        printf "%s:%d: no comment: %s\n", file, NR, what
        bad = 1
      }
      prev = line
    }
    END { exit bad }
  ' "$f"; then
    missing=1
  fi
done
if [ "$missing" != 0 ]; then
  echo "FAIL: every service, rpc, message, enum, oneof, field and enum value needs a comment (lines above)"
  exit 1
fi
echo "PASS: every declaration in ${#files[@]} authd.v1 .proto files is commented"
