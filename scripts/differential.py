#!/usr/bin/env python3
"""Seeded differential tester: `meshctl manifest generate ARGS` against Istio 1.30.3's own charts.

  differential.py N SEED [--keep DIR] [--jobs J] [--cli MESHCTL] [--tools DIR] [--baseline MESHCTL]
                  [--only I,J,...] [--print-args] [--examples K]

For draw i (0 <= i < N) a generator seeded with (SEED, i) picks istioctl arguments over the whole
input space: profile, revision, compatibilityVersion, hub/tag, component enablement (base, pilot,
CNI, ztunnel), gateway component lists and the values switches that enable gateways, meshConfig
entries, and leaves of the charts' values (read from the charts' values.yaml: the default's type
gives the kind of value drawn), given as --set flags or in -f files. Istio's expected output is
rendered by reference-render (Helm + Istio's charts through an emulation of istioctl's merging);
meshctl's output is compared with it by the rules of conformance.py (object for object, in order).
Inputs both refuse (reference-render fails and meshctl exits 2) agree. Draw i does not depend on N,
so a larger N only adds draws.

The summary groups disagreements into classes (the kinds and field paths that differ, or the
refusal), each with its count and the shortest example's arguments. With --keep every draw's case
folder (args, files, expected.yaml, got.yaml, diff.txt) is kept under DIR.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOOLS = os.path.normpath(os.path.join(HERE, "../../shared/tools"))

PROFILES = ["default", "demo", "minimal", "empty", "ambient", "preview", "remote", "stable",
            "openshift", "openshift-ambient"]

# istiod chart top-level keys that are istioctl `values.<key>` (the rest are `values.pilot.<key>`).
# `pdb` is read by the istiod chart at its top level but istioctl's values schema has no `values.pdb`
# (istioctl refuses it): it is given as `values.pilot.pdb`, which the chart's descoping lifts.
ISTIOD_TOP = {"global", "meshConfig", "revision", "revisionTags", "sidecarInjectorWebhook", "istiodRemote",
              "telemetry", "base", "gateways", "gatewayClasses", "experimental", "ownerName"}
# chart keys the generator leaves to dedicated draws (revision) or does not set (ownerName).
SKIP_TOP = {"revision", "ownerName", "meshConfig"}

# Typed samples for leaves whose default is an empty map or list, by the leaf's last key.
STRUCTURED = {
    "affinity": [{"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}}],
    "tolerations": [[{"key": "dedicated", "operator": "Equal", "value": "mesh", "effect": "NoSchedule"}],
                    [{"operator": "Exists"}]],
    "topologySpreadConstraints": [[{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                    "whenUnsatisfiable": "ScheduleAnyway",
                                    "labelSelector": {"matchLabels": {"app": "istiod"}}}]],
    "volumes": [[{"name": "extra", "emptyDir": {}}]],
    "volumeMounts": [[{"name": "extra", "mountPath": "/etc/extra"}]],
    "seccompProfile": [{"type": "RuntimeDefault"}],
    "seLinuxOptions": [{"type": "spc_t"}],
    "securityContext": [{"runAsNonRoot": True}],
    "dnsConfig": [{"options": [{"name": "ndots", "value": "2"}]}],
    "autoscaleBehavior": [{"scaleDown": {"stabilizationWindowSeconds": 300}}],
    "envVarFrom": [[{"name": "FROM_FIELD", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]],
    "initContainers": [[{"name": "init", "image": "busybox", "command": ["true"]}]],
    "extraContainerArgs": [["--log_output_level=default:debug"], ["--a=b", "--c"]],
    "ipFamilies": [["IPv4"], ["IPv4", "IPv6"]],
    "imagePullSecrets": [["regcred"], ["a", "b"]],
    "certSigners": [["clusterissuers.cert-manager.io/istio-ca"]],
    "excludeNamespaces": [["kube-system", "other"]],
    "revisionTags": [["prod"], ["prod", "stable"]],
    "neverInjectSelector": [[{"matchExpressions": [{"key": "openshift.io/build.name", "operator": "Exists"}]}]],
    "alwaysInjectSelector": [[{"matchLabels": {"inject": "always"}}]],
    "defaultTemplates": [["sidecar"]],
    "templates": [{"custom": "metadata:\n  labels:\n    custom: \"true\"\n"}],
    "meshNetworks": [{"network1": {"endpoints": [{"fromRegistry": "cluster1"}],
                                   "gateways": [{"address": "1.1.1.1", "port": 15443}]}}],
    "memory": [{"targetAverageUtilization": 70}],
    "gatewayClasses": [{"istio": {"service": {"spec": {"type": "ClusterIP"}}}}],
    "resourceQuotas": [{"enabled": True, "pods": 100}],
    "memoryQuota": [{"memory": "1Gi"}],
    "multiCluster": [{"clusterName": "c1"}],
    "additionalContainers": [[{"name": "helper", "image": "busybox", "args": ["sleep", "3600"]}]],
    "podAntiAffinityLabelSelector": [[{"key": "security", "operator": "In", "values": "S1,S2",
                                       "topologyKey": "kubernetes.io/hostname"}]],
    "podAntiAffinityTermLabelSelector": [[{"key": "app", "operator": "In", "values": "gw",
                                           "topologyKey": "topology.kubernetes.io/zone"}]],
    "secretVolumes": [[{"name": "certs", "secretName": "gw-certs", "mountPath": "/etc/certs"}]],
    "configVolumes": [[{"name": "cfg", "configMapName": "gw-cfg", "mountPath": "/etc/cfg"}]],
    "ingressPorts": [[{"port": 8443, "name": "https-dns"}]],
    "defaultTolerations": [[{"key": "gw", "operator": "Exists", "effect": "NoSchedule"}]],
    "loadBalancerSourceRanges": [["10.0.0.0/8"]],
    "ports": None,  # list of maps with a default: mutated (see _mutate_list)
}

# Leaves Istio 1.30's charts read that their values.yaml leaves out (commented or absent): (path, default).
EXTRA_LEAVES = [
    (["values", "pilot", "trafficDistribution"], "PreferClose"),
    (["values", "base", "validationFailurePolicy"], "Ignore"),
    (["values", "pilot", "pdb", "maxUnavailable"], 1),
    (["values", "global", "proxy", "variant"], ""),
    (["values", "gateways", "istio-ingressgateway", "replicaCount"], 1),
    (["values", "gateways", "istio-egressgateway", "replicaCount"], 1),
    (["values", "global", "platform"], ""),
    (["values", "global", "ipFamilyPolicy"], ""),
    (["values", "global", "ipFamilies"], []),
    (["values", "pilot", "env", "PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER"], True),
    (["values", "pilot", "env", "EXTERNAL_CA"], ""),
    (["values", "pilot", "taint", "enabled"], False),
    (["values", "istiodRemote", "enabledLocalInjectorIstiod"], False),
]

# String leaves with a known set of values.
ENUMS = {
    "variant": ["", "distroless", "debug"],
    "imagePullPolicy": ["Always", "IfNotPresent", "Never"],
    "pullPolicy": ["Always", "IfNotPresent", "Never"],
    "resourceScope": ["all", "cluster", "namespace"],
    "ipFamilyPolicy": ["SingleStack", "PreferDualStack", "RequireDualStack"],
    "reinvocationPolicy": ["Never", "IfNeeded"],
    "autoInject": ["enabled", "disabled"],
    "logLevel": ["trace", "debug", "info", "warning", "error", "off"],
    "tracer": ["none", "zipkin"],
    "pilotCertProvider": ["istiod", "kubernetes", "custom"],
    "provider": ["default", "multus"],
    "unhealthyPodEvictionPolicy": ["IfHealthyBudget", "AlwaysAllow"],
    "type": ["ClusterIP", "LoadBalancer", "NodePort"],
    "dnsPolicy": ["ClusterFirst", "ClusterFirstWithHostNet", "Default"],
    "platform": ["", "gke", "k3d", "k3s", "microk8s", "minikube", "openshift"],
    "level": ["default:info", "default:debug", "all:warn"],
    "componentLogLevel": ["misc:error", "misc:debug"],
    "rollingMaxSurge": ["100%", "1", "50%"],
    "rollingMaxUnavailable": ["25%", "0", "1"],
    "externalTrafficPolicy": ["Local", "Cluster"],
    "trafficDistribution": ["PreferClose", "PreferSameZone"],
    "validationFailurePolicy": ["Ignore", "Fail"],
    "keepaliveMaxServerConnectionAge": ["30m", "1h", "90s"],
}

QUANTITY = re.compile(r"^[0-9.]+(m|Mi|Gi|Ki|G|M|)$")

# meshConfig entries: (path, sampler).
MESHCONFIG = [
    ("accessLogFile", lambda r: r.choice(["/dev/stdout", ""])),
    ("accessLogEncoding", lambda r: r.choice(["TEXT", "JSON"])),
    ("accessLogFormat", lambda r: "[%START_TIME%] %REQ(:METHOD)%"),
    ("enableTracing", lambda r: r.choice([True, False])),
    ("enableAutoMtls", lambda r: r.choice([True, False])),
    ("enablePrometheusMerge", lambda r: r.choice([True, False])),
    ("trustDomain", lambda r: r.choice(["cluster.local", "example.org"])),
    ("trustDomainAliases", lambda r: ["old.example.org"]),
    ("outboundTrafficPolicy.mode", lambda r: r.choice(["ALLOW_ANY", "REGISTRY_ONLY"])),
    ("ingressClass", lambda r: "custom"),
    ("ingressControllerMode", lambda r: r.choice(["DEFAULT", "STRICT", "OFF"])),
    ("rootNamespace", lambda r: "istio-config"),
    ("defaultConfig.holdApplicationUntilProxyStarts", lambda r: r.choice([True, False])),
    ("defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE", lambda r: r.choice(["true", "false"])),
    ("defaultConfig.proxyMetadata.CUSTOM_VAR", lambda r: r.choice(["x", "1", "yes"])),
    ("defaultConfig.tracing.sampling", lambda r: r.choice([1.5, 100, 10])),
    ("defaultConfig.concurrency", lambda r: r.choice([0, 2])),
    ("defaultConfig.discoveryAddress", lambda r: "istiod.istio-system.svc:15012"),
    ("defaultConfig.terminationDrainDuration", lambda r: r.choice(["5s", "30s"])),
    ("defaultConfig.gatewayTopology.numTrustedProxies", lambda r: r.choice([1, 2])),
    ("extensionProviders", lambda r: [{"name": "otel", "opentelemetry": {"service": "otel.observability.svc",
                                                                           "port": 4317}}]),
    ("defaultProviders.metrics", lambda r: ["prometheus"]),
    ("localityLbSetting.enabled", lambda r: r.choice([True, False])),
    ("protocolDetectionTimeout", lambda r: r.choice(["100ms", "0s"])),
    ("discoverySelectors", lambda r: [{"matchLabels": {"env": "prod"}}]),
    ("connectTimeout", lambda r: "5s"),
]


# --------------------------------------------------------------------------------------------------
# The values leaves, from the charts' values.yaml
# --------------------------------------------------------------------------------------------------

def _defaults(charts, rel):
    with open(os.path.join(charts, rel)) as f:
        d = yaml.safe_load(f)
    return d.get("_internal_defaults_do_not_set", d)


def _walk(d, path, out):
    for k, v in d.items():
        p = path + [str(k)]
        if isinstance(v, dict) and v:
            _walk(v, p, out)
        else:
            out.append((p, v))


def leaves(charts):
    """[(istioctl path as a list of keys, default value)], deduplicated, in a stable order."""
    out = []

    def add(rel, mapping):
        raw = []
        _walk(_defaults(charts, rel), [], raw)
        for p, v in raw:
            if p[0] in SKIP_TOP:
                continue
            m = mapping(p)
            if m is not None:
                out.append((m, v))

    add("base/values.yaml", lambda p: ["values"] + p)
    add("istio-control/istio-discovery/values.yaml",
        lambda p: ["values"] + p if p[0] in ISTIOD_TOP else ["values", "pilot"] + p)
    add("istio-cni/values.yaml", lambda p: ["values"] + p if p[0] == "global" else ["values", "cni"] + p)
    add("ztunnel/values.yaml", lambda p: ["values"] + p if p[0] == "global" else ["values", "ztunnel"] + p)
    add("gateways/istio-ingress/values.yaml", lambda p: ["values"] + p if p[0] == "gateways" else None)
    add("gateways/istio-egress/values.yaml", lambda p: ["values"] + p if p[0] == "gateways" else None)
    seen, uniq = set(), []
    for p, v in out:
        k = tuple(p)
        if k in seen:
            continue
        # hub/tag of every component and the gateways' names/labels are drawn separately
        if p[-1] in ("hub", "tag") and len(p) > 2 and p[1] != "global":
            continue
        seen.add(k)
        uniq.append((p, v))
    for p, v in EXTRA_LEAVES:
        if tuple(p) not in seen:
            seen.add(tuple(p))
            uniq.append((p, v))
    return uniq


# --------------------------------------------------------------------------------------------------
# Drawing values
# --------------------------------------------------------------------------------------------------

def _quantity(r, like):
    if like.endswith("m"):
        return r.choice(["50m", "100m", "250m", "1"])
    if like.endswith("Gi") or like.endswith("Mi"):
        return r.choice(["64Mi", "256Mi", "1Gi", "512Mi"])
    return r.choice(["1", "2", "500m"])


def draw_value(r, path, default):
    last = path[-1]
    if isinstance(default, bool):
        return not default if r.random() < 0.8 else default
    if isinstance(default, int):
        return r.choice([0, 1, 2, 3, 5, 10, 100, default + 1])
    if isinstance(default, float):
        return r.choice([0.5, 12.5, 100.0, 2.0, 1.0])
    if last in ENUMS:
        return r.choice(ENUMS[last])
    if isinstance(default, str):
        if default and QUANTITY.match(default):
            return _quantity(r, default)
        if default.startswith("/") or "Dir" in last or "Path" in last:
            return r.choice(["/opt/custom", "/var/run/custom"])
        if last in ("caAddress", "remotePilotAddress", "xdsAddress"):
            return r.choice(["istiod.example.svc:15012", "10.0.0.1"])
        if "Port" in last or "Ports" in last:
            return r.choice(["15000", "8080,9090", ""])
        if "IPRanges" in last:
            return r.choice(["10.0.0.0/8", "10.0.0.0/8,172.16.0.0/12", ""])
        return r.choice(["custom", "x-1", "example.org", "mesh-1", "true", "10"])
    if isinstance(default, dict) or isinstance(default, list):
        if last in STRUCTURED and STRUCTURED[last] is not None:
            return r.choice(STRUCTURED[last])
        if isinstance(default, list):
            if default and isinstance(default[0], dict):
                return _mutate_list(r, default)
            return r.choice([["a"], ["a", "b"], []])
        if "nnotation" in last or "abel" in last or last in ("nodeSelector", "env", "podAnnotations"):
            key = r.choice(["example.com/owner", "team", "FOO_BAR" if last == "env" else "tier"])
            return {key: r.choice(["mesh", "a-b", "1", "true"])}
        return {r.choice(["k1", "enabled"]): r.choice(["v", True, 1])}
    # default None (a leaf without default): a string
    return r.choice(["custom", "1"])


def _mutate_list(r, default):
    lst = json.loads(json.dumps(default))
    op = r.choice(["drop", "add", "change"])
    if op == "drop" and len(lst) > 1:
        lst.pop(r.randrange(len(lst)))
    elif op == "add":
        lst.append({"port": 31400, "targetPort": 31400, "name": "tcp", "protocol": "TCP"})
    else:
        e = lst[r.randrange(len(lst))]
        if "port" in e:
            e["port"] = e["port"] + 1
    return lst


def set_in(tree, path, value):
    cur = tree
    for k in path[:-1]:
        cur = cur.setdefault(k, {})
        if not isinstance(cur, dict):
            return
    cur[path[-1]] = value


def set_flags(path, value):
    """--set flags (istioctl path syntax) for value at path, or None when --set can't express it."""
    p = ".".join(k.replace(".", "\\.") for k in path)
    if isinstance(value, bool):
        return [p + "=" + ("true" if value else "false")]
    if isinstance(value, (int, float)):
        return [p + "=" + repr(value)]
    if isinstance(value, str):
        if value == "" or "," in value or "=" in value or "\n" in value or value in ("true", "false", "10", "1") and path[-1] not in (
                "level",):
            return None  # the --set parser would change the type or split the value
        return [p + "=" + value]
    if isinstance(value, list):
        if not value or not all(isinstance(x, str) and "," not in x and "=" not in x for x in value):
            return None
        return ["%s[%d]=%s" % (p, i, x) for i, x in enumerate(value)]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            sub = set_flags(path + [k], v)
            if sub is None:
                return None
            out += sub
        return out
    return None


