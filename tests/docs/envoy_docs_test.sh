#!/usr/bin/env bash
# docs/envoy.md's Envoy bootstrap, read field by field against Envoy's own API .proto files
# (envoy_config_check.js says how), and the checker shown to catch a misspelt field, a wrong enum
# value and an unknown @type. Every other YAML block of the page must parse.
#
# The protos, protobufjs and yaml come from $AUTHD_TOOLS (tools/test.sh passes
# --test_env=AUTHD_TOOLS=$PWD/.tools), or else the .tools/ of the workspace that the runfiles'
# docs/envoy.md links to. A missing tool fails the test (tools/install_deps.sh installs them).
set -uo pipefail
RUNFILES="${TEST_SRCDIR}/authd"
HERE="$RUNFILES/tests/docs"
DOC="$RUNFILES/docs/envoy.md"
source "$RUNFILES/tests/deploy/case_lib.sh"

TOOLS="${AUTHD_TOOLS:-}"
if [ -z "$TOOLS" ] && [ -L "$DOC" ]; then
  TOOLS="$(dirname "$(dirname "$(readlink -f "$DOC")")")/.tools"
fi
need_tool node "$(command -v node || true)"
[ -d "$TOOLS/node_modules/@grpc/grpc-js-xds/deps/envoy-api" ] || need_tool "@grpc/grpc-js-xds" ""
[ -d "$TOOLS/node_modules/protobufjs" ] || need_tool protobufjs ""

CHECK=(node "$HERE/envoy_config_check.js" "$TOOLS")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/envoy_docs.XXXXXX")

run_case "docs/envoy.md: the Envoy bootstrap matches Envoy's protos" "${CHECK[@]}" "$DOC"

# The checker bites: one mistake at a time in a copy of the page.
mutate() {  # mutate NAME SED_EXPRESSION: a copy of the page with one change, at $work/NAME.md
  sed -e "$2" "$DOC" >"$work/$1.md"
  ! cmp -s "$DOC" "$work/$1.md" || { echo "the change $2 matched nothing"; return 1; }
}
run_case "mutant: misspelt field" mutate field 's/normalize_path: true/normalise_path: true/'
expect_fail "checker catches a misspelt field" 'no field "normalise_path"' \
  "${CHECK[@]}" "$work/field.md"
run_case "mutant: wrong enum value" mutate enum 's/transport_api_version: V3/transport_api_version: V4/'
expect_fail "checker catches a wrong enum value" '"V4" is not a value of envoy.config.core.v3.ApiVersion' \
  "${CHECK[@]}" "$work/enum.md"
run_case "mutant: unknown @type" mutate type 's/ext_authz.v3.ExtAuthz$/ext_authz.v3.ExtAuth/'
expect_fail "checker catches an unknown @type" 'is not a message of Envoy' \
  "${CHECK[@]}" "$work/type.md"
run_case "mutant: a Duration without unit seconds" mutate duration 's/timeout: 0.25s/timeout: 250ms/'
expect_fail "checker catches a malformed Duration" 'a Duration is a string' \
  "${CHECK[@]}" "$work/duration.md"

finish
