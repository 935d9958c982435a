#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start authd on its embedded
# default (RocksDB data dir ~/.authd/data, gRPC on 127.0.0.1:50051, InfluxDB's /api/v2 over HTTP on
# 127.0.0.1:8086, InfluxDB's port). Extra arguments go to authd (--http-listen= turns HTTP off).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/bazel.sh build -c opt //services:authd
cat <<'NEXT'

authd is starting (by default on 127.0.0.1:50051 with data in ~/.authd/data; its log line
"listening on ..." below gives the address). In another terminal:

  export PATH=$PWD/.tools/node_modules/.bin:$PATH
  buf curl --protocol grpc --http2-prior-knowledge --list-services http://127.0.0.1:50051

then follow "Quick start" in README.md (setup -> create a token -> Authorize). InfluxDB's
token API answers over HTTP at http://127.0.0.1:8086/api/v2 (docs/http-api.md), e.g.

  curl -s http://127.0.0.1:8086/api/v2/setup

and the API Tokens page is at http://127.0.0.1:8086/ (sign in with the setup user's password).

Ctrl-C stops authd.

NEXT
http=(--http-listen=127.0.0.1:8086)
for arg in "$@"; do
  case "$arg" in --http-listen|--http-listen=*) http=() ;; esac
done
exec bazel-bin/services/authd "${http[@]}" "$@"
