{{/* Names, labels and small shared fragments. */}}

{{- define "authd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: <release>-authd, or the release name when it already contains the chart name.
Truncated to 52 characters so that StatefulSet pod names and controller-revision-hash labels
(name + "-" + 10-character hash) stay within the 63-character label limit.
*/}}
{{- define "authd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "authd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "authd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "authd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The authd server pods: the selector of the StatefulSet, the Services, the PodDisruptionBudget and
the NetworkPolicy. The component label keeps the helm test and data helper pods out of all four.
*/}}
{{- define "authd.serverSelectorLabels" -}}
{{ include "authd.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "authd.labels" -}}
helm.sh/chart: {{ include "authd.chart" . }}
{{ include "authd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "authd.headlessServiceName" -}}
{{- printf "%s-headless" (include "authd.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "authd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "authd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the bootstrap password and operator token. */}}
{{- define "authd.bootstrapSecretName" -}}
{{- if .Values.bootstrap.existingSecret }}
{{- .Values.bootstrap.existingSecret }}
{{- else }}
{{- printf "%s-bootstrap" (include "authd.fullname" .) }}
{{- end }}
{{- end }}

{{- define "authd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* authd's data dir: a directory on the data volume (not its root, which may hold lost+found). */}}
{{- define "authd.dataDir" -}}
{{- printf "%s/authd" (trimSuffix "/" .Values.persistence.mountPath) }}
{{- end }}

{{/* The PVC name the StatefulSet's pod 0 uses (volumeClaimTemplate "data"), or existingClaim. */}}
{{- define "authd.dataClaimName" -}}
{{- if .Values.persistence.existingClaim }}
{{- .Values.persistence.existingClaim }}
{{- else }}
{{- printf "data-%s-0" (include "authd.fullname" .) }}
{{- end }}
{{- end }}

{{/* "true" when authd keeps its event log in etcd (an existing cluster or the bundled one), else "". */}}
{{- define "authd.etcdEnabled" -}}
{{- if or .Values.etcd.endpoints .Values.etcd.bundled.enabled }}true{{ end }}
{{- end }}

{{/*
The bundled etcd's name: <fullname>-etcd, the full name cut to 47 characters first so that the
member pods' controller-revision-hash labels (name + "-" + 10 characters) stay within 63.
*/}}
{{- define "authd.etcdFullname" -}}
{{- printf "%s-etcd" (include "authd.fullname" . | trunc 47 | trimSuffix "-") }}
{{- end }}

{{- define "authd.etcdHeadlessServiceName" -}}
{{- printf "%s-headless" (include "authd.etcdFullname" .) }}
{{- end }}

{{/* The bundled etcd's members: the selector of its StatefulSet, Service, PDB and NetworkPolicy. */}}
{{- define "authd.etcdSelectorLabels" -}}
{{ include "authd.selectorLabels" . }}
app.kubernetes.io/component: etcd
{{- end }}

{{- define "authd.etcdImage" -}}
{{- $image := .Values.etcd.bundled.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository $image.tag }}
{{- end }}
{{- end }}

{{/* Member i's stable DNS name through the headless Service: <etcd>-<i>.<headless>.<namespace>.svc */}}
{{- define "authd.etcdMemberHost" -}}
{{- printf "%s-%d.%s.%s.svc" (include "authd.etcdFullname" .root) (int .index) (include "authd.etcdHeadlessServiceName" .root) .root.Release.Namespace }}
{{- end }}

{{/*
authd's --etcd-endpoints: the bundled members' client URLs, or etcd.endpoints, comma-separated.
The same string for every replica (they must all name the same cluster).
*/}}
{{- define "authd.etcdEndpoints" -}}
{{- if .Values.etcd.bundled.enabled }}
{{- $urls := list }}
{{- range $i := until 3 }}
{{- $urls = append $urls (printf "http://%s:2379" (include "authd.etcdMemberHost" (dict "root" $ "index" $i))) }}
{{- end }}
{{- join "," $urls }}
{{- else }}
{{- join "," .Values.etcd.endpoints }}
{{- end }}
{{- end }}

{{/* The TCP ports of the etcd endpoints (for the NetworkPolicy's egress), one per line. */}}
{{- define "authd.etcdPorts" -}}
{{- if .Values.etcd.bundled.enabled }}
2379
{{- else }}
{{- $ports := list }}
{{- range .Values.etcd.endpoints }}
{{- $ports = append $ports (regexFind "[0-9]+$" .) }}
{{- end }}
{{- join "\n" (uniq $ports) }}
{{- end }}
{{- end }}

{{/* Where the etcd TLS Secret's keys are mounted in the authd container. */}}
{{- define "authd.etcdTlsDir" -}}
/etc/authd-etcd-tls
{{- end }}

{{/*
A podAntiAffinity body from a {type: soft|hard, topologyKey} setting, for the pods carrying
`labels` (a YAML string of matchLabels): soft prefers other nodes, hard requires them.
*/}}
{{- define "authd.podAntiAffinity" -}}
{{- if eq .settings.type "hard" -}}
requiredDuringSchedulingIgnoredDuringExecution:
  - topologyKey: {{ .settings.topologyKey }}
    labelSelector:
      matchLabels:
        {{- .labels | nindent 8 }}
{{- else -}}
preferredDuringSchedulingIgnoredDuringExecution:
  - weight: 100
    podAffinityTerm:
      topologyKey: {{ .settings.topologyKey }}
      labelSelector:
        matchLabels:
          {{- .labels | nindent 10 }}
{{- end }}
{{- end }}

{{/* Checks that combinations of values make sense; the schema checks each value alone. */}}
{{/* The ConfigMap key holding the ext_authz route table, and where authd reads it (the config
mount, /etc/authd, as the StatefulSet mounts it). */}}
{{- define "authd.extAuthzRoutesKey" -}}
ext-authz-routes.yaml
{{- end }}

{{- define "authd.extAuthzRoutesFile" -}}
{{- printf "/etc/authd/%s" (include "authd.extAuthzRoutesKey" .) }}
{{- end }}

{{- define "authd.validate" -}}
{{- if and .Values.dataHelper.enabled (ne (int .Values.replicaCount) 0) }}
{{- fail "dataHelper.enabled needs replicaCount: 0 (authd must not run while the data volume is copied)" }}
{{- end }}
{{- if and .Values.dataHelper.enabled (not .Values.persistence.enabled) }}
{{- fail "dataHelper.enabled needs persistence.enabled (there is no volume to copy otherwise)" }}
{{- end }}
{{- if and .Values.persistence.existingClaim (gt (int .Values.replicaCount) 1) }}
{{- fail "persistence.existingClaim is one volume, and every replica needs its own: leave it empty with replicaCount above 1 (a PVC per replica)" }}
{{- end }}
{{- if .Values.http.enabled }}
{{- if eq (int .Values.http.containerPort) (int .Values.containerPort) }}
{{- fail (printf "http.containerPort %d is containerPort (gRPC) too: give the HTTP API a port of its own" (int .Values.http.containerPort)) }}
{{- end }}
{{- if eq (int .Values.http.servicePort) (int .Values.service.port) }}
{{- fail (printf "http.servicePort %d is service.port (gRPC) too: give the HTTP API a Service port of its own" (int .Values.http.servicePort)) }}
{{- end }}
{{- end }}
{{- $etcd := .Values.etcd }}
{{- if and $etcd.endpoints $etcd.bundled.enabled }}
{{- fail "etcd.endpoints and etcd.bundled.enabled: choose one (an existing cluster, or the bundled one)" }}
{{- end }}
{{- if or $etcd.auth.username $etcd.auth.existingSecret $etcd.tls.existingSecret }}
{{- if $etcd.bundled.enabled }}
{{- fail "etcd.auth and etcd.tls are for an existing cluster (etcd.endpoints): the bundled etcd has no users and no TLS" }}
{{- end }}
{{- if not $etcd.endpoints }}
{{- fail "etcd.auth and etcd.tls need etcd.endpoints (they say how to reach an existing cluster)" }}
{{- end }}
{{- end }}
{{- if and $etcd.auth.username (not $etcd.auth.existingSecret) }}
{{- fail "etcd.auth.username needs etcd.auth.existingSecret: the password comes from a Secret (env AUTHD_ETCD_PASSWORD), never from values or the ConfigMap" }}
{{- end }}
{{- if and $etcd.auth.existingSecret (not $etcd.auth.username) }}
{{- fail "etcd.auth.existingSecret needs etcd.auth.username (authd takes a user and its password together)" }}
{{- end }}
{{- if $etcd.tls.existingSecret }}
{{- $keys := $etcd.tls.secretKeys }}
{{- if ne (empty $keys.cert) (empty $keys.key) }}
{{- fail "etcd.tls.secretKeys.cert and etcd.tls.secretKeys.key: give both (client certificate) or neither" }}
{{- end }}
{{- if and (empty $keys.ca) (empty $keys.cert) }}
{{- fail "etcd.tls.existingSecret: set etcd.tls.secretKeys.ca, or cert and key (there is nothing to mount otherwise)" }}
{{- end }}
{{- range $etcd.endpoints }}
{{- if not (hasPrefix "https://" .) }}
{{- fail (printf "etcd.tls needs https:// endpoints, and %s is not one" .) }}
{{- end }}
{{- end }}
{{- end }}
{{- /* A route table given as a string (--set-file) is YAML the schema cannot see into: check that
       it is a version 1 table here, so a wrong file fails the install, not the pod's start. */}}
{{- $routes := .Values.extAuthz.routes }}
{{- if and $routes (kindIs "string" $routes) }}
{{- $table := fromYaml $routes }}
{{- if hasKey $table "Error" }}
{{- fail (printf "extAuthz.routes: not a YAML mapping (%s)" $table.Error) }}
{{- end }}
{{- if not (eq (toString $table.version) "1") }}
{{- fail "extAuthz.routes: want a route table with version: 1 (docs/envoy.md)" }}
{{- end }}
{{- if not (kindIs "slice" $table.routes) }}
{{- fail "extAuthz.routes: want a list of routes under routes: (docs/envoy.md)" }}
{{- end }}
{{- end }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if and $pdb.enabled (gt (int .Values.replicaCount) 1) (hasKey $pdb "minAvailable") (not (kindIs "string" $pdb.minAvailable)) }}
{{- if ge (int $pdb.minAvailable) (int .Values.replicaCount) }}
{{- fail (printf "podDisruptionBudget.minAvailable %d with replicaCount %d blocks every voluntary eviction (node drains hang): set it below replicaCount, or use maxUnavailable" (int $pdb.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
{{- end }}
