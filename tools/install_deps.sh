#!/usr/bin/env bash
# Installs what building and testing authd needs on Debian 12, skipping what is already there:
# Debian packages (Bazel 4.2.3 from bazel-bootstrap, gRPC, Protobuf, Abseil, RocksDB, libargon2,
# OpenSSL, GoogleTest, Benchmark, CLI11, jq, Node.js/npm) and, from npm, `buf` (grpcurl's peer) into
# ./.tools. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  bazel-bootstrap g++ git python3 jq ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  librocksdb-dev libargon2-dev libabsl-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libyaml-cpp-dev
  nodejs npm
)

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  # node/npm may come from elsewhere (e.g. a newer Node.js on PATH): accept the commands.
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install_deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# buf (npm @bufbuild/buf) plays grpcurl: reflection-based calls from the shell and in tests.
if [ ! -x .tools/node_modules/.bin/buf ]; then
  echo "install_deps: installing @bufbuild/buf into .tools/" >&2
  mkdir -p .tools
  (cd .tools && npm install --silent --no-audit --no-fund --prefix . @bufbuild/buf@1 >/dev/null)
fi
.tools/node_modules/.bin/buf --version >/dev/null