def draw(seed, i, values_leaves):
    """(args, files) for draw i: files maps a file name to its YAML text."""
    r = random.Random("%s-%d" % (seed, i))
    settings = []  # (path list, value)
    if r.random() < 0.75:
        settings.append((["profile"], r.choice(PROFILES)))
    if r.random() < 0.15:
        settings.append((["revision"], r.choice(["canary", "1-30-3"])))
    if r.random() < 0.1:
        settings.append((["values", "compatibilityVersion"] if r.random() < 0.5 else ["compatibilityVersion"],
                         r.choice(["1.28", "1.29"])))
    if r.random() < 0.05:
        settings.append((["hub"], "registry.example.com/istio"))
    if r.random() < 0.05:
        settings.append((["tag"], "1.30.3-custom"))
    for comp, p in (("cni", 0.15), ("ztunnel", 0.12), ("base", 0.05), ("pilot", 0.04)):
        if r.random() < p:
            settings.append((["components", comp, "enabled"], r.random() < 0.7 if comp in ("cni", "ztunnel")
                             else r.random() < 0.3))
    for gw, p in (("ingressGateways", 0.15), ("egressGateways", 0.15)):
        if r.random() < p:
            n = r.choice([1, 1, 2])
            base = "istio-ingressgateway" if gw == "ingressGateways" else "istio-egressgateway"
            lst = []
            for j in range(n):
                e = {"name": base if j == 0 and r.random() < 0.6 else "%s-%d" % (base, j + 1),
                     "enabled": r.random() < 0.8}
                if r.random() < 0.3:
                    e["label"] = {"istio": "custom-%d" % j}
                if r.random() < 0.2:
                    e["namespace"] = r.choice(["istio-system", "istio-gateways"])
                if r.random() < 0.1:
                    e["hub"] = "registry.example.com/gw"
                lst.append(e)
            settings.append((["components", gw], lst))
    for sw in ("istio-ingressgateway", "istio-egressgateway"):
        if r.random() < 0.08:
            settings.append((["values", "gateways", sw, "enabled"], r.random() < 0.5))
    for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4])):
        path, default = values_leaves[r.randrange(len(values_leaves))]
        settings.append((list(path), draw_value(r, path, default)))
    if r.random() < 0.3:
        for _ in range(r.choice([1, 1, 2])):
            mp, fn = MESHCONFIG[r.randrange(len(MESHCONFIG))]
            prefix = ["meshConfig"] if r.random() < 0.7 else ["values", "meshConfig"]
            settings.append((prefix + mp.split("."), fn(r)))
    # each setting goes to --set when it can, else (or by chance) to a -f file
    use_file = r.random() < 0.3
    args, files, tree = [], {}, {}
    revision_flag = None
    for path, value in settings:
        flags = None if (use_file and r.random() < 0.7) else set_flags(path, value)
        if path == ["components", "ingressGateways"] or path == ["components", "egressGateways"]:
            flags = None if use_file else _list_flags(path, value)
        if path == ["revision"] and flags is not None and r.random() < 0.3:
            revision_flag = value
            continue
        if flags is None:
            set_in(tree, path, value)
        else:
            for f in flags:
                args += ["--set", f]
    if tree:
        doc = {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "spec": tree}
        files["input.yaml"] = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
        args = ["-f", "input.yaml"] + args
    if revision_flag:
        args += ["-r", revision_flag]
    return args, files


