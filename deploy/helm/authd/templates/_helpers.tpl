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

{{/* Checks that combinations of values make sense; the schema checks each value alone. */}}
{{- define "authd.validate" -}}
{{- if and .Values.dataHelper.enabled (ne (int .Values.replicaCount) 0) }}
{{- fail "dataHelper.enabled needs replicaCount: 0 (authd must not run while the data volume is copied)" }}
{{- end }}
{{- if and .Values.dataHelper.enabled (not .Values.persistence.enabled) }}
{{- fail "dataHelper.enabled needs persistence.enabled (there is no volume to copy otherwise)" }}
{{- end }}
{{- end }}
