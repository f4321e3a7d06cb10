#!/usr/bin/python3
"""webhook_chart.py - checks of the chart's admission webhook renders, for k8s.sh.

What k8s-validate cannot see: how the rendered objects fit together (the
Service, the Deployment, the MutatingWebhookConfiguration, the Secret or the
cert-manager objects), the selectors evaluated as the API server evaluates
them, the generated certificates verified with openssl, and the cert-manager
kinds, which k8s-validate does not know, checked field by field against the
parts of cert-manager's v1 CRDs the chart uses.  Not for rendering: k8s.sh
renders with ../shared/tools/helm-template and passes the files in.

    webhook_chart.py check DIR          the renders DIR/webhook-*.yaml
    webhook_chart.py existing SRC MODE  prints a template that stands in for
                                        lookup: SRC's Secret as the cluster has it
                                        (MODE keep | near-end | other-dns)
    webhook_chart.py rotation DIR       DIR/webhook-{reuse,renew,dns}.yaml
                                        against DIR/webhook-generated.yaml
    webhook_chart.py flags FILE...      prints the flags the webhook container gets
    webhook_chart.py mount RENDER DIR   lays out RENDER's Secret and ConfigMap in DIR/tls and
                                        DIR/policies as the kubelet does (a ..data symlink
                                        swapped at once) and prints the container's args
                                        with the paths mapped there (the listen port stays)
    webhook_chart.py review [--check RESPONSE RENDER]
                                        prints an AdmissionReview of an annotated pod, or
                                        checks the server's answer against RENDER

Prints one line per check, "ok<TAB>what" or "not ok<TAB>what<TAB>why", then "done".
"""
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

NS = "attestgate-system"
WEBHOOK = "inject.attestgate.io"


def report(ok, what, why=""):
    print("ok\t%s" % what if ok else "not ok\t%s\t%s" % (what, why))


def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    if len(found) != 1:
        raise LookupError("%d %s%s in the render" % (len(found), kind, " " + name if name else ""))
    return found[0]


def selects(sel, labels):
    """A LabelSelector against a set of labels, as the API server evaluates it."""
    if sel is None:
        return True
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def ns_labels(name, extra=None):
    labels = {"kubernetes.io/metadata.name": name}
    labels.update(extra or {})
    return labels


def go_duration(s):
    """Seconds of a Go duration made of h, m, s parts (what the chart renders), or None."""
    if not re.fullmatch(r"([0-9]+[hms])+", s or ""):
        return None
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"([0-9]+)([hms])", s))


# The fields of cert-manager.io/v1 the chart may use: the spec properties of the
# Certificate and Issuer CRDs (cert-manager's deploy/crds/cert-manager.io_certificates.yaml
# and _issuers.yaml), their required fields and enums.
CERT_SPEC = {"additionalOutputFormats", "commonName", "dnsNames", "duration", "emailAddresses",
             "encodeUsagesInRequest", "ipAddresses", "isCA", "issuerRef", "keystores", "literalSubject",
             "nameConstraints", "otherNames", "privateKey", "renewBefore", "renewBeforePercentage",
             "revisionHistoryLimit", "secretName", "secretTemplate", "signatureAlgorithm", "subject", "uris",
             "usages"}
USAGES = {"signing", "digital signature", "content commitment", "key encipherment", "key agreement",
          "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth",
          "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
          "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"}
ISSUER_TYPES = {"acme", "ca", "selfSigned", "vault", "venafi"}


