{{/*
Helpers of the attestgate chart.  Other charts use attestgate.initContainer,
attestgate.volumes and attestgate.appVolumeMount to add the gate to their
pods:

  initContainers:
    {{- include "attestgate.initContainer" (dict "context" . "values" .Values.attestgate "policy" "azure-cvm") | nindent 4 }}
  volumes:
    {{- include "attestgate.volumes" (dict "context" . "values" .Values.attestgate) | nindent 4 }}

"values" is attestgate's values as the calling chart holds them (for a parent
chart with attestgate as a dependency: .Values.attestgate); every key it lacks
takes this chart's default (attestgate.defaults), and the image tag defaults
to attestgate's own version, never the calling chart's appVersion.  Without
"values" the helpers read .Values of "context" (this chart's own templates).
"policy" overrides gate.policyName.
*/}}

{{/* attestgate's own version: the default image tag, whichever chart renders the helpers. */}}
{{- define "attestgate.version" -}}0.1.0{{- end -}}

{{/* The defaults of the values the helpers read (as in values.yaml). */}}
{{- define "attestgate.defaults" -}}
image:
  repository: ghcr.io/attestgate/attestgate
  tag: ""
  pullPolicy: IfNotPresent
policies:
  configMapName: attestgate-policies
  builtin: true
  extra: {}
gate:
  policyName: azure-cvm
  platform: auto
  timeout: 2m
  keepEvidence: false
  tpm:
    access: privileged
    devicePluginResource: squat.ai/tpmrm0
  gpu:
    resource: nvidia.com/gpu
  os:
    distro: ""
    version: ""
  resources:
    requests:
      cpu: 50m
      memory: 32Mi
    limits:
      memory: 64Mi
{{- end -}}

{{/* Fills the keys dst lacks from src, recursing into maps; a false or empty value that is set stays set. */}}
{{- define "attestgate.fill" -}}
{{- $dst := .dst -}}
{{- range $k, $d := .src -}}
{{- if not (hasKey $dst $k) -}}
{{- $_ := set $dst $k (deepCopy $d) -}}
{{- else if and (kindIs "map" $d) (kindIs "map" (index $dst $k)) -}}
{{- include "attestgate.fill" (dict "dst" (index $dst $k) "src" $d) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The values the helpers use, as YAML: "values" (this chart: .context.Values) with the defaults for what it lacks. */}}
{{- define "attestgate.values" -}}
{{- $given := dict -}}
{{- if hasKey . "values" -}}
{{- $given = deepCopy (.values | default dict) -}}
{{- else if eq .context.Chart.Name "attestgate" -}}
{{- $given = deepCopy .context.Values -}}
{{- else -}}
{{- fail "attestgate helpers: from another chart, pass attestgate's values: (dict \"context\" . \"values\" .Values.attestgate)" -}}
{{- end -}}
{{- include "attestgate.fill" (dict "dst" $given "src" (fromYaml (include "attestgate.defaults" .))) -}}
{{- toYaml $given -}}
{{- end -}}

{{- define "attestgate.labels" -}}
app.kubernetes.io/name: attestgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image reference. Args: the values (attestgate.values). */}}
{{- define "attestgate.image" -}}
{{ .image.repository }}:{{ .image.tag | default (include "attestgate.version" .) }}
{{- end -}}

{{/* The bytes of policy NAME as installed (a built-in, or policies.extra). Args: (dict "context" . ["values" V] "name" NAME). */}}
{{- define "attestgate.policyText" -}}
{{- $v := fromYaml (include "attestgate.values" .) -}}
{{- if hasKey $v.policies.extra .name -}}
{{- index $v.policies.extra .name -}}
{{- else if and $v.policies.builtin (has .name (splitList " " (include "attestgate.builtinNames" .context | trim))) -}}
{{- printf "%s\n" (include (printf "attestgate.builtin.%s" .name) .context) -}}
{{- else -}}
{{- fail (printf "attestgate: no policy named %q (built-ins: %s; or add it to policies.extra)" .name (include "attestgate.builtinNames" .context | trim)) -}}
{{- end -}}
{{- end -}}

{{/* SHA-256 of policy NAME's bytes: what --policy-sha256 pins. */}}
{{- define "attestgate.policySha256" -}}
{{- include "attestgate.policyText" . | sha256sum -}}
{{- end -}}

