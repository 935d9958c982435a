#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start authd on its embedded
# default (RocksDB data dir ~/.authd/data, listening on 127.0.0.1:50051). Extra arguments go to authd.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/bazel.sh build -c opt //services:authd
cat <<'NEXT'

authd is starting (by default on 127.0.0.1:50051 with data in ~/.authd/data; its log line
"listening on ..." below gives the address). In another terminal:

  export PATH=$PWD/.tools/node_modules/.bin:$PATH
  buf curl --protocol grpc --http2-prior-knowledge --list-services http://127.0.0.1:50051

then follow "Quick start" in README.md (setup -> create a token -> Authorize). Ctrl-C stops authd.

NEXT
exec bazel-bin/services/authd "$@"