def _list_flags(path, lst):
    p = ".".join(path)
    out = []
    for i, e in enumerate(lst):
        for f in set_flags(["X"], e) or []:
            out.append("%s[%d]" % (p, i) + f[1:])
    return out


# --------------------------------------------------------------------------------------------------
# Running and comparing
# --------------------------------------------------------------------------------------------------

def norm_path(p):
    p = re.sub(r"\[\d+\]", "[]", p)
    p = re.sub(r'\["[^"]*"\]', "[k]", p)
    parts = p.split(".")
    return ".".join(parts[:4])


def compare(conf, want_text, got_text):
    """(equal, [class keys], [detail lines])."""
    want_docs = [d for d in conf.load_docs(want_text) if isinstance(d, dict)]
    got_docs = [d for d in conf.load_docs(got_text) if isinstance(d, dict)]
    want = collections.OrderedDict((conf.obj_id(d), d) for d in want_docs)
    got, dup = collections.OrderedDict(), []
    got_objs = []
    for d in got_docs:
        i = conf.obj_id(d)
        if d.get("kind") == "Namespace" and i[0] == "" and i not in want:
            continue
        got_objs.append(d)
        if i in got:
            dup.append(i)
        got[i] = d
    classes, details = set(), []
    for i in want:
        if i not in got:
            classes.add("missing %s" % i[1])
            details.append("missing " + conf.fmt_id(i))
    for i in got:
        if i not in want:
            classes.add("extra %s" % i[1])
            details.append("extra " + conf.fmt_id(i))
    for i in dup:
        classes.add("duplicate %s" % i[1])
    for i, w in want.items():
        if i not in got:
            continue
        ds = conf.diff_values(conf.normalise_manifest_object(w), conf.normalise_manifest_object(got[i]))
        for d in ds:
            path = d.split(": ", 1)[0]
            classes.add("%s %s" % (i[1], norm_path(path)))
            details.append("%s: %s" % (conf.fmt_id(i), d))
    if not classes:
        viol = conf.order_violations(got_objs)
        if viol:
            classes.add("order")
            details += ["order: " + v for v in viol]
    return not classes, sorted(classes), details


