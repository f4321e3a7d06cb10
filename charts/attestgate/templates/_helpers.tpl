{{/*
Helpers of the attestgate chart.  Other charts use attestgate.initContainer,
attestgate.volumes and attestgate.appVolumeMount to add the gate to their
pods:

  initContainers:
    {{- include "attestgate.initContainer" (dict "context" . "policy" "azure-cvm") | nindent 4 }}
  volumes:
    {{- include "attestgate.volumes" (dict "context" .) | nindent 4 }}

"context" is the root context (.) of a release of this chart's values;
"policy" overrides gate.policyName.
*/}}

{{- define "attestgate.labels" -}}
app.kubernetes.io/name: attestgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "attestgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The bytes of policy NAME as installed (a built-in, or policies.extra). Args: (dict "context" . "name" NAME). */}}
{{- define "attestgate.policyText" -}}
{{- $v := .context.Values -}}
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

{{/* The gate as an init container; put it first. Args: (dict "context" . ["policy" NAME] ["printClaims" true]). */}}
{{- define "attestgate.initContainer" -}}
{{- $c := .context -}}
{{- $g := $c.Values.gate -}}
{{- $policy := .policy | default $g.policyName -}}
- name: attestgate
  image: {{ include "attestgate.image" $c }}
  imagePullPolicy: {{ $c.Values.image.pullPolicy }}
  args:
    - run
    - --policy-dir=/etc/attestgate/policies
    - --policy-name={{ $policy }}
    - --policy-sha256={{ include "attestgate.policySha256" (dict "context" $c "name" $policy) }}
    - --output-dir=/run/attestgate
    - --platform={{ $g.platform }}
    - --timeout={{ $g.timeout }}
    {{- if $g.keepEvidence }}
    - --keep-evidence
    {{- end }}
    {{- if .printClaims }}
    - --print-claims
    {{- end }}
    {{- if and (ne $g.tpm.access "none") ($g.os | default dict).distro }}
    - --os-distro={{ $g.os.distro }}
    - --os-version={{ $g.os.version }}
    {{- end }}
  terminationMessagePolicy: FallbackToLogsOnError
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
    {{- if and (ne $g.tpm.access "none") (not ($g.os | default dict).distro) }}
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
    {{- toYaml $res | nindent 4 }}
{{- end -}}

{{/* The gate's volumes: the in-memory output directory, the policies, the vTPM when privileged. Args: (dict "context" .). */}}
{{- define "attestgate.volumes" -}}
{{- $c := .context -}}
- name: attestgate
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
- name: attestgate-policies
  configMap:
    name: {{ $c.Values.policies.configMapName }}
{{- if eq $c.Values.gate.tpm.access "privileged" }}
- name: attestgate-tpmrm0
  hostPath:
    path: /dev/tpmrm0
    type: CharDevice
- name: attestgate-securityfs
  hostPath:
    path: /sys/kernel/security
    type: Directory
{{- end }}
{{- if and (ne $c.Values.gate.tpm.access "none") (not ($c.Values.gate.os | default dict).distro) }}
- name: attestgate-os-release
  hostPath:
    path: /etc/os-release
    type: File
{{- end }}
{{- end -}}

{{/* The read-only mount of the gate's outputs for application containers. */}}
{{- define "attestgate.appVolumeMount" -}}
- name: attestgate
  mountPath: /run/attestgate
  readOnly: true
{{- end -}}
