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

{{- define "jsg.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "jsg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
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

{{/*
Removes null values (at any depth, in place) from a map or list. A null in a values file is how
Helm users drop a default; Helm removes it only where the chart has a default, so the chart
drops the rest before rendering (a `preStop: null` would otherwise reach the manifest).
*/}}
{{- define "jsg.dropNulls" -}}
{{- if kindIs "map" . -}}
  {{- range $k, $v := . -}}
    {{- if kindIs "invalid" $v -}}
      {{- $_ := unset $ $k -}}
    {{- else -}}
      {{- include "jsg.dropNulls" $v -}}
    {{- end -}}
  {{- end -}}
{{- else if kindIs "slice" . -}}
  {{- range . -}}
    {{- include "jsg.dropNulls" . -}}
  {{- end -}}
{{- end -}}
{{- end -}}

{{/* toYaml of a copy of the value without nulls. */}}
{{- define "jsg.toYaml" -}}
{{- $copy := deepCopy (dict "v" .) -}}
{{- include "jsg.dropNulls" $copy -}}
{{- if hasKey $copy "v" -}}{{- toYaml $copy.v -}}{{- end -}}
{{- end -}}

{{/* The container port the probes and the ServiceMonitor use: "management", or "http" without it. */}}
{{- define "jsg.probePort" -}}
{{- if kindIs "invalid" .Values.managementPort -}}http{{- else -}}management{{- end -}}
{{- end -}}

{{/*
A probe from the values (a dict: probe, port): nulls dropped, and an httpGet on the port named
"management" goes to "http" when there is no management listener.
*/}}
{{- define "jsg.probe" -}}
{{- $probe := deepCopy (default dict .probe) -}}
{{- include "jsg.dropNulls" $probe -}}
{{- if kindIs "map" $probe.httpGet -}}
  {{- if eq (toString $probe.httpGet.port) "management" -}}
    {{- $_ := set $probe.httpGet "port" .port -}}
  {{- end -}}
{{- end -}}
{{- if $probe -}}{{- toYaml $probe -}}{{- end -}}
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
{{- include "jsg.validate" . -}}
{{- $cfg := deepCopy (default dict .Values.config) -}}
{{- include "jsg.dropNulls" $cfg -}}
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
{{- if not (kindIs "invalid" .Values.managementPort) -}}
  {{- $_ := set $server "management" (dict "port" (int .Values.managementPort)) -}}
{{- end -}}
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

{{/*
Values that would render a broken or open deployment: each refusal names the value and the fix.
(Types and required values are checked by values.schema.json before this runs.)
*/}}
{{- define "jsg.validate" -}}
{{- $v := .Values -}}
{{- $fullname := include "jsg.fullname" . -}}
{{- $derived := list -}}
{{- if $v.redis.bundled.enabled -}}{{- $derived = append $derived (list "-redis" "the bundled Redis's Deployment and Service" "redis.bundled.enabled") -}}{{- end -}}
{{- if $v.metrics.grafanaDashboard.enabled -}}{{- $derived = append $derived (list "-dashboard" "the dashboard ConfigMap" "metrics.grafanaDashboard.enabled") -}}{{- end -}}
{{- range $derived -}}
  {{- $suffix := index . 0 -}}
  {{- $limit := sub 63 (len $suffix) -}}
  {{- if gt (len $fullname) (int $limit) -}}
    {{- $name := default $.Chart.Name $v.nameOverride -}}
    {{- $fix := printf "Set fullnameOverride to at most %d characters" (int $limit) -}}
    {{- if not $v.fullnameOverride -}}
      {{- $max := ternary $limit (sub $limit (add1 (len $name))) (contains $name $.Release.Name) -}}
      {{- $fix = printf "Use a release name of at most %d characters, or set fullnameOverride (at most %d characters)" (int $max) (int $limit) -}}
    {{- end -}}
    {{- $cut := printf "%s%s" $fullname $suffix | trunc 63 | trimSuffix "-" -}}
    {{- $clash := ternary ", the gateway's own name, so one would replace the other" "" (eq $cut $fullname) -}}
    {{- fail (printf "release %q: the gateway's objects are named %q (%d characters); %s (%s) add %q, which Kubernetes' 63-character limit would cut to %q%s. %s." $.Release.Name $fullname (len $fullname) (index . 1) (index . 2) $suffix $cut $clash $fix) -}}
  {{- end -}}
{{- end -}}
{{- if and $v.networkPolicy.enabled $v.redis.bundled.enabled $v.sidecar.enabled (not $v.redis.bundled.allowFrom) -}}
  {{- fail "networkPolicy.enabled with redis.bundled.enabled in sidecar mode: redis.bundled.allowFrom is empty, so the Redis NetworkPolicy would have no \"from\" and admit every pod of the cluster. List the Jitsi web pods in redis.bundled.allowFrom, e.g. [{podSelector: {matchLabels: {app.kubernetes.io/component: web}}}]." -}}
{{- end -}}
{{- if and $v.networkPolicy.enabled $v.metrics.serviceMonitor.enabled (not $v.sidecar.enabled) (not $v.networkPolicy.managementFrom) -}}
  {{- fail "networkPolicy.enabled with metrics.serviceMonitor.enabled: networkPolicy.managementFrom is empty, so Prometheus could not scrape the management port. List Prometheus there, e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]." -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not $v.sidecar.enabled) -}}
  {{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
    {{- fail (printf "autoscaling.minReplicas (%d) is greater than autoscaling.maxReplicas (%d): the API server would reject the HorizontalPodAutoscaler. Set minReplicas at most maxReplicas." (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
  {{- end -}}
  {{- if not (or $v.autoscaling.targetCPUUtilizationPercentage $v.autoscaling.targetMemoryUtilizationPercentage) -}}
    {{- fail "autoscaling.enabled, but autoscaling.targetCPUUtilizationPercentage and targetMemoryUtilizationPercentage are both 0: the HorizontalPodAutoscaler would have an empty metrics list. Set targetCPUUtilizationPercentage (e.g. 70)." -}}
  {{- end -}}
{{- end -}}
{{- $config := default dict $v.config -}}
{{- $store := default dict $config.store -}}
{{- $redis := default dict $store.redis -}}
{{- $url := "" -}}{{- if kindIs "string" $redis.url -}}{{- $url = $redis.url -}}{{- end -}}
{{- if regexMatch "^rediss?://[^/@]*:[^/@]*@" $url -}}
  {{- fail (printf "config.store.redis.url %q carries a password, which would be written into the ConfigMap in clear. Remove it from the URL and set config.store.redis.password (the chart moves it into the Secret) or config.store.redis.passwordSecretKey (a key of existingSecret); a user name goes to config.store.redis.username." (regexReplaceAll "^(rediss?://[^/@]*:)[^/@]*@" $url "${1}****@")) -}}
{{- end -}}
{{- $server := default dict $config.server -}}
{{- if hasKey $server "management" -}}
  {{- fail "config.server.management is set by the chart from managementPort: set managementPort instead (null for no management listener)." -}}
{{- end -}}
{{- if and (not (kindIs "invalid" $v.managementPort)) (eq (int $v.managementPort) (int $v.containerPort)) -}}
  {{- fail (printf "managementPort and containerPort are both %d: the management listener needs its own port, e.g. managementPort: 9090." (int $v.containerPort)) -}}
{{- end -}}
{{- if not $v.sidecar.enabled -}}
  {{- $delay := ternary 5 (int $server.shutdownDelaySeconds) (kindIs "invalid" $server.shutdownDelaySeconds) -}}
  {{- $grace := ternary 20 (int $server.shutdownGraceSeconds) (kindIs "invalid" $server.shutdownGraceSeconds) -}}
  {{- $needed := add $delay $grace 5 -}}
  {{- if lt (int $v.terminationGracePeriodSeconds) (int $needed) -}}
    {{- fail (printf "terminationGracePeriodSeconds (%d) is less than config.server.shutdownDelaySeconds (%d) + config.server.shutdownGraceSeconds (%d) + 5 = %d: the kubelet would kill the gateway while it still drains, and requests in flight would fail. Set terminationGracePeriodSeconds to %d or more, or shorten the drain." (int $v.terminationGracePeriodSeconds) (int $delay) (int $grace) (int $needed) (int $needed)) -}}
  {{- end -}}
{{- end -}}
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
  {{- with .Values.nodeOptions }}
  - name: NODE_OPTIONS
    value: {{ . | quote }}
  {{- end }}
  {{- with .Values.extraEnv }}
  {{- include "jsg.toYaml" . | nindent 2 }}
  {{- end }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- include "jsg.toYaml" . | nindent 2 }}
{{- end }}
ports:
  - name: http
    containerPort: {{ .Values.containerPort }}
    protocol: TCP
  {{- if not (kindIs "invalid" .Values.managementPort) }}
  - name: management
    containerPort: {{ .Values.managementPort }}
    protocol: TCP
  {{- end }}
{{- $port := include "jsg.probePort" . }}
{{- with include "jsg.probe" (dict "probe" .Values.livenessProbe "port" $port) }}
livenessProbe:
  {{- . | nindent 2 }}
{{- end }}
{{- /* In the Jitsi web pod, the gateway's store must not decide whether the pod serves. */}}
{{- with include "jsg.probe" (dict "probe" (ternary .Values.sidecar.readinessProbe .Values.readinessProbe .Values.sidecar.enabled) "port" $port) }}
readinessProbe:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "jsg.probe" (dict "probe" .Values.startupProbe "port" $port) }}
startupProbe:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "jsg.toYaml" .Values.lifecycle }}
{{- if ne . "{}" }}
lifecycle:
  {{- . | nindent 2 }}
{{- end }}
{{- end }}
{{- with include "jsg.toYaml" .Values.resources }}
{{- if ne . "{}" }}
resources:
  {{- . | nindent 2 }}
{{- end }}
{{- end }}
securityContext:
  {{- include "jsg.toYaml" .Values.securityContext | nindent 2 }}
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