{{/* The gate as an init container; put it first. Args: (dict "context" . ["values" V] ["policy" NAME] ["printClaims" true]). */}}
{{- define "attestgate.initContainer" -}}
{{- $v := fromYaml (include "attestgate.values" .) -}}
{{- $g := $v.gate -}}
{{- $policy := .policy | default $g.policyName -}}
{{- $pin := dict "context" .context "name" $policy -}}
{{- if hasKey . "values" -}}{{- $_ := set $pin "values" .values -}}{{- end -}}
{{- /* A policy with spec.gpus: the image with the NVML helper (tag + -nvidia) and that many GPUs, as inject does. */ -}}
{{- $doc := fromYaml (include "attestgate.policyText" $pin) -}}
{{- $gpus := 0 -}}
{{- if and (kindIs "map" $doc.spec) (hasKey ($doc.spec | default dict) "gpus") -}}{{- $gpus = int $doc.spec.gpus.count -}}{{- end -}}
- name: attestgate
  image: {{ include "attestgate.image" $v }}{{ if gt $gpus 0 }}-nvidia{{ end }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args:
    - run
    - --policy-dir=/etc/attestgate/policies
    - --policy-name={{ $policy }}
    - --policy-sha256={{ include "attestgate.policySha256" $pin }}
    - --output-dir=/run/attestgate
    - --platform={{ $g.platform }}
    - --timeout={{ $g.timeout }}
    {{- if $g.keepEvidence }}
    - --keep-evidence
    {{- end }}
    {{- if .printClaims }}
    - --print-claims
    {{- end }}
    {{- if and (ne $g.tpm.access "none") $g.os.distro }}
    - --os-distro={{ $g.os.distro }}
    - --os-version={{ $g.os.version }}
    {{- end }}
  terminationMessagePolicy: FallbackToLogsOnError
  {{- if eq $g.platform "azure-kata-cc" }}
  env:
    # Where the kata-cc UVM keeps its security context (the UVM endorsement).
    - name: UVM_SECURITY_CONTEXT_DIR
      value: /opt/confidential-containers/share/kata-containers
  {{- end }}
  securityContext:
    {{- if eq $g.tpm.access "privileged" }}
    # /dev/tpmrm0 is root:tss 0660 on the node.
    privileged: true
    runAsUser: 0
    readOnlyRootFilesystem: true
    {{- else }}
    runAsUser: 65532
    runAsGroup: 65532
    runAsNonRoot: true
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
    {{- end }}
  volumeMounts:
    - name: attestgate
      mountPath: /run/attestgate
    - name: attestgate-policies
      mountPath: /etc/attestgate/policies
      readOnly: true
    {{- if eq $g.tpm.access "privileged" }}
    - name: attestgate-tpmrm0
      mountPath: /dev/tpmrm0
    # securityfs: the TCG event log, from which MAA derives the boot-debug claims.
    - name: attestgate-securityfs
      mountPath: /sys/kernel/security
      readOnly: true
    {{- end }}
    {{- if eq $g.platform "azure-kata-cc" }}
    # The UVM endorsement, mounted as Microsoft's kata-cc samples mount it.
    - name: attestgate-uvm-reference-info
      mountPath: /opt/confidential-containers/share/kata-containers/reference-info-base64
      readOnly: true
    # The pod's kata agent policy annotation, for expectHostData: fromAnnotation.
    - name: attestgate-pod
      mountPath: /etc/attestgate/pod
      readOnly: true
    {{- end }}
    {{- if and (ne $g.tpm.access "none") (not $g.os.distro) }}
    # AzureGuest reports the node's OS: its NAME and VERSION_ID.
    - name: attestgate-os-release
      mountPath: /etc/os-release
      readOnly: true
    {{- end }}
  resources:
    {{- $res := deepCopy $g.resources }}
    {{- if eq $g.tpm.access "devicePlugin" }}
    {{- $_ := set $res "limits" (merge (dict $g.tpm.devicePluginResource "1") ($res.limits | default dict)) }}
    {{- end }}
    {{- if gt $gpus 0 }}
    {{- $_ := set $res "limits" (merge (dict $g.gpu.resource (printf "%d" $gpus)) ($res.limits | default dict)) }}
    {{- end }}
    {{- toYaml $res | nindent 4 }}
{{- end -}}

{{/* The gate's volumes: the in-memory output directory, the policies, the vTPM when privileged. Args: (dict "context" . ["values" V]). */}}
{{- define "attestgate.volumes" -}}
{{- $v := fromYaml (include "attestgate.values" .) -}}
- name: attestgate
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
- name: attestgate-policies
  configMap:
    name: {{ $v.policies.configMapName }}
{{- if eq $v.gate.tpm.access "privileged" }}
- name: attestgate-tpmrm0
  hostPath:
    path: /dev/tpmrm0
    type: CharDevice
- name: attestgate-securityfs
  hostPath:
    path: /sys/kernel/security
    type: Directory
{{- end }}
{{- if and (ne $v.gate.tpm.access "none") (not $v.gate.os.distro) }}
- name: attestgate-os-release
  hostPath:
    path: /etc/os-release
    type: File
{{- end }}
{{- if eq $v.gate.platform "azure-kata-cc" }}
- name: attestgate-uvm-reference-info
  hostPath:
    path: /opt/confidential-containers/share/kata-containers/reference-info-base64
- name: attestgate-pod
  downwardAPI:
    items:
      - path: agent-policy
        fieldRef:
          fieldPath: "metadata.annotations['io.katacontainers.config.agent.policy']"
{{- end }}
{{- end -}}

{{/* The read-only mount of the gate's outputs for application containers. */}}
{{- define "attestgate.appVolumeMount" -}}
- name: attestgate
  mountPath: /run/attestgate
  readOnly: true
{{- end -}}

{{/* The name of this release's own objects: the release name, with the chart's name unless the release name holds it. */}}
{{- define "attestgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The webhook's Deployment, Service and ServiceAccount: a DNS label (63 characters at most). */}}
{{- define "attestgate.webhook.name" -}}
{{- printf "%s-webhook" (include "attestgate.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{/* The Secret with the webhook's serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "attestgate.webhook.tlsSecretName" -}}
{{- .Values.webhook.tls.secretName | default (printf "%s-tls" (include "attestgate.webhook.name" .)) -}}
{{- end -}}

{{/* The Service's DNS names, comma-separated: the API server calls the first; the certificate holds both. */}}
{{- define "attestgate.webhook.dnsNames" -}}
{{- $svc := include "attestgate.webhook.name" . -}}
{{- printf "%s.%s.svc,%s.%s.svc.cluster.local" $svc .Release.Namespace $svc .Release.Namespace -}}
{{- end -}}

{{/* The webhook objects' labels. */}}
{{- define "attestgate.webhook.labels" -}}
{{ include "attestgate.labels" . }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* What selects the webhook's pods (Deployment, Service, PodDisruptionBudget, anti-affinity). */}}
{{- define "attestgate.webhook.selectorLabels" -}}
app.kubernetes.io/name: attestgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/*
The label every webhook server pod carries.  The webhook's objectSelector
leaves out the pods that have it, so no webhook (of this release or another)
is ever asked to admit its own replicas.
*/}}
{{- define "attestgate.webhook.serverLabel" -}}attestgate.io/webhook-server{{- end -}}

{{/* A LabelSelector: the chart's expressions ("own", a list) and the values' selector ("extra") together. */}}
{{- define "attestgate.webhook.selector" -}}
{{- $extra := .extra | default dict -}}
{{- $sel := dict "matchExpressions" (concat .own ($extra.matchExpressions | default list)) -}}
{{- if $extra.matchLabels -}}
{{- $_ := set $sel "matchLabels" $extra.matchLabels -}}
{{- end -}}
{{- toYaml $sel -}}
{{- end -}}

{{/*
The webhook's certificates in webhook.tls.mode generated, as YAML: tlsCrt,
tlsKey, caCrt and caBundle (base64) and notAfter (RFC 3339).  The Secret
already installed (lookup; empty in helm template) is kept while it is for
the same DNS names and more than renewBeforeDays from its end.  Otherwise a
new CA and serving certificate are made, and the caBundle holds the old CA
too: the API server then trusts the server both before and after the kubelet
updates the mounted Secret.  The CA is random, so render this once and use
it for both the Secret and the caBundle (webhook-admission.yaml).
*/}}
{{- define "attestgate.webhook.generatedTLS" -}}
{{- $g := .Values.webhook.tls.generated -}}
{{- $dns := include "attestgate.webhook.dnsNames" . -}}
{{- $rfc3339 := "2006-01-02T15:04:05Z07:00" -}}
{{- $old := lookup "v1" "Secret" .Release.Namespace (include "attestgate.webhook.tlsSecretName" .) | default dict -}}
{{- $data := $old.data | default dict -}}
{{- $notAfter := dig "metadata" "annotations" "attestgate.io/tls-not-after" "" $old -}}
{{- $renewAt := sub (toDate $rfc3339 $notAfter).Unix (mul (int $g.renewBeforeDays) 86400) -}}
{{- $keep := and (index $data "tls.crt") (index $data "tls.key") (index $data "ca.crt") -}}
{{- $keep = and $keep (eq $dns (dig "metadata" "annotations" "attestgate.io/tls-dns-names" "" $old)) (lt (now).Unix $renewAt) -}}
{{- if $keep -}}
tlsCrt: {{ index $data "tls.crt" }}
tlsKey: {{ index $data "tls.key" }}
caCrt: {{ index $data "ca.crt" }}
caBundle: {{ index $data "ca.crt" }}
notAfter: {{ $notAfter | quote }}
{{- else -}}
{{- $names := list -}}
{{- range splitList "," $dns -}}{{- $names = append $names . -}}{{- end -}}
{{- $days := int $g.validityDays -}}
{{- $ca := genCA (printf "%s-ca" (include "attestgate.webhook.name" .)) $days -}}
{{- $cert := genSignedCert (first $names) nil $names $days $ca -}}
{{- $bundle := $ca.Cert -}}
{{- $oldCa := index $data "ca.crt" | default "" | b64dec -}}
{{- if contains "-----BEGIN CERTIFICATE-----" $oldCa -}}
{{- $bundle = printf "%s\n%s" (trimSuffix "\n" $ca.Cert) $oldCa -}}
{{- end -}}
tlsCrt: {{ $cert.Cert | b64enc }}
tlsKey: {{ $cert.Key | b64enc }}
caCrt: {{ $ca.Cert | b64enc }}
caBundle: {{ $bundle | b64enc }}
notAfter: {{ dateInZone $rfc3339 (dateModify (printf "+%dh" (mul $days 24)) now) "UTC" | quote }}
{{- end -}}
{{- end -}}
