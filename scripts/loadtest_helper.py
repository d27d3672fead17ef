#!/usr/bin/env python3
"""Helper of scripts/loadtest.sh.

  loadtest_helper.py bodies DIR        write the request bodies (one valid review, malformed ones)
  loadtest_helper.py summary FILE...   print latency / status / error figures of oha JSON reports
  loadtest_helper.py settings DIR      write small injector settings (when the reference is absent)
  loadtest_helper.py histogram FILE    server-side latency quantiles from a /metrics scrape
"""

import json
import os
import sys


def pod():
    """A pod as a Deployment's ReplicaSet creates it: two containers, probes, volumes."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "checkout-7c9d5b6f4-",
            "namespace": "shop",
            "labels": {
                "app": "checkout",
                "version": "v2",
                "pod-template-hash": "7c9d5b6f4",
            },
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "checkout-7c9d5b6f4",
                    "uid": "6f0c1f4e-2b7a-4c57-9d0e-2f1b7c3a9e10",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "serviceAccountName": "checkout",
            "containers": [
                {
                    "name": "checkout",
                    "image": "registry.example/shop/checkout:2.4.1",
                    "ports": [
                        {"name": "http", "containerPort": 8080},
                        {"name": "metrics", "containerPort": 9090},
                    ],
                    "env": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {"name": "DB_HOST", "value": "postgres.shop.svc.cluster.local"},
                    ],
                    "resources": {
                        "requests": {"cpu": "250m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "512Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                    "livenessProbe": {"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 10},
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/checkout"}],
                },
                {
                    "name": "log-shipper",
                    "image": "registry.example/infra/shipper:1.9",
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                },
            ],
            "volumes": [{"name": "config", "configMap": {"name": "checkout-config"}}],
        },
    }


def review(api_version="admission.k8s.io/v1"):
    return {
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "request": {
            "uid": "0f6a4a50-6d2e-4b1c-8f0e-6c1f3f5b2a77",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod(),
            "dryRun": False,
        },
    }


def bodies(out):
    os.makedirs(out, exist_ok=True)
    valid = json.dumps(review()).encode()
    files = {
        "review.json": valid,
        # Malformed inputs: every one must be answered and none may hurt the server.
        "bad-truncated.json": valid[: len(valid) // 2],
        "bad-garbage.json": bytes(range(256)) * 8,
        "bad-nested.json": b"[" * 100_000 + b"]" * 100_000,
        "bad-shape.json": json.dumps(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
             "request": {"uid": 7, "object": "not a pod"}}
        ).encode(),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def settings(out):
    os.makedirs(out, exist_ok=True)
    values = {
        "global": {
            "hub": "docker.io/istio",
            "tag": "1.30.3",
            "proxy": {"image": "proxyv2", "statusPort": 15020},
            "istioNamespace": "istio-system",
        }
    }
    with open(os.path.join(out, "values.json"), "w") as f:
        json.dump(values, f)
    with open(os.path.join(out, "mesh.yaml"), "w") as f:
        f.write("")
    with open(os.path.join(out, "inject-config.yaml"), "w") as f:
        f.write("policy: enabled\ndefaultTemplates: [sidecar]\ntemplates:\n  sidecar: built-in\n")


def ms(seconds):
    return "n/a" if seconds is None else f"{seconds * 1000:.3f} ms"


def summary(paths):
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        s = report.get("summary", {})
        p = report.get("latencyPercentiles", {})
        codes = report.get("statusCodeDistribution", {})
        errors = report.get("errorDistribution", {})
        answered = sum(codes.values())
        failed = sum(errors.values())
        print(f"{os.path.basename(path)}:")
        print(f"  requests answered: {answered}  transport errors: {failed}  "
              f"rate: {s.get('requestsPerSec', 0):.1f}/s")
        print(f"  latency p50 {ms(p.get('p50'))}  p99 {ms(p.get('p99'))}  "
              f"p99.9 {ms(p.get('p99.9'))}  max {ms(s.get('slowest'))}")
        print(f"  status codes: {json.dumps(codes, sort_keys=True)}")
        if errors:
            print(f"  errors: {json.dumps(errors, sort_keys=True)}")


def ramp(bound_ms, paths):
    """One line per step of a ramp (files named ramp-<rate>.json) and the highest rate whose
    requests were all answered with 200, at the rate asked, with p99 within the bound."""
    best = None
    print(f"ramp steps (p99 bound {bound_ms} ms):")
    for path in sorted(paths, key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0])):
        asked = int(path.rsplit("-", 1)[1].split(".")[0])
        with open(path) as f:
            report = json.load(f)
        s = report.get("summary", {})
        p99 = report.get("latencyPercentiles", {}).get("p99")
        codes = report.get("statusCodeDistribution", {})
        errors = sum(report.get("errorDistribution", {}).values())
        non_200 = sum(n for code, n in codes.items() if code != "200")
        achieved = s.get("requestsPerSec", 0)
        # Paced runs reach the asked rate within a few percent when the server keeps up.
        kept_up = achieved >= 0.95 * asked
        ok = p99 is not None and p99 * 1000 <= bound_ms and errors == 0 and non_200 == 0 and kept_up
        print(f"  {asked:>6}/s asked, {achieved:8.1f}/s answered, p99 {ms(p99)}, "
              f"non-200 {non_200}, transport errors {errors}: {'ok' if ok else 'over'}")
        if ok:
            best = asked if best is None else max(best, asked)
    print(f"highest sustained rate with p99 <= {bound_ms} ms: "
          f"{'none' if best is None else f'{best}/s'}")


def histogram(path):
    """Quantiles of sidecar_injection_time_seconds, as the upper bound of the bucket holding them."""
    buckets = []
    with open(path) as f:
        for line in f:
            if line.startswith("sidecar_injection_time_seconds_bucket{le=\""):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                count = int(float(line.rsplit(" ", 1)[1]))
                buckets.append((float("inf") if bound == "+Inf" else float(bound), count))
    total = buckets[-1][1] if buckets else 0
    if total == 0:
        print("server-side latency: no requests")
        return

    def quantile(q):
        for bound, count in buckets:
            if count >= q * total:
                return "> 10 s" if bound == float("inf") else f"<= {bound * 1000:g} ms"
        return "n/a"

    print(f"server-side latency (request read to answer, {total} requests): "
          f"p50 {quantile(0.5)}, p99 {quantile(0.99)}, p99.9 {quantile(0.999)}")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = sys.argv[1], sys.argv[2:]
    if command == "bodies":
        bodies(args[0])
    elif command == "settings":
        settings(args[0])
    elif command == "histogram":
        histogram(args[0])
    elif command == "summary":
        summary(args)
    elif command == "ramp":
        ramp(float(args[0]), args[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