def cert_manager_errors(doc):
    """What is wrong with a cert-manager.io/v1 Certificate or Issuer, as its CRD's schema would say."""
    errs = []
    if doc.get("apiVersion") != "cert-manager.io/v1":
        errs.append("apiVersion %r" % doc.get("apiVersion"))
    if set(doc) - {"apiVersion", "kind", "metadata", "spec"}:
        errs.append("unknown top-level fields %s" % sorted(set(doc) - {"apiVersion", "kind", "metadata", "spec"}))
    meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", meta.get("name", "")):
        errs.append("metadata.name %r" % meta.get("name"))
    if meta.get("namespace") != NS:
        errs.append("metadata.namespace %r, not the release's" % meta.get("namespace"))
    if doc["kind"] == "Certificate":
        if set(spec) - CERT_SPEC:
            errs.append("unknown spec fields %s" % sorted(set(spec) - CERT_SPEC))
        for req in ("secretName", "issuerRef"):
            if not spec.get(req):
                errs.append("spec.%s is required" % req)
        ref = spec.get("issuerRef") or {}
        if set(ref) - {"name", "kind", "group"} or not isinstance(ref.get("name"), str) or not ref.get("name"):
            errs.append("spec.issuerRef %r" % ref)
        pk = spec.get("privateKey") or {}
        if set(pk) - {"algorithm", "encoding", "rotationPolicy", "size"} \
                or pk.get("algorithm", "RSA") not in ("RSA", "ECDSA", "Ed25519") \
                or pk.get("rotationPolicy", "Always") not in ("Never", "Always") \
                or not isinstance(pk.get("size", 0), int):
            errs.append("spec.privateKey %r" % pk)
        if set(spec.get("usages") or []) - USAGES:
            errs.append("spec.usages %r" % spec.get("usages"))
        if set(spec.get("secretTemplate") or {}) - {"annotations", "labels"}:
            errs.append("spec.secretTemplate %r" % spec.get("secretTemplate"))
        if not all(isinstance(n, str) for n in spec.get("dnsNames") or []):
            errs.append("spec.dnsNames %r" % spec.get("dnsNames"))
        d, rb = go_duration(spec.get("duration")), go_duration(spec.get("renewBefore", "5m"))
        if "duration" in spec and (d is None or d < 3600):
            errs.append("spec.duration %r: a Go duration of 1h at least" % spec.get("duration"))
        if "renewBefore" in spec and (rb is None or rb < 300 or (d is not None and rb >= d)):
            errs.append("spec.renewBefore %r: 5m at least, below the duration" % spec.get("renewBefore"))
        if not isinstance(spec.get("isCA", False), bool):
            errs.append("spec.isCA %r" % spec.get("isCA"))
    elif doc["kind"] == "Issuer":
        types = set(spec) & ISSUER_TYPES
        if set(spec) - ISSUER_TYPES or len(types) != 1:
            errs.append("spec must be one issuer type of %s: %r" % (sorted(ISSUER_TYPES), sorted(spec)))
        if "ca" in spec and (set(spec["ca"]) - {"secretName", "crlDistributionPoints", "ocspServers",
                                                 "issuingCertificateURL"} or not spec["ca"].get("secretName")):
            errs.append("spec.ca %r" % spec["ca"])
        if "selfSigned" in spec and set(spec["selfSigned"] or {}) - {"crlDistributionPoints"}:
            errs.append("spec.selfSigned %r" % spec["selfSigned"])
    else:
        errs.append("kind %s is not one the chart should make" % doc["kind"])
    return errs


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True, text=True)


def pem_certs(text):
    return re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", text, re.S)


def verify(bundle_pem, leaf_pem, host):
    """openssl verify of leaf against the CAs of bundle for host (a TLS server); '' when it verifies."""
    with tempfile.TemporaryDirectory() as d:
        ca, leaf = os.path.join(d, "ca.pem"), os.path.join(d, "leaf.pem")
        open(ca, "w").write(bundle_pem)
        open(leaf, "w").write(leaf_pem)
        r = openssl("verify", "-CAfile", ca, "-purpose", "sslserver", "-verify_hostname", host, leaf)
        return "" if r.returncode == 0 and r.stdout.strip().endswith(": OK") else (r.stdout + r.stderr).strip()


