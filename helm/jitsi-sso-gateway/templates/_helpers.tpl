{{/* vim: set filetype=mustache: */}}

{{- define "jsg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jsg.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jsg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jsg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jsg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "jsg.labels" -}}
helm.sh/chart: {{ include "jsg.chart" . }}
app.kubernetes.io/name: {{ include "jsg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jitsi-sso-gateway
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "jsg.redis.fullname" -}}
{{- printf "%s-redis" (include "jsg.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jsg.redis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jsg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "jsg.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jsg.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "jsg.secretName" -}}
{{- printf "%s-secrets" (include "jsg.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jsg.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The path of config.publicUrl without a trailing slash ("" for the root). */}}
{{- define "jsg.basePath" -}}
{{- $url := urlParse (required "config.publicUrl is required: the gateway's public base URL, e.g. https://meet.example.com/sso" .Values.config.publicUrl) -}}
{{- $url.path | trimSuffix "/" -}}
{{- end -}}

{{- define "jsg.publicUrl" -}}
{{- .Values.config.publicUrl | trimSuffix "/" -}}
{{- end -}}

{{/* In-cluster base URL of the gateway, including the path of publicUrl. */}}
{{- define "jsg.internalUrl" -}}
{{- if .Values.sidecar.enabled -}}
{{- default (include "jsg.publicUrl" .) .Values.sidecar.internalUrl | trimSuffix "/" -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%v%s" (include "jsg.fullname" .) .Release.Namespace .Values.service.port (include "jsg.basePath" .) -}}
{{- end -}}
{{- end -}}

{{/*
Walks the gateway config (a deep copy) and moves secrets out of it.

Arguments (a dict): node (map or list), path (dotted path so far), mountPath, secrets (dict
key -> value, filled in), refs (dict key -> path, filled in with keys of existingSecret).

- <field>: <value>        (field in the secret fields) -> secrets[<path>] = value,
                             <field>File: <mountPath>/<path>
- <field>SecretKey: <key>  -> <field>File: <mountPath>/<key>, refs[<key>] = <path>
- everything else is walked recursively; list items are named by kid, name or index.
*/}}
{{- define "jsg.walkSecrets" -}}
{{- $secretFields := list "secret" "clientSecret" "password" "privateKey" "secretHash" "cookieSecret" -}}
{{- $node := .node -}}
{{- if kindIs "map" $node -}}
  {{- range $k := keys $node | sortAlpha -}}
    {{- $v := index $node $k -}}
    {{- $here := ternary $k (printf "%s.%s" $.path $k) (eq $.path "") -}}
    {{- $base := trimSuffix "SecretKey" $k -}}
    {{- if has $k $secretFields -}}
      {{- if kindIs "invalid" $v -}}
        {{- $_ := unset $node $k -}}
      {{- else if or (kindIs "map" $v) (kindIs "slice" $v) -}}
        {{- fail (printf "config.%s must be a string (a secret value), not a map or list" $here) -}}
      {{- else if eq (toString $v) "" -}}
        {{- fail (printf "config.%s is empty: give the secret, use %sSecretKey with existingSecret, or remove it" $here $k) -}}
      {{- else -}}
        {{- $key := regexReplaceAll "[^-._a-zA-Z0-9]" $here "_" -}}
        {{- if hasKey $node (printf "%sFile" $k) -}}
          {{- fail (printf "config.%s and config.%sFile are both set; set only one" $here $here) -}}
        {{- end -}}
        {{- $_ := set $.secrets $key (toString $v) -}}
        {{- $_ := unset $node $k -}}
        {{- $_ := set $node (printf "%sFile" $k) (printf "%s/%s" $.mountPath $key) -}}
      {{- end -}}
    {{- else if and (hasSuffix "SecretKey" $k) (has $base $secretFields) -}}
      {{- if not (kindIs "string" $v) -}}
        {{- fail (printf "config.%s must be the name of a key in existingSecret" $here) -}}
      {{- end -}}
      {{- if not (regexMatch "^[-._a-zA-Z0-9]+$" $v) -}}
        {{- fail (printf "config.%s: %q is not a valid Secret key (letters, digits, - _ .)" $here $v) -}}
      {{- end -}}
      {{- if or (hasKey $node $base) (hasKey $node (printf "%sFile" $base)) -}}
        {{- fail (printf "config.%s is set together with %s or %sFile; set only one" $here $base $base) -}}
      {{- end -}}
      {{- $_ := set $.refs $v $here -}}
      {{- $_ := unset $node $k -}}
      {{- $_ := set $node (printf "%sFile" $base) (printf "%s/%s" $.mountPath $v) -}}
    {{- else if or (kindIs "map" $v) (kindIs "slice" $v) -}}
      {{- include "jsg.walkSecrets" (dict "node" $v "path" $here "mountPath" $.mountPath "secrets" $.secrets "refs" $.refs) -}}
    {{- end -}}
  {{- end -}}
{{- else if kindIs "slice" $node -}}
  {{- range $i, $item := $node -}}
    {{- $name := toString $i -}}
    {{- if kindIs "map" $item -}}
      {{- if and (hasKey $item "kid") (not (kindIs "invalid" $item.kid)) -}}
        {{- $name = toString $item.kid -}}
      {{- else if and (hasKey $item "name") (kindIs "string" $item.name) -}}
        {{- $name = $item.name -}}
      {{- end -}}
    {{- end -}}
    {{- if or (kindIs "map" $item) (kindIs "slice" $item) -}}
      {{- include "jsg.walkSecrets" (dict "node" $item "path" (printf "%s.%s" $.path $name) "mountPath" $.mountPath "secrets" $.secrets "refs" $.refs) -}}
    {{- end -}}
  {{- end -}}
{{- end -}}
{{- end -}}

{{/*
The gateway config as rendered into the ConfigMap, plus the secrets moved out of it, as YAML:
  config: {...}     secrets: {key: value}     refs: {existingSecret key: config path}
Also runs the chart's consistency checks (fail with a clear message).
*/}}
{{- define "jsg.build" -}}
{{- $cfg := deepCopy (default dict .Values.config) -}}
{{- $_ := set $cfg "mode" "production" -}}
{{- $_ := set $cfg "publicUrl" (required "config.publicUrl is required: the gateway's public base URL, e.g. https://meet.example.com/sso" $cfg.publicUrl) -}}
{{- if not (regexMatch "^https?://[^/?#]+(/[^?#]*)?$" $cfg.publicUrl) -}}
{{- fail (printf "config.publicUrl %q must be an absolute http(s) URL without query or fragment, e.g. https://meet.example.com/sso" $cfg.publicUrl) -}}
{{- end -}}
{{- if and .Values.sidecar.enabled (eq (include "jsg.basePath" .) "") -}}
{{- fail (printf "sidecar.enabled: config.publicUrl %q has no path; in sidecar mode the gateway shares Jitsi's origin and needs its own path, e.g. https://meet.example.com/sso" $cfg.publicUrl) -}}
{{- end -}}
{{- $server := default dict $cfg.server -}}
{{- $_ := set $server "port" (int .Values.containerPort) -}}
{{- $_ := set $cfg "server" $server -}}
{{- $store := default dict $cfg.store -}}
{{- if .Values.redis.bundled.enabled -}}
  {{- $redis := default dict $store.redis -}}
  {{- range $k := list "url" "sentinel" "cluster" -}}
    {{- if hasKey $redis $k -}}
      {{- fail (printf "redis.bundled.enabled is true and config.store.redis.%s is set: use one Redis, not both" $k) -}}
    {{- end -}}
  {{- end -}}
  {{- range $k := list "password" "passwordSecretKey" "passwordFile" "username" "tls" -}}
    {{- if hasKey $redis $k -}}
      {{- fail (printf "redis.bundled.enabled is true and config.store.redis.%s is set: the bundled Redis (trials only) has no password or TLS" $k) -}}
    {{- end -}}
  {{- end -}}
  {{- $redisName := include "jsg.redis.fullname" . -}}
  {{- if and .Values.sidecar.enabled (or (eq $redisName "jsg") (hasPrefix "jsg-" $redisName)) -}}
    {{- fail (printf "sidecar.enabled with redis.bundled.enabled: the Redis Service would be named %q, and Kubernetes would give the Jitsi web pod variables JSG_..._PORT that the gateway reads as config overrides. Use another release name or fullnameOverride." $redisName) -}}
  {{- end -}}
  {{- $_ := set $redis "url" (printf "redis://%s:6379" $redisName) -}}
  {{- $_ := set $store "kind" "redis" -}}
  {{- $_ := set $store "redis" $redis -}}
{{- end -}}
{{- $kind := default "memory" $store.kind -}}
{{- if and (eq $kind "memory") (or (gt (int .Values.replicaCount) 1) .Values.autoscaling.enabled) -}}
  {{- fail (printf "config.store.kind is \"memory\", which keeps logins and sessions inside one process, so it cannot serve replicaCount=%v%s. Use config.store.kind: redis (with config.store.redis.url, .sentinel or .cluster; or redis.bundled.enabled for a trial), or set replicaCount: 1 and autoscaling.enabled: false." .Values.replicaCount (ternary " with autoscaling" "" .Values.autoscaling.enabled)) -}}
{{- end -}}
{{- if eq $kind "redis" -}}
  {{- $redis := default dict $store.redis -}}
  {{- $n := 0 -}}
  {{- range $k := list "url" "sentinel" "cluster" -}}{{- if hasKey $redis $k -}}{{- $n = add1 $n -}}{{- end -}}{{- end -}}
  {{- if ne (int $n) 1 -}}
    {{- fail "config.store.kind is \"redis\": set exactly one of config.store.redis.url, config.store.redis.sentinel or config.store.redis.cluster (or redis.bundled.enabled for a trial)" -}}
  {{- end -}}
{{- end -}}
{{- $_ := set $cfg "store" $store -}}
{{- $secrets := dict -}}
{{- $refs := dict -}}
{{- include "jsg.walkSecrets" (dict "node" $cfg "path" "" "mountPath" (.Values.secretsMountPath | trimSuffix "/") "secrets" $secrets "refs" $refs) -}}
{{- if and $refs (not .Values.existingSecret) -}}
  {{- $first := keys $refs | sortAlpha | first -}}
  {{- fail (printf "config.%s names key %q of existingSecret, but existingSecret is not set" (index $refs $first) $first) -}}
{{- end -}}
{{- range $k, $_ := $refs -}}
  {{- if hasKey $secrets $k -}}
    {{- fail (printf "Secret key %q is used both by an inline secret and by existingSecret (config.%s)" $k (index $refs $k)) -}}
  {{- end -}}
{{- end -}}
{{- toYaml (dict "config" $cfg "secrets" $secrets "refs" $refs) -}}
{{- end -}}

{{/* The gateway container, shared by the Deployment and the sidecar instructions. */}}
{{- define "jsg.container" -}}
name: jitsi-sso-gateway
image: {{ include "jsg.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args:
  - serve
  - --config
  - {{ printf "%s/config.yaml" (.Values.configMountPath | trimSuffix "/") | quote }}
  {{- range .Values.extraArgs }}
  - {{ . | quote }}
  {{- end }}
env:
  - name: JSG_CONFIG
    value: {{ printf "%s/config.yaml" (.Values.configMountPath | trimSuffix "/") | quote }}
  - name: NODE_ENV
    value: production
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
ports:
  - name: http
    containerPort: {{ .Values.containerPort }}
    protocol: TCP
{{- with .Values.livenessProbe }}
livenessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.readinessProbe }}
readinessProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.startupProbe }}
startupProbe:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.lifecycle }}
lifecycle:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: jsg-config
    mountPath: {{ .Values.configMountPath | trimSuffix "/" }}
    readOnly: true
  {{- if include "jsg.hasSecretVolume" . }}
  - name: jsg-secrets
    mountPath: {{ .Values.secretsMountPath | trimSuffix "/" }}
    readOnly: true
  {{- end }}
  - name: jsg-tmp
    mountPath: /tmp
  {{- with .Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* "true" when a secret volume is needed (inline secrets or existingSecret). */}}
{{- define "jsg.hasSecretVolume" -}}
{{- $built := include "jsg.build" . | fromYaml -}}
{{- if or $built.secrets .Values.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* The pod volumes for the gateway container. */}}
{{- define "jsg.volumes" -}}
{{- $built := include "jsg.build" . | fromYaml -}}
- name: jsg-config
  configMap:
    name: {{ include "jsg.fullname" . }}
{{- if or $built.secrets .Values.existingSecret }}
- name: jsg-secrets
  projected:
    # 0440: readable by the owner and the pod's fsGroup only.
    defaultMode: 288
    sources:
      {{- if $built.secrets }}
      - secret:
          name: {{ include "jsg.secretName" . }}
      {{- end }}
      {{- with .Values.existingSecret }}
      - secret:
          name: {{ . }}
      {{- end }}
{{- end }}
- name: jsg-tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* NOTES: where the HS secret of a target is (never its value). */}}
{{- define "jsg.notes.secretSource" -}}
{{- $file := .file | default "" -}}
{{- if not $file -}}
the target's secret (not set)
{{- else if hasPrefix (printf "%s/" .mount) $file -}}
{{- $key := trimPrefix (printf "%s/" .mount) $file -}}
{{- $secret := ternary (include "jsg.secretName" .root) .root.Values.existingSecret (hasKey .built.secrets $key) -}}
the value of key {{ $key }} of Secret {{ $secret }}
{{- else -}}
the content of {{ $file }}
{{- end -}}
{{- end -}}
