#!/usr/bin/env bash
# inject.sh - `attestgate inject` on the golden files of test/data/inject:
# each NAME.in.yaml (with the flags in NAME.args, if any) must give exactly
# NAME.out.yaml, injecting again changes nothing, the output validates
# against the Kubernetes API types, untouched text stays byte for byte, and
# the errors say what to do.  UPDATE_GOLDEN=1 rewrites the .out.yaml files.
set -u
. "$(dirname "$0")/../lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
D=$REPO/test/data/inject
KV=$SHARED/tools/k8s-validate/k8s-validate
inj() { "$BIN" inject --policy-dir "$REPO/deploy/policies" "$@"; }

for in in "$D"/*.in.yaml; do
	name=$(basename "$in" .in.yaml) args="--policy-name azure-cvm"
	[ -f "$D/$name.args" ] && args="$args $(cat "$D/$name.args")"
	# shellcheck disable=SC2086
	t_exit 0 "$name: injects" inj -f "$in" $args
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$T_OUT" "$D/$name.out.yaml"
	t_check "$name: the output is the golden file" cmp -s "$T_OUT" "$D/$name.out.yaml"
	cp "$T_OUT" "$W/$name.out.yaml"
	# shellcheck disable=SC2086
	t_exit 0 "$name: injecting the output again" inj -f "$W/$name.out.yaml" $args
	t_check "$name: the second run changes nothing" cmp -s "$T_OUT" "$W/$name.out.yaml"
	t_grep "$name: the second run counts them as already injected" '"injected":0,"alreadyInjected":[1-9]' "$T_ERR"
	if grep -q '{' "$in"; then :; else
		t_check "$name: every input line is still there, in order (only insertions)" \
			bash -c "! diff '$in' '$W/$name.out.yaml' | grep -q '^<'"
	fi
	if [ -x "$KV" ]; then
		t_exit 0 "$name: the output validates against the Kubernetes API types" "$KV" "$W/$name.out.yaml"
	else
		t_skip "$name: Kubernetes validation" "../shared/tools is not present"
	fi
done

sum=$(sha256sum "$REPO/deploy/policies/azure-cvm.yaml" | cut -d' ' -f1)
t_grep "the pinned digest is the SHA-256 of the policy file" "--policy-sha256=$sum" "$D/deployment.out.yaml"
t_grep "kata-cc: the kata policy, no TPM, platform azure-kata-cc" 'policy-name=azure-kata-cc' "$D/pod-kata.out.yaml"
t_check "kata-cc: no privileged gate, no TPM or node OS hostPath" bash -c "! grep -q 'privileged: true\|tpmrm0\|os-release\|securityfs' '$D/pod-kata.out.yaml'"
t_check "kata-cc: the UVM endorsement is the one hostPath" test "$(grep -c 'hostPath:' "$D/pod-kata.out.yaml")" = 1
t_grep "devicePlugin: the TPM as an extended resource" 'squat.ai/tpmrm0: "1"' "$D/deployment-device-plugin.out.yaml"
t_grep "workloads: the service and the pods not asking for it are left alone" '"injected":4,"alreadyInjected":0,"notSelected":2' \
	<(inj -f "$D/workloads.in.yaml" --policy-name azure-cvm 2>&1 >/dev/null)
t_exit 0 "stdin works (-f -)" bash -c "'$BIN' inject --policy-dir '$REPO/deploy/policies' --policy-name azure-cvm < '$D/deployment.in.yaml'"
t_check "stdin gives the same output" cmp -s "$T_OUT" "$D/deployment.out.yaml"

printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n' >"$W/plain.yaml"
t_exit 0 "--all injects into templates without the annotation" inj -f "$W/plain.yaml" --all --policy-name azure-cvm
t_grep "--all: the gate is there" 'name: attestgate' "$T_OUT"
t_exit 0 "without --all an unannotated pod is unchanged" inj -f "$W/plain.yaml" --policy-name azure-cvm
t_check "unchanged byte for byte" cmp -s "$T_OUT" "$W/plain.yaml"
t_exit 2 "no policy for an annotated pod: exit 2" inj -f "$D/deployment.in.yaml"
t_grep "the message says what to do" 'attestgate.io/policy or pass --policy-name' "$T_ERR"
t_exit 2 "an unknown policy: exit 2" inj -f "$D/deployment.in.yaml" --policy-name nope
t_grep "the message names the policy" 'policy "nope" not found' "$T_ERR"
printf 'kind: Pod\nspec: [unclosed\n' >"$W/bad.yaml"
t_exit 2 "input that is not YAML: exit 2 with the line" inj -f "$W/bad.yaml" --all --policy-name azure-cvm
t_grep "the message has the line" 'line [0-9]+: not YAML' "$T_ERR"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    attestgate.io/inject: "true"\nspec:\n  containers:\n  - name: c\n    image: busybox\n  volumes:\n  - name: attestgate\n    emptyDir: {}\n' >"$W/clash.yaml"
t_exit 2 "a pod that already has a volume named attestgate: exit 2" inj -f "$W/clash.yaml" --policy-name azure-cvm
t_grep "the message names the clash" 'looks injected .* but the first init container is not the gate' "$T_ERR"

# Issue 17 finding 1: a duplicate key on the way is an error naming line:column, never a silent choice.
POD='apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    attestgate.io/inject: "true"\n'
dup() { # NAME DESC YAML (printf format)
	printf "$3" >"$W/dup-$1.yaml"
	t_exit 2 "duplicate $2: exit 2" inj -f "$W/dup-$1.yaml" --policy-name azure-cvm
	t_grep "duplicate $2: the message names line:column and the key" "line [0-9]+:[0-9]+: duplicate key \"$2\"" "$T_ERR"
}
dup init initContainers "${POD}spec:\n  initContainers: []\n  containers:\n  - name: c\n    image: busybox\n  initContainers:\n  - name: evil\n    image: evil\n"
dup spec spec "${POD}spec:\n  containers:\n  - name: c\n    image: busybox\nspec:\n  containers:\n  - name: c\n    image: evil\n"
dup kind kind "${POD}kind: ConfigMap\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
dup policy attestgate.io/policy "${POD}    attestgate.io/policy: azure-cvm\n    attestgate.io/policy: azure-kata-cc\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
dup quoted template 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      annotations: {attestgate.io/inject: "true"}\n    spec: {containers: [{name: c, image: busybox}]}\n  "template":\n    spec: {containers: [{name: c, image: evil}]}\n'
printf "${POD}x: &a {containers: [{name: c, image: busybox}]}\nspec:\n  <<: *a\n" >"$W/merge.yaml"
t_exit 2 "a merge key: exit 2" inj -f "$W/merge.yaml" --policy-name azure-cvm
t_grep "a merge key: the message says to write the keys out" 'line [0-9]+(:[0-9]+)?: (a merge key|an alias)' "$T_ERR"

# Issue 17 finding 2: "already injected" is checked, not trusted by name.
inj -f "$D/deployment.in.yaml" --policy-name azure-cvm >"$W/good.yaml" 2>/dev/null
fake() { # NAME DESC SED WHY
	sed "$3" "$W/good.yaml" >"$W/fake-$1.yaml"
	t_exit 2 "$2: exit 2" inj -f "$W/fake-$1.yaml" --policy-name azure-cvm
	t_grep "$2: the message says why" "$4" "$T_ERR"
}
fake image "a gate container running another image" 's|image: "ghcr.io/attestgate/attestgate:[^"]*"|image: evil/attestgate:1|' 'another repository'
fake digest "a gate pinning another policy digest" 's|--policy-sha256=[0-9a-f]*|--policy-sha256=0000000000000000000000000000000000000000000000000000000000000000|' 'arguments are not the ones'
fake name "a gate for another policy" 's|--policy-name=azure-cvm|--policy-name=other|' 'arguments are not the ones'
# Review: a container named and pinned like the gate that would never attest.
fake help "a gate whose first argument is --help" 's|            - run$|            - --help|' 'arguments are not the ones'
fake extra "a gate with an extra insecure flag" 's|            - "--output-dir=/run/attestgate"|            - "--output-dir=/run/attestgate"\n            - --insecure-test-roots=/tmp|' 'arguments are not the ones'
fake command "a gate whose entrypoint is replaced" 's|^          args:$|          command: ["/bin/true"]\n          args:|' 'settings the gate is not rendered with'
fake sidecar "a gate turned into a sidecar (restartPolicy: Always)" 's|^          args:$|          restartPolicy: Always\n          args:|' 'settings the gate is not rendered with'
fake configmap "outputs that come from a ConfigMap" '/- name: attestgate$/{n;s|emptyDir:|configMap:|}' 'not an emptyDir|settings the gate|volumes are not the ones'

printf "${POD}    attestgate.io/status: injected\nspec:\n  containers:\n  - name: c\n    image: busybox\n" >"$W/status-only.yaml"
t_exit 2 "only the status annotation, no gate: exit 2" inj -f "$W/status-only.yaml" --policy-name azure-cvm
t_grep "status only: the first init container is not the gate" 'first init container is not the gate' "$T_ERR"
printf "${POD}spec:\n  initContainers:\n  - name: other\n    image: busybox\n  - name: attestgate\n    image: ghcr.io/attestgate/attestgate:x\n  containers:\n  - name: c\n    image: busybox\n" >"$W/second.yaml"
t_exit 2 "a container named attestgate that is not first: exit 2" inj -f "$W/second.yaml" --policy-name azure-cvm

# Issue 17 finding 3: every kind with a pod template, List items, and no silent skip of an annotated object.
printf 'apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: rc\nspec:\n  template:\n    metadata:\n      annotations:\n        attestgate.io/inject: "true"\n    spec:\n      containers:\n      - name: c\n        image: busybox\n' >"$W/rc.yaml"
t_exit 0 "a ReplicationController is injected" inj -f "$W/rc.yaml" --policy-name azure-cvm
t_grep "ReplicationController: one template injected" '"injected":1' "$T_ERR"
printf 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers:\n    - name: c\n      image: busybox\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n  spec:\n    template:\n      spec:\n        containers:\n        - name: c\n          image: busybox\n' >"$W/list.yaml"
t_exit 0 "kind: List with --all: every item is injected" inj -f "$W/list.yaml" --all --policy-name azure-cvm
t_grep "List: both items injected" '"injected":2' "$T_ERR"
cp "$T_OUT" "$W/list.out.yaml"
t_exit 0 "List: injecting again changes nothing" inj -f "$W/list.out.yaml" --all --policy-name azure-cvm
t_check "List: byte for byte" cmp -s "$T_OUT" "$W/list.out.yaml"
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n    attestgate.io/inject: "true"\nspec: {}\n' >"$W/widget.yaml"
t_exit 2 "an annotated object without a pod template: exit 2" inj -f "$W/widget.yaml" --policy-name azure-cvm
t_grep "the message names the kind" 'a Widget is annotated attestgate.io/inject but has no pod template' "$T_ERR"
# Issue 18 point 12: --policy means a file for run; inject names a policy with --policy-name, as run does.
t_exit 2 "inject --policy (a file for run) is not a name here: exit 2" inj -f "$D/deployment.in.yaml" --policy azure-cvm
t_grep "the message names the flag" 'unknown flag --policy' "$T_ERR"
# Issue 18 point 11: inject reports what it did not do.
printf "${POD}spec:\n  containers:\n  - name: c\n    image: busybox\n" | sed 's/inject: "true"/inject: "yes"/' >"$W/yes.yaml"
t_exit 2 "attestgate.io/inject: \"yes\" is an error" inj -f "$W/yes.yaml" --policy-name azure-cvm
t_grep "the message says what to write" 'attestgate.io/inject is "yes": write "true" or "false"' "$T_ERR"
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  template:\n    metadata:\n      annotations:\n        attestgate.io/inject: "true"\n' >"$W/asked.yaml"
t_exit 2 "asked for the gate and no pod got it: exit 2" inj -f "$W/asked.yaml" --policy-name azure-cvm
t_grep "the message says where the annotation goes" 'no pod template got it' "$T_ERR"
printf "${POD}spec:\n  runtimeClassName: kata-cc\n  containers:\n  - name: c\n    image: busybox\n" >"$W/kata-cvm-policy.yaml"
t_exit 2 "a kata-cc pod with a CVM-only policy: exit 2" inj -f "$W/kata-cvm-policy.yaml" --policy-name azure-cvm
t_grep "the message names both" 'runs on kata-cc \(azure-kata-cc\), which policy "azure-cvm" does not allow' "$T_ERR"
t_exit 2 "a CVM pod with the kata policy: exit 2" inj -f "$D/deployment.in.yaml" --policy-name azure-kata-cc
t_grep "the message names the platform" 'runs on a Confidential VM node \(azure-cvm\)' "$T_ERR"
printf "${POD}spec:\n  initContainers:\n  # migrate the database first\n  - name: migrate\n    image: busybox\n  containers:\n  - name: c\n    image: busybox\n" >"$W/comment.yaml"
t_exit 0 "an init container with its own comment" inj -f "$W/comment.yaml" --policy-name azure-cvm
t_check "the gate goes above the next init container's comment, which stays with it" \
	bash -c "grep -A1 '# migrate the database first' '$T_OUT' | tail -1 | grep -q -- '- name: migrate' && grep -A1 '^  initContainers:' '$T_OUT' | tail -1 | grep -q -- '- name: attestgate'"
# Review of issue 17 finding 1: explicit tags and merge keys of any style are refused too.
for f in tag-binary-kind tagged-merge; do
	t_exit 2 "adversarial $f: exit 2" inj -f "$D/../inject-adversarial/$f.yaml" --all --policy-name azure-cvm
	t_grep "adversarial $f: the message names line:column" 'line [0-9]+:[0-9]+: (an explicit YAML tag|a merge key)' "$T_ERR"
done
t_check "devicePlugin with --os-distro: no hostPath at all (Pod Security baseline)" bash -c "! grep -q hostPath '$D/deployment-device-plugin-os.out.yaml'"
t_grep "devicePlugin with --os-distro: the OS comes as flags" '"--os-version=22.04"' "$D/deployment-device-plugin-os.out.yaml"
# Review: a CRD with a pod template (an Argo Rollout) that asks for the gate is an error, not a silent skip.
printf 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  template:\n    metadata:\n      annotations:\n        attestgate.io/inject: "true"\n    spec:\n      containers:\n      - name: c\n        image: busybox\n' >"$W/rollout.yaml"
t_exit 2 "an annotated Rollout: exit 2" inj -f "$W/rollout.yaml" --policy-name azure-cvm
t_grep "the message names the kind" 'a Rollout has a pod template, but attestgate inject does not know this kind' "$T_ERR"
t_exit 2 "a Rollout with --all: exit 2 too" inj -f "$W/rollout.yaml" --all --policy-name azure-cvm
# Issue 18 point 10: --update rewrites a stale gate and says so; --remove takes the gate out; both keep comments.
sed 's|--policy-sha256=[0-9a-f]*|--policy-sha256=0000000000000000000000000000000000000000000000000000000000000000|' \
	"$D/deployment.out.yaml" >"$W/stale.yaml"
t_exit 2 "a stale digest without --update: exit 2 (never kept silently)" inj -f "$W/stale.yaml" --policy-name azure-cvm
t_exit 0 "--update rewrites the stale gate" inj -f "$W/stale.yaml" --policy-name azure-cvm --update
t_grep "--update says so" '"updated":1' "$T_ERR"
cp "$T_OUT" "$W/updated.yaml"
t_grep "--update: the current digest is pinned" "--policy-sha256=$sum" "$W/updated.yaml"
t_check "--update: the old one is gone" bash -c "! grep -q 'policy-sha256=0000' '$W/updated.yaml'"
t_grep "--update: comments are kept" '^# A comment that must survive.$' "$W/updated.yaml"
t_exit 0 "--update again changes nothing" inj -f "$W/updated.yaml" --policy-name azure-cvm --update
t_check "--update again: byte for byte" cmp -s "$T_OUT" "$W/updated.yaml"
t_grep "--update again: nothing updated" '"alreadyInjected":1,"notSelected":0,"updated":0' "$T_ERR"
sed 's|image: "ghcr.io/attestgate/attestgate:0.1.0"|image: "ghcr.io/attestgate/attestgate:0.0.9"|' "$D/deployment.out.yaml" >"$W/old-image.yaml"
t_exit 0 "--update rewrites an old image too" inj -f "$W/old-image.yaml" --policy-name azure-cvm --update
t_check "--update: the configured image now" bash -c "grep -q 'attestgate:0.1.0' '$T_OUT' && ! grep -q 'attestgate:0.0.9' '$T_OUT'"
t_exit 0 "--remove takes the gate out" inj -f "$D/deployment.out.yaml" --remove
cp "$T_OUT" "$W/removed.yaml"
t_check "--remove: what is left is the input (and the fsGroup, which may be the pod's own)" \
	bash -c "diff '$D/deployment.in.yaml' '$W/removed.yaml' | grep '^[<>]' | grep -v 'securityContext:\|fsGroup: 65532' | wc -l | grep -qx 0"
t_exit 0 "--remove again changes nothing" inj -f "$W/removed.yaml" --remove
t_check "--remove again: byte for byte" cmp -s "$T_OUT" "$W/removed.yaml"
t_exit 0 "--remove on the kata pod" inj -f "$D/pod-kata.out.yaml" --remove
t_check "--remove: no gate, volume, mount or status left in the kata pod (the user's own annotations stay)" \
	bash -c "! grep -qE 'name: attestgate|attestgate.io/status|/run/attestgate' '$T_OUT' && grep -q 'attestgate.io/inject' '$T_OUT'"
t_exit 2 "--remove of a gate in flow-style YAML: exit 2" inj -f "$D/workloads.out.yaml" --remove
t_grep "--remove: the message says to remove it by hand" 'block-style YAML only; remove this by hand' "$T_ERR"
t_exit 2 "--update and --remove together: exit 2" inj -f "$D/deployment.out.yaml" --remove --update
# Second review: --update also rewrites a gate that differs in more than image and args.
sed 's|            privileged: true|            privileged: false|' "$D/deployment.out.yaml" >"$W/unprivileged.yaml"
t_exit 2 "a gate whose security context differs: exit 2" inj -f "$W/unprivileged.yaml" --policy-name azure-cvm
t_exit 0 "--update rewrites it" inj -f "$W/unprivileged.yaml" --policy-name azure-cvm --update
t_grep "--update: said so" '"updated":1' "$T_ERR"
"$PY" -c "
import re, sys
t = open('$D/deployment.out.yaml').read()
t = re.sub(r'\n *- name: attestgate-securityfs\n( +(hostPath:|path:|type:|mountPath:|readOnly:).*\n)+', '\n', t)
open('$W/no-securityfs.yaml', 'w').write(t)"
t_check "the older injection really lacks securityfs" bash -c "! grep -q securityfs '$W/no-securityfs.yaml'"
t_exit 0 "--update adds what an older injection lacks (securityfs)" inj -f "$W/no-securityfs.yaml" --policy-name azure-cvm --update
t_grep "--update: securityfs now there" 'mountPath: /sys/kernel/security' "$T_OUT"
t_exit 0 "--update switching to --tpm-access devicePlugin" inj -f "$D/deployment.out.yaml" --policy-name azure-cvm --update --tpm-access devicePlugin
t_check "devicePlugin after --update: no privileged gate, no TPM hostPath" bash -c "! grep -q 'privileged: true\|/dev/tpmrm0' '$T_OUT'"
# Second review: removal keeps the next item's comments, block scalars and empty metadata.
printf "${POD}spec:\n  initContainers:\n  # migrate the database first\n  - name: migrate\n    image: busybox\n    command:\n    - sh\n    - -c\n    - |\n      echo one\n      echo two\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: busybox\n" >"$W/rm.yaml"
inj -f "$W/rm.yaml" --policy-name azure-cvm >"$W/rm-in.yaml" 2>/dev/null
t_exit 0 "--remove after inject" inj -f "$W/rm-in.yaml" --remove
t_grep "--remove keeps the next init container's comment" '^  # migrate the database first$' "$T_OUT"
t_grep "--remove keeps the key after a block scalar" '^  restartPolicy: Never$' "$T_OUT"
t_check "--remove: what is left is the input, but for the fsGroup" \
	bash -c "diff '$W/rm.yaml' '$T_OUT' | grep '^[<>]' | grep -v 'securityContext:\|fsGroup: 65532' | wc -l | grep -qx 0"
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: busybox\n' >"$W/nometa.yaml"
inj -f "$W/nometa.yaml" --all --policy-name azure-cvm >"$W/nometa-in.yaml" 2>/dev/null
t_exit 0 "--remove of a template whose metadata the gate brought" inj -f "$W/nometa-in.yaml" --remove
cp "$T_OUT" "$W/nometa-out.yaml"
t_check "--remove: no empty metadata left" bash -c "! grep -q '^metadata:' '$W/nometa-out.yaml'"
t_exit 0 "and it injects again" inj -f "$W/nometa-out.yaml" --all --policy-name azure-cvm
printf "${POD}x: &c {name: c, image: busybox}\nspec:\n  containers:\n  - *c\n" >"$W/alias.yaml"
t_exit 2 "an alias anywhere: exit 2" inj -f "$W/alias.yaml" --policy-name azure-cvm
t_grep "the message names the alias" 'an alias \(\*name\) of an anchor' "$T_ERR"
printf 'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: n\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate:\n    metadata:\n      annotations:\n        attestgate.io/inject: "true"\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: r\n            image: busybox\n' >"$W/cron.yaml"
t_exit 0 "an annotation on a CronJob's jobTemplate selects its pods" inj -f "$W/cron.yaml" --policy-name azure-cvm
t_grep "CronJob jobTemplate annotation: injected" '"injected":1' "$T_ERR"
t_done