def b64(s):
    return base64.b64decode(s).decode()


def webhook_pod(docs):
    dep = one(docs, "Deployment", "rel-attestgate-webhook")
    return dep, dep["spec"]["template"], dep["spec"]["template"]["spec"]["containers"][0]


def args_of(container):
    return dict(a[2:].split("=", 1) for a in container["args"][1:] if a.startswith("--") and "=" in a)


def the_webhook(docs):
    mwc = one(docs, "MutatingWebhookConfiguration")
    hooks = mwc["webhooks"]
    if len(hooks) != 1 or hooks[0]["name"] != WEBHOOK:
        raise LookupError("webhooks: %r" % [h.get("name") for h in hooks])
    return mwc, hooks[0]


def check_generated(w):
    docs = load(os.path.join(w, "webhook-generated.yaml"))
    dep, tpl, c = webhook_pod(docs)
    pod, labels, a = tpl["spec"], tpl["metadata"]["labels"], args_of(c)
    report(dep["spec"]["replicas"] == 2, "webhook: 2 replicas by default", dep["spec"]["replicas"])
    report(dep["metadata"].get("namespace") == NS, "webhook: the Deployment is in the release's namespace")
    report(selects(dep["spec"]["selector"], labels), "webhook: the Deployment selects its own pods")
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    report(len(pdbs) == 1 and pdbs[0]["spec"].get("minAvailable") == 1 and selects(pdbs[0]["spec"]["selector"], labels)
           and pdbs[0]["spec"]["selector"] == dep["spec"]["selector"],
           "webhook: a PodDisruptionBudget keeps 1 of its pods available", json.dumps([p["spec"] for p in pdbs]))
    terms = pod.get("affinity", {}).get("podAntiAffinity", {}).get("preferredDuringSchedulingIgnoredDuringExecution", [])
    report(len(terms) == 1 and terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
           and terms[0]["podAffinityTerm"]["labelSelector"] == dep["spec"]["selector"]
           and not pod["affinity"]["podAntiAffinity"].get("requiredDuringSchedulingIgnoredDuringExecution"),
           "webhook: preferred pod anti-affinity by hostname on its own pods' labels", json.dumps(pod.get("affinity")))
    psc, sc = pod.get("securityContext", {}), c.get("securityContext", {})
    report(psc.get("runAsNonRoot") is True and sc.get("runAsNonRoot") is True
           and psc.get("runAsUser") == sc.get("runAsUser") == 65532 and psc.get("runAsGroup") == 65532,
           "webhook: runAsNonRoot, uid and gid 65532", json.dumps([psc, sc]))
    report(sc.get("readOnlyRootFilesystem") is True, "webhook: readOnlyRootFilesystem", json.dumps(sc))
    report(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities") == {"drop": ["ALL"]}
           and not sc.get("privileged"), "webhook: no privilege escalation, all capabilities dropped", json.dumps(sc))
    report(psc.get("seccompProfile") == {"type": "RuntimeDefault"} and sc.get("seccompProfile") == {"type": "RuntimeDefault"},
           "webhook: seccompProfile RuntimeDefault", json.dumps([psc, sc]))
    report(pod.get("automountServiceAccountToken") is False
           and one(docs, "ServiceAccount", pod["serviceAccountName"]).get("automountServiceAccountToken") is False,
           "webhook: no Kubernetes API token (its own ServiceAccount, none mounted)")
    report(c.get("resources") == {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
           "webhook: requests 50m/32Mi, memory limit 64Mi", json.dumps(c.get("resources")))
    port = {p["name"]: p["containerPort"] for p in c["ports"]}
    probes_ok = True
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = (c.get(probe) or {}).get("httpGet") or {}
        probes_ok &= g.get("path") == path and g.get("scheme") == "HTTPS" and port.get(g.get("port"), g.get("port")) == 8443
    report(probes_ok, "webhook: liveness /healthz and readiness /readyz over HTTPS on 8443",
           json.dumps([c.get("livenessProbe"), c.get("readinessProbe")]))
    report(c["args"][0] == "webhook" and a.get("listen") == "0.0.0.0:8443" and 8443 in port.values(),
           "webhook: the container runs `attestgate webhook --listen=0.0.0.0:8443`", c["args"])
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    secret = one(docs, "Secret")
    tls_m, pol_m = mounts.get("/etc/attestgate/tls", {}), mounts.get("/etc/attestgate/policies", {})
    report(tls_m.get("readOnly") is True and vols[tls_m["name"]]["secret"]["secretName"] == secret["metadata"]["name"]
           and a.get("tls-cert") == "/etc/attestgate/tls/tls.crt" and a.get("tls-key") == "/etc/attestgate/tls/tls.key",
           "webhook: the TLS Secret is mounted read-only at /etc/attestgate/tls and is what --tls-cert/--tls-key read",
           json.dumps([tls_m, c["args"]]))
    cm = one(docs, "ConfigMap")
    report(pol_m.get("readOnly") is True and vols[pol_m["name"]]["configMap"]["name"] == cm["metadata"]["name"]
           and a.get("policy-dir") == "/etc/attestgate/policies",
           "webhook: the chart's policies ConfigMap is mounted read-only at /etc/attestgate/policies (--policy-dir)",
           json.dumps(pol_m))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    drain = go_duration(a.get("shutdown-delay")) + go_duration(a.get("shutdown-timeout"))
    report(drain < grace <= drain + 15, "webhook: terminationGracePeriodSeconds is a bit above shutdown-delay + shutdown-timeout",
           "%s vs %s" % (grace, drain))
    example = one(docs, "Deployment", "rel-example")["spec"]["template"]["spec"]["initContainers"][0]
    report(a.get("image") == c["image"] == example["image"],
           "webhook: --image is the chart's attestgate image, the one the gate helper uses", [a.get("image"), example["image"]])
    report(a.get("policy-name") == "azure-cvm" and a.get("tpm-access") == "privileged"
           and "os-distro" not in a and "device-plugin-resource" not in a,
           "webhook: the gate settings by default: --policy-name=azure-cvm --tpm-access=privileged", c["args"])
    svc = one(docs, "Service", "rel-attestgate-webhook")
    sp = svc["spec"]["ports"]
    report(len(sp) == 1 and sp[0]["port"] == 443 and sp[0]["targetPort"] == 8443 and selects({"matchLabels": svc["spec"]["selector"]}, labels),
           "webhook: the Service maps 443 to the pods' 8443", json.dumps(svc["spec"]))

    mwc, h = the_webhook(docs)
    rules = h.get("rules")
    report(rules == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                      "scope": "Namespaced"}], "webhook: the rule is pods CREATE in the core v1 group", json.dumps(rules))
    report(h.get("sideEffects") == "None", "webhook: sideEffects None", h.get("sideEffects"))
    report(h.get("admissionReviewVersions") == ["v1"], "webhook: admissionReviewVersions [v1]", h.get("admissionReviewVersions"))
    report(h.get("failurePolicy") == "Fail", "webhook: failurePolicy is Fail by default", h.get("failurePolicy"))
    report(h.get("timeoutSeconds") == 10 and go_duration(a.get("request-timeout")) < h["timeoutSeconds"],
           "webhook: timeoutSeconds 10, above the server's --request-timeout", [h.get("timeoutSeconds"), a.get("request-timeout")])
    report(h.get("reinvocationPolicy") == "IfNeeded", "webhook: reinvocationPolicy IfNeeded", h.get("reinvocationPolicy"))
    cs = h["clientConfig"].get("service") or {}
    report(cs == {"name": svc["metadata"]["name"], "namespace": NS, "path": "/mutate", "port": 443}
           and "url" not in h["clientConfig"], "webhook: clientConfig calls the Service at /mutate on 443", json.dumps(cs))
    nsel = h.get("namespaceSelector")
    report(not selects(nsel, ns_labels(NS)) and not selects(nsel, ns_labels("kube-system")),
           "webhook: the namespaceSelector leaves out the release's namespace and kube-system", json.dumps(nsel))
    report(selects(nsel, ns_labels("default")) and selects(nsel, ns_labels("my-app")),
           "webhook: the namespaceSelector selects other namespaces", json.dumps(nsel))
    osel = h.get("objectSelector")
    report(not selects(osel, labels), "webhook: the objectSelector leaves out the webhook's own pods", json.dumps([osel, labels]))
    report(selects(osel, {"app": "my-app"}) and selects(osel, {}), "webhook: the objectSelector selects other pods", json.dumps(osel))

    # The generated certificates, verified by openssl as the API server would verify the server.
    host = "%s.%s.svc" % (svc["metadata"]["name"], NS)
    data = secret["data"]
    report(secret.get("type") == "kubernetes.io/tls" and set(data) == {"tls.crt", "tls.key", "ca.crt"}
           and secret["metadata"].get("namespace") == NS,
           "generated: the Secret is kubernetes.io/tls with tls.crt, tls.key and ca.crt", json.dumps(sorted(data)))
    bundle, crt, key, ca = b64(h["clientConfig"]["caBundle"]), b64(data["tls.crt"]), b64(data["tls.key"]), b64(data["ca.crt"])
    report(len(pem_certs(bundle)) == 1 and bundle == ca, "generated: the caBundle is the Secret's ca.crt, one PEM certificate")
    r = openssl("x509", "-noout", "-ext", "basicConstraints", data=bundle)
    report(r.returncode == 0 and "CA:TRUE" in r.stdout, "generated: the caBundle is a CA certificate", r.stdout + r.stderr)
    why = verify(bundle, crt, host)
    report(why == "", "generated: the caBundle verifies the Secret's serving certificate for %s" % host, why)
    why = verify(bundle, crt, host + ".cluster.local")
    report(why == "", "generated: ... and for %s.cluster.local" % host, why)
    why = verify(bundle, crt, "rel-attestgate-webhook.other.svc")
    report(why != "", "generated: ... and not for another namespace's name", why)
    r1 = openssl("x509", "-noout", "-pubkey", data=crt)
    r2 = openssl("pkey", "-pubout", data=key)
    report(r1.returncode == 0 and r1.stdout == r2.stdout, "generated: tls.key is the serving certificate's key", r2.stderr)
    r = openssl("x509", "-noout", "-enddate", "-dateopt", "iso_8601", data=crt)
    end = datetime.datetime.strptime(r.stdout.strip().split("=", 1)[1], "%Y-%m-%d %H:%M:%SZ")
    stamp = datetime.datetime.strptime(secret["metadata"]["annotations"]["attestgate.io/tls-not-after"], "%Y-%m-%dT%H:%M:%SZ")
    days = (end - datetime.datetime.utcnow()).total_seconds() / 86400
    report(364 < days <= 365 and abs((end - stamp).total_seconds()) < 120,
           "generated: valid validityDays (365), as the Secret's attestgate.io/tls-not-after says", "%s %s" % (end, stamp))
    report(secret["metadata"]["annotations"].get("attestgate.io/tls-dns-names") == "%s,%s.cluster.local" % (host, host),
           "generated: the Secret records the DNS names it is for")
    report("annotations" not in mwc["metadata"] or "cert-manager.io/inject-ca-from" not in mwc["metadata"]["annotations"],
           "generated: no cainjector annotation")


