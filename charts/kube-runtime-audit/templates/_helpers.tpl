{{/* Names: the usual <release>-<chart> scheme, cut to 63 characters (DNS label). */}}
{{- define "kra.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kra.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kra.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kra.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kra.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kra.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kra.labels" -}}
{{ include "kra.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The names the program itself uses (they are not flags): the reports it writes are all named
kube-runtime-audit (one PolicyReport per namespace, one ClusterPolicyReport), and so are its Lease
and its summary ConfigMap in the pod's namespace. The RBAC below restricts updates to these names.
*/}}
{{- define "kra.objectName" -}}kube-runtime-audit{{- end -}}

{{- define "kra.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Report API groups the chart may write, from reportApi. */}}
{{- define "kra.writeWgpolicy" -}}{{ if ne .Values.reportApi "openreports" }}true{{ end }}{{- end -}}
{{- define "kra.writeOpenreports" -}}{{ if ne .Values.reportApi "wgpolicyk8s" }}true{{ end }}{{- end -}}

{{/* The flags `scan --publish` and `controller` share (they take the same flags as `scan`). */}}
{{- define "kra.auditArgs" -}}
- --fail-on={{ .Values.failOn }}
- --report-api={{ .Values.reportApi }}
- --log-format={{ .Values.logFormat }}
{{- with .Values.targetK8s }}
- --target-k8s={{ . }}
{{- end }}
{{- with .Values.targetRuntimes }}
- --target-runtime={{ join "," . }}
{{- end }}
{{- if .Values.images.enabled }}
- --registry-concurrency={{ .Values.registry.concurrency }}
- --registry-timeout={{ .Values.registry.timeoutSeconds }}
- --cache-dir=/var/cache/kube-runtime-audit
{{- range .Values.registry.insecureRegistries }}
- --insecure-registry={{ . }}
{{- end }}
{{- if not .Values.pullSecrets.enabled }}
{{- /* No get on secrets is granted: read none, rather than log a refusal per pull secret. */}}
- --no-secrets
{{- end }}
{{- else }}
- --no-images
{{- end }}
{{- if .Values.kubeletConfig.enabled }}
- --kubelet-config
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The pod spec both modes share: restricted Pod Security, no host access, an emptyDir cache. */}}
{{- define "kra.podSpec" -}}
serviceAccountName: {{ include "kra.serviceAccountName" . }}
automountServiceAccountToken: true
enableServiceLinks: false
hostNetwork: false
hostPID: false
hostIPC: false
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  # The distroless "nonroot" user (see the Dockerfile).
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: cache
    emptyDir:
      sizeLimit: {{ .Values.cacheSizeLimit }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}

{{- define "kra.containerCommon" -}}
image: {{ include "kra.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
env:
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  {{- with .Values.nodeOptions }}
  - name: NODE_OPTIONS
    value: {{ . | quote }}
  {{- end }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
securityContext:
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
resources:
  {{- toYaml .Values.resources | nindent 2 }}
volumeMounts:
  - name: cache
    mountPath: /var/cache/kube-runtime-audit
  - name: tmp
    mountPath: /tmp
{{- end -}}
