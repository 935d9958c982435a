#!/usr/bin/env bash
# The README's second command: install what is missing and run the whole test suite, then print
# one closing line `N passed, N failed` counted from the individual test cases (the test.xml files).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh || exit 1
BUF="$PWD/.tools/node_modules/.bin/buf"

# AUTHD_TOOLS: the npm tools (helm, kubernetes-models, dockerfile-utils) for tests/deploy.
tools/bazel.sh test //... --test_env=AUTHD_BUF="$BUF" --test_env=AUTHD_TOOLS="$PWD/.tools" "$@"
rc=$?

tools/bazel.sh query 'tests(//...) except attr(tags, manual, tests(//...))' 2>/dev/null \
  | python3 tools/count_tests.py "$(tools/bazel.sh info bazel-testlogs 2>/dev/null)" || rc=1
exit $rc