def check_failure_ignore(w):
    _, h = the_webhook(load(os.path.join(w, "webhook-ignore.yaml")))
    report(h.get("failurePolicy") == "Ignore", "webhook.failurePolicy=Ignore is rendered", h.get("failurePolicy"))


def check_cert_manager(w):
    docs = load(os.path.join(w, "webhook-cert-manager.yaml"))
    cm = [d for d in docs if d["apiVersion"].startswith("cert-manager.io/")]
    bad = ["%s/%s: %s" % (d["kind"], d["metadata"]["name"], "; ".join(cert_manager_errors(d))) for d in cm if cert_manager_errors(d)]
    report(len(cm) == 4 and not bad, "certManager: the 2 Issuers and 2 Certificates are well-formed cert-manager.io/v1 objects",
           " | ".join(bad) or "%d objects" % len(cm))
    report(not [d for d in docs if d["kind"] == "Secret"], "certManager: the chart writes no Secret (cert-manager does)")
    dep, tpl, c = webhook_pod(docs)
    svc = one(docs, "Service", "rel-attestgate-webhook")
    mwc, h = the_webhook(docs)
    ref = (mwc["metadata"].get("annotations") or {}).get("cert-manager.io/inject-ca-from", "")
    cns, _, cname = ref.partition("/")
    certs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Certificate"}
    issuers = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Issuer"}
    cert = certs.get(cname)
    report(cns == NS and cert is not None and not cert["spec"].get("isCA"),
           "certManager: cert-manager.io/inject-ca-from names the serving Certificate (%s)" % ref)
    if cert is None:
        return
    vols = {v["name"]: v for v in tpl["spec"]["volumes"]}
    mount = next((m for m in c["volumeMounts"] if m["mountPath"] == "/etc/attestgate/tls"), {})
    report(vols.get(mount.get("name"), {}).get("secret", {}).get("secretName") == cert["spec"]["secretName"],
           "certManager: the pods mount the Certificate's Secret")
    host = "%s.%s.svc" % (svc["metadata"]["name"], NS)
    report(cert["spec"].get("dnsNames") == [host, host + ".cluster.local"],
           "certManager: the Certificate is for the Service's DNS names", cert["spec"].get("dnsNames"))
    report("server auth" in cert["spec"].get("usages", []) and cert["spec"].get("privateKey", {}).get("rotationPolicy") == "Always",
           "certManager: a server certificate, a new key at each renewal")
    report("caBundle" not in h["clientConfig"], "certManager: no caBundle in the chart (the cainjector writes it)")
    ca_issuer = issuers.get(cert["spec"]["issuerRef"]["name"]) if cert["spec"]["issuerRef"].get("kind", "Issuer") == "Issuer" else None
    ca_cert = next((d for d in certs.values() if ca_issuer and d["spec"]["secretName"] == ca_issuer["spec"].get("ca", {}).get("secretName")), None)
    root = issuers.get(ca_cert["spec"]["issuerRef"]["name"]) if ca_cert else None
    report(ca_issuer is not None and ca_cert is not None and ca_cert["spec"].get("isCA") is True
           and root is not None and "selfSigned" in root["spec"],
           "certManager: the chain is a self-signed Issuer, a CA Certificate and its CA Issuer that signs the serving one")
    docs = load(os.path.join(w, "webhook-issuer.yaml"))
    cert = one(docs, "Certificate")
    report(not [d for d in docs if d["kind"] == "Issuer"]
           and cert["spec"]["issuerRef"] == {"name": "corp-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
           and not cert_manager_errors(cert),
           "certManager with issuerRef: no chart CA, the Certificate uses the given issuer", json.dumps(cert["spec"]["issuerRef"]))


def check_options(w):
    docs = load(os.path.join(w, "webhook-options.yaml"))
    _, tpl, c = webhook_pod(docs)
    a = args_of(c)
    report(not [d for d in docs if d["kind"] == "PodDisruptionBudget"], "webhook.replicas=1: no PodDisruptionBudget (it would block drains)")
    report(a.get("tpm-access") == "devicePlugin" and a.get("device-plugin-resource") == "squat.ai/tpmrm0"
           and a.get("os-distro") == "Ubuntu" and a.get("os-version") == "22.04" and a.get("policy-name") == "azure-cvm-local",
           "webhook: the gate settings become its flags (policy, devicePlugin, resource, OS)", c["args"])
    report(tpl["spec"].get("nodeSelector") == {"kubernetes.io/os": "linux"} and tpl["spec"].get("priorityClassName") == "system-cluster-critical",
           "webhook: nodeSelector and priorityClassName from values")
    _, h = the_webhook(docs)
    nsel, osel = h["namespaceSelector"], h["objectSelector"]
    on = {"attestgate.io/webhook": "enabled"}
    report(selects(nsel, ns_labels("my-app", on)) and not selects(nsel, ns_labels("my-app"))
           and not selects(nsel, ns_labels("cert-manager", on)) and not selects(nsel, ns_labels(NS, on))
           and not selects(nsel, ns_labels("kube-system", on)),
           "webhook: the values' namespaceSelector and excludeNamespaces narrow it, the chart's exclusions stay", json.dumps(nsel))
    report(selects(osel, {"app": "x"}) and not selects(osel, {"app": "x", "tier": "system"})
           and not selects(osel, tpl["metadata"]["labels"]),
           "webhook: the values' objectSelector narrows it, its own pods stay out", json.dumps(osel))


def existing(src, mode):
    secret = one(load(src), "Secret")
    ann = secret["metadata"]["annotations"]
    if mode == "near-end":
        soon = datetime.datetime.utcnow() + datetime.timedelta(days=10)
        ann["attestgate.io/tls-not-after"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif mode == "other-dns":
        ann["attestgate.io/tls-dns-names"] = "old-name.%s.svc,old-name.%s.svc.cluster.local" % (NS, NS)
    print('{{- /* The Secret as the cluster has it (%s), instead of lookup. */ -}}' % mode)
    print('{{- define "test.existingSecret" -}}')
    print(json.dumps(secret))
    print('{{- end -}}')


def rotation(w):
    first = load(os.path.join(w, "webhook-generated.yaml"))
    old = one(first, "Secret")
    old_ca = b64(old["data"]["ca.crt"])
    host = "rel-attestgate-webhook.%s.svc" % NS
    docs = load(os.path.join(w, "webhook-reuse.yaml"))
    s, (_, h) = one(docs, "Secret"), the_webhook(docs)
    report(s["data"] == old["data"] and s["metadata"]["annotations"] == old["metadata"]["annotations"]
           and h["clientConfig"]["caBundle"] == old["data"]["ca.crt"],
           "generated upgrade: an existing Secret far from its end is kept, with its CA as the caBundle")
    for name, why in (("webhook-renew.yaml", "within renewBeforeDays of its end"), ("webhook-dns.yaml", "for other DNS names")):
        docs = load(os.path.join(w, name))
        s, (_, h) = one(docs, "Secret"), the_webhook(docs)
        bundle, crt = b64(h["clientConfig"]["caBundle"]), b64(s["data"]["tls.crt"])
        report(s["data"]["tls.crt"] != old["data"]["tls.crt"] and s["data"]["ca.crt"] != old["data"]["ca.crt"],
               "generated upgrade: a Secret %s gets a new CA and certificate" % why)
        report(len(pem_certs(bundle)) == 2 and b64(s["data"]["ca.crt"]) in bundle and old_ca.strip() in bundle
               and verify(bundle, crt, host) == "" and verify(bundle, b64(old["data"]["tls.crt"]), host) == "",
               "generated upgrade (%s): the caBundle trusts the new and the old certificate while the kubelet updates the file" % why)
        report(verify(b64(s["data"]["ca.crt"]), b64(old["data"]["tls.crt"]), host) != "",
               "generated upgrade (%s): the new Secret's ca.crt is the new CA only" % why)


def mount(render, d):
    """The Secret and ConfigMap of render as the kubelet mounts them: files behind a ..data symlink, swapped at once."""
    docs = load(render)
    stamp = "..%s" % datetime.datetime.utcnow().strftime("%Y_%m_%d_%H_%M_%S.%f")
    for sub, files in (("tls", {k: base64.b64decode(v) for k, v in one(docs, "Secret")["data"].items()}),
                       ("policies", {k: v.encode() for k, v in one(docs, "ConfigMap")["data"].items()})):
        top = os.path.join(d, sub)
        os.makedirs(os.path.join(top, stamp))
        for name, data in files.items():
            open(os.path.join(top, stamp, name), "wb").write(data)
            if not os.path.islink(os.path.join(top, name)):
                os.symlink(os.path.join("..data", name), os.path.join(top, name))
        os.symlink(stamp, os.path.join(top, "..data_tmp"))
        os.rename(os.path.join(top, "..data_tmp"), os.path.join(top, "..data"))
    for a in webhook_pod(docs)[2]["args"]:
        print(a.replace("/etc/attestgate/", d.rstrip("/") + "/"))


POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "app", "namespace": "my-app", "annotations": {"attestgate.io/inject": "true"}},
       "spec": {"containers": [{"name": "app", "image": "docker.io/library/busybox:1.36"}]}}


