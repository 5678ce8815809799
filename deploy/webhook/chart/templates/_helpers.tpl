{{/* The name of every object: <release>-podgraft-webhook, or the release name when it says podgraft-webhook already. */}}
{{- define "podgraft-webhook.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "podgraft-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "podgraft-webhook.labels" -}}
{{ include "podgraft-webhook.selectorLabels" . }}
app.kubernetes.io/part-of: podgraft
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "podgraft-webhook.tlsSecret" -}}
{{- default (printf "%s-tls" (include "podgraft-webhook.fullname" .)) .Values.tls.secretName -}}
{{- end -}}
