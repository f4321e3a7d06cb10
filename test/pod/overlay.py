#!/usr/bin/env python3
"""overlay.py - adapts a real pod spec for podman kube play on this machine.

  overlay.py IN.yaml PARAMS.json > OUT.yaml

IN is what a cluster would get (a deploy/ example, the chart's render, the
output of attestgate inject).  Everything the test changes is here, and only
what must differ from a node (test/pod/README.md says why for each):

  * workloads become Pods (restartPolicy Never): podman 4.3 plays Pods and
    Deployments only, and a test must end;
  * hostAliases map the verifier's name to the host as the pod sees it (the
    runner plays the pod on slirp4netns with allow_host_loopback, where the
    host's 127.0.0.1 is 10.0.2.2): the stand-ins listen on loopback only, and
    the gate must resolve the name from the pod's /etc/hosts;
  * kubelet's fsGroup is emulated: the attestgate emptyDir becomes a host
    directory the runner made root:fsGroup with the setgid bit (what the
    kubelet does to a volume with fsGroup), and fsGroup joins every
    container's supplemental groups;
  * the gate's TPM is the rig's swtpm (a hostPath socket and --tcti) instead
    of /dev/tpmrm0 or the device plugin's resource; the event log comes from
    the rig (--eventlog) instead of the node's securityfs;
  * --timeout is 20s instead of minutes: the verifier-down case waits it out;
  * the gate trusts the test CA, the test AMD roots and the stand-in THIM
    (--insecure-test-ca, --insecure-test-roots, --imds-url), and its policy
    is the test policy (its digest replaces --policy-sha256);
  * /dev/termination-log is a host file (the kubelet provides it; podman not);
  * a `probe` container is added: another non-root user, mounting the volume
    as the app does, that reads the token and must fail to change it.

Input ConfigMaps are dropped (the runner supplies attestgate-policies).
"""
import json
import sys

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def pod_of(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        return doc["metadata"]["name"], doc["spec"]
    if kind in WORKLOADS:
        return doc["metadata"]["name"], doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None, None


NODE_PATHS = ("/dev/tpmrm0", "/sys/kernel/security")


def adapt_gate(c, p, node_vols):
    args = [a for a in c.get("args", []) if not a.startswith(("--policy-sha256", "--tcti", "--eventlog", "--timeout"))]
    args += ["--policy-sha256=" + p["policy_sha256"], "--timeout=" + p.get("timeout", "20s"), "--tcti=swtpm:path=/run/swtpm/tpm.sock",
             "--insecure-test-ca=/test/ca.pem", "--insecure-test-roots=/test/roots",
             "--imds-url=" + p["thim_url"], "--eventlog=/test/eventlog.bin"]
    c["args"] = args
    mounts = [m for m in c.get("volumeMounts", []) if m["name"] not in node_vols]
    mounts += [{"name": "swtpm", "mountPath": "/run/swtpm"},
               {"name": "test", "mountPath": "/test", "readOnly": True},
               {"name": "termination-log", "mountPath": "/dev/termination-log"}]
    c["volumeMounts"] = mounts
    limits = c.get("resources", {}).get("limits", {})
    for k in [k for k in limits if "/" in k]:
        del limits[k]          # the device plugin's resource: the swtpm socket stands in for it


def adapt(name, spec, p):
    spec["restartPolicy"] = "Never"
    spec.setdefault("hostAliases", []).append({"ip": p["host_ip"], "hostnames": [p["verifier_host"]]})
    spec.pop("nodeSelector", None)
    sc = spec.setdefault("securityContext", {})
    if "fsGroup" in sc:
        sc["supplementalGroups"] = sorted(set(sc.get("supplementalGroups", []) + [sc["fsGroup"]]))
    # The node's TPM and securityfs: the rig's swtpm and event log stand in for them.
    node_vols = {v["name"] for v in spec.get("volumes", []) if v.get("hostPath", {}).get("path") in NODE_PATHS}
    vols = [v for v in spec.get("volumes", []) if v["name"] not in node_vols and v["name"] != "attestgate"]
    vols += [{"name": "attestgate", "hostPath": {"path": p["output_dir"], "type": "Directory"}},
             {"name": "swtpm", "hostPath": {"path": p["swtpm_dir"], "type": "Directory"}},
             {"name": "test", "hostPath": {"path": p["test_dir"], "type": "Directory"}},
             {"name": "termination-log", "hostPath": {"path": p["termination_log"], "type": "File"}}]
    spec["volumes"] = vols
    gates = [c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "attestgate"]
    if len(gates) != 1:
        sys.exit("overlay: %s has %d attestgate containers, want 1" % (name, len(gates)))
    adapt_gate(gates[0], p, node_vols)
    if gates[0] in spec["containers"]:
        return                 # discovery: the gate is the workload, there is no app to probe for
    # The probe mounts the emptyDir as the manifest's app container does (read-only or not): it shows what an
    # app of that pod can do to the gate's files.
    app_mount = next((dict(m) for c in spec["containers"] for m in c.get("volumeMounts", [])
                      if m["name"] == "attestgate"), None)
    if app_mount is None:
        sys.exit("overlay: %s: no app container mounts the attestgate volume" % name)
    app_mount["mountPath"] = "/run/attestgate"
    spec["containers"].append({
        "name": "probe", "image": p["app_image"],
        "command": ["sh", "-c", "id; cat /run/attestgate/token >/dev/null && echo token-read; "
                    "if touch /run/attestgate/token 2>/dev/null || { echo x >>/run/attestgate/token; } 2>/dev/null; "
                    "then echo token-writable; else echo token-readonly; fi"],
        "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True,
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [app_mount]})


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    p = json.load(open(sys.argv[2]))
    out = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "attestgate-policies"},
            "data": {p["policy_name"] + ".yaml": p["policy_text"]}}]
    for d in docs:
        name, spec = pod_of(d)
        if spec is None:
            continue
        if not any(c["name"] == "attestgate" for c in spec.get("initContainers", []) + spec["containers"]):
            continue
        adapt(name, spec, p)
        out.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": p.get("pod_name", name)}, "spec": spec})
    if len(out) != 2:
        sys.exit("overlay: %s has %d gated pod templates, want 1" % (sys.argv[1], len(out) - 1))
    yaml.safe_dump_all(out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