def review(argv):
    if not argv:
        print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": "7f0b2c3e-0000-4000-8000-000000000019", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "my-app",
            "operation": "CREATE", "userInfo": {"username": "test"}, "object": POD, "dryRun": False}}))
        return
    answer = json.load(open(argv[1]))
    docs = load(argv[2])
    a = args_of(webhook_pod(docs)[2])
    r = answer.get("response") or {}
    report(answer.get("apiVersion") == "admission.k8s.io/v1" and r.get("uid") == "7f0b2c3e-0000-4000-8000-000000000019"
           and r.get("allowed") is True and r.get("patchType") == "JSONPatch",
           "server with the chart's args: an annotated pod is allowed with a JSONPatch", json.dumps(answer)[:400])
    patch = json.loads(base64.b64decode(r.get("patch", "")) or "[]")
    gates = [op["value"] for op in patch if op.get("op") == "add" and isinstance(op.get("value"), dict)
             and op["value"].get("name") == "attestgate"]
    gates += [c for op in patch if isinstance(op.get("value"), list) for c in op["value"]
              if isinstance(c, dict) and c.get("name") == "attestgate" and "image" in c]
    policy = one(docs, "ConfigMap")["data"][a["policy-name"] + ".yaml"]
    want = "--policy-sha256=" + __import__("hashlib").sha256(policy.encode()).hexdigest()
    report(len(gates) == 1 and gates[0]["image"] == a["image"] and want in gates[0].get("args", []),
           "server with the chart's args: the gate it adds is the chart's image, pinning the ConfigMap's policy bytes",
           json.dumps(patch)[:600])


def main(argv):
    try:
        if argv[0] == "check":
            for f in (check_generated, check_failure_ignore, check_cert_manager, check_options):
                f(argv[1])
        elif argv[0] == "existing":
            existing(argv[1], argv[2])
            return 0
        elif argv[0] == "flags":
            flags = set()
            for f in argv[1:]:
                flags |= {a.split("=", 1)[0] for a in webhook_pod(load(f))[2]["args"] if a.startswith("--")}
            print("\n".join(sorted(flags)))
            return 0
        elif argv[0] == "mount":
            mount(argv[1], argv[2])
            return 0
        elif argv[0] == "review":
            review(argv[1:])
            if len(argv) == 1:
                return 0
        elif argv[0] == "rotation":
            rotation(argv[1])
        else:
            raise SystemExit(__doc__)
    except (LookupError, KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        report(False, "the webhook renders have the objects the checks read", "%s: %s" % (type(e).__name__, e))
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