def run(cmd, cwd, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def refusal_class(err):
    line = next((ln for ln in err.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", "<q>", line)
    line = re.sub(r"\d+", "N", line)
    return line[:110]


def one(job):
    i, args, files, workdir, cli, render, conf, baseline = job
    case = os.path.join(workdir, "d%05d" % i)
    os.makedirs(case, exist_ok=True)
    with open(os.path.join(case, "args"), "w") as f:
        f.write("\n".join(args) + "\n")
    for name, text in files.items():
        with open(os.path.join(case, name), "w") as f:
            f.write(text)
    rrc, rout, rerr = run([render] + args, case)
    base_ok = None
    if baseline:
        brc, bout, berr = run([baseline, "manifest", "generate"] + args, case)
        if rrc != 0:
            base_ok = brc == 2
        elif brc == 0:
            try:
                base_ok = compare(conf, rout, bout)[0]
            except Exception:  # noqa: BLE001
                base_ok = False
        else:
            base_ok = False
    mrc, mout, merr = run([cli, "manifest", "generate"] + args, case)
    if rrc == 0:
        with open(os.path.join(case, "expected.yaml"), "w") as f:
            f.write(rout)
    with open(os.path.join(case, "got.yaml"), "w") as f:
        f.write(mout if mrc == 0 else merr)
    if rrc != 0 and mrc == 2:
        res = (True, ["both refuse"], [])
    elif rrc != 0:
        res = (False, ["istio refuses, mesh %s: %s" % ("accepts" if mrc == 0 else "exit %d" % mrc,
                                                         refusal_class(rerr.strip().splitlines()[-1:]
                                                                       and rerr.strip().splitlines()[-1] or ""))],
               ["reference-render: " + rerr.strip()[-400:]])
    elif mrc != 0:
        res = (False, ["mesh refuses (exit %d): %s" % (mrc, refusal_class(merr))], ["meshctl: " + merr.strip()[-400:]])
    else:
        try:
            res = compare(conf, rout, mout)
        except Exception as ex:  # noqa: BLE001
            res = (False, ["compare error: %s" % type(ex).__name__], [str(ex)])
    with open(os.path.join(case, "diff.txt"), "w") as f:
        f.write("\n".join(res[2]) + "\n")
    return i, args, files, res, base_ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("seed")
    ap.add_argument("--keep", help="keep every draw's case folder here")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cli", default=os.environ.get("MESHCTL", "meshctl"))
    ap.add_argument("--tools", default=os.environ.get("MESH_TOOLS", DEFAULT_TOOLS))
    ap.add_argument("--baseline", help="another meshctl scored on the same draws (e.g. an older build)")
    ap.add_argument("--only", help="comma-separated draw numbers to run (of 0..N-1)")
    ap.add_argument("--print-args", action="store_true", help="print the drawn arguments and stop")
    ap.add_argument("--examples", type=int, default=1, help="examples shown per class")
    a = ap.parse_args(argv)
    sys.path.insert(0, a.tools)
    import conformance as conf  # noqa: E402
    charts = os.path.join(a.tools, "../reference/istio-1.30.3/manifests/charts")
    render = os.path.join(a.tools, "reference-render/render.sh")
    vl = leaves(charts)
    idx = range(a.n) if not a.only else [int(x) for x in a.only.split(",")]
    draws = [(i,) + draw(a.seed, i, vl) for i in idx]
    if a.print_args:
        for i, args, files in draws:
            print(i, " ".join(args))
            for name, text in files.items():
                print("   %s:\n      %s" % (name, text.replace("\n", "\n      ")))
        return 0
    workdir = a.keep or tempfile.mkdtemp(prefix="differential-")
    os.makedirs(workdir, exist_ok=True)
    jobs = [(i, args, files, workdir, a.cli, render, conf, a.baseline) for i, args, files in draws]
    classes = collections.defaultdict(list)
    equal = refused = base_equal = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for i, args, files, (ok, cls, details), base_ok in ex.map(one, jobs):
            base_equal += bool(base_ok)
            if ok:
                equal += 1
                refused += cls == ["both refuse"]
                continue
            for c in cls:
                classes[c].append((i, args, files, details))
            print("draw %d: %s" % (i, "; ".join(cls)[:300]), flush=True)
    n = len(draws)
    print()
    print("seed %s: %d draws, %d equal (%.1f%%; %d of them refused by both), %d disagree" % (
        a.seed, n, equal, 100.0 * equal / max(n, 1), refused, n - equal))
    if a.baseline:
        print("baseline %s: %d equal (%.1f%%)" % (a.baseline, base_equal, 100.0 * base_equal / max(n, 1)))
    for c, hits in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print("  [%d] %s" % (len(hits), c))
        for i, args, files, details in sorted(hits, key=lambda h: len(" ".join(h[1]) + "".join(h[2].values())))[
                :a.examples]:
            print("      draw %d: %s" % (i, " ".join(args)))
            for name, text in files.items():
                print("        %s: %s" % (name, json.dumps(yaml.safe_load(text).get("spec"))))
            rel = [d for d in details if c.split(" ")[0] in d][:2] or details[:2]
            for d in rel:
                print("        " + d[:240])
    if not a.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
