#!/usr/bin/env bash
# Runs Debian's Bazel with the startup flags authd needs (an output root even when $HOME is unset).
set -euo pipefail
startup=()
if [ -z "${HOME:-}" ]; then startup+=("--output_user_root=/tmp/authd-bazel-root"); fi
exec bazel "${startup[@]}" "$@"
