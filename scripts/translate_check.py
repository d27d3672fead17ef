#!/usr/bin/env python3
"""Checks `meshctl manifest translate` against Helm: runs the generated install.sh with a stand-in
`helm` that turns each `helm upgrade --install` into `helm template` of Istio's charts, and
compares what Helm renders with `meshctl manifest generate` for the same arguments, object for
object, by the rules of conformance.py. The labels naming the Helm release (`release`,
`app.kubernetes.io/instance`) are left out: istioctl renders every chart as release `istio`,
Helm needs a name per release.

  translate_check.py --cli MESHCTL --tools SHARED_TOOLS --helm HELM --charts CHARTS_DIR
                     [--cwd DIR] -- [meshctl arguments]

Gateways are left out on both sides: their releases use the `gateway` chart, which renders
other objects by design (README.md of the output says what differs); manifest generate's
objects of a gateway are those named after it (`<name>`, `<name>-service-account`,
`<name>-sds`) in its namespace.

Prints one line per difference and exits 1 when there is any.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

RELEASE_LABELS = ("release", "app.kubernetes.io/instance")

# The stand-in helm: `helm upgrade --install NAME CHART [flags]` becomes `helm template NAME CHART
# -n NS -f FILE...` appended to $RENDERED; every other command (version, repo) is answered here.
FAKE_HELM = r"""#!/usr/bin/env python3
import os, subprocess, sys
a = sys.argv[1:]
if a[:1] == ["version"]:
    print("v4.0.0"); sys.exit(0)
if a[:1] == ["repo"]:
    sys.exit(0)
assert a[:2] == ["upgrade", "--install"], a
name, chart, rest = a[2], a[3], a[4:]
if chart.rstrip("/").endswith("/gateway"):
    sys.exit(0)
cmd = [os.environ["REAL_HELM"], "template", name, chart, "--kube-version", "1.32.0"]
i = 0
while i < len(rest):
    if rest[i] in ("-n", "--namespace", "-f", "--values"):
        cmd += [rest[i], rest[i + 1]]; i += 2
    elif rest[i] == "--version":
        i += 2
    else:
        i += 1
with open(os.environ["RENDERED"], "a") as out:
    out.write("---\n# release %s chart %s\n" % (name, chart))
    out.flush()
    sys.exit(subprocess.run(cmd, stdout=out).returncode)
"""


def strip_release_labels(v):
    if isinstance(v, dict):
        for k, x in list(v.items()):
            if k == "labels" and isinstance(x, dict):
                for lk in RELEASE_LABELS:
                    x.pop(lk, None)
            strip_release_labels(x)
    elif isinstance(v, list):
        for x in v:
            strip_release_labels(x)
    return v


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--helm", required=True)
    ap.add_argument("--charts", required=True)
    ap.add_argument("--cwd", default=".")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args(argv)
    sys.path.insert(0, a.tools)
    import conformance as conf  # noqa: E402

    gen = subprocess.run([a.cli, "manifest", "generate"] + a.args, cwd=a.cwd, capture_output=True, text=True)
    if gen.returncode != 0:
        print("manifest generate failed: " + gen.stderr.strip())
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        tr = subprocess.run([a.cli, "manifest", "translate", "--output-dir", out] + a.args, cwd=a.cwd,
                            capture_output=True, text=True)
        if tr.returncode != 0:
            print("manifest translate failed: " + tr.stderr.strip())
            return 2
        script = open(os.path.join(out, "install.sh")).read()
        gateways = re.findall(r'helm upgrade --install (\S+) "\$\(chart gateway gateway\)" .* -n (\S+) ', script)
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        fake = os.path.join(bindir, "helm")
        with open(fake, "w") as f:
            f.write(FAKE_HELM)
        os.chmod(fake, 0o755)
        rendered = os.path.join(tmp, "rendered.yaml")
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""),
                   REAL_HELM=a.helm, RENDERED=rendered, ISTIO_CHARTS=a.charts)
        run = subprocess.run(["sh", os.path.join(out, "install.sh")], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print("install.sh failed: " + run.stderr.strip())
            return 2
        want_text = open(rendered).read() if os.path.exists(rendered) else ""
    want = {conf.obj_id(d): d for d in conf.load_docs(want_text) if isinstance(d, dict)}
    def of_gateway(d):
        md = d.get("metadata") or {}
        name, ns = str(md.get("name", "")), md.get("namespace")
        return any(ns == gns and (name == g or name.startswith(g + "-")) for g, gns in gateways)

    got = {conf.obj_id(d): d for d in conf.load_docs(gen.stdout)
           if isinstance(d, dict) and d.get("kind") != "Namespace" and not of_gateway(d)}
    problems = []
    for i in want:
        if i not in got:
            problems.append("only Helm renders " + conf.fmt_id(i))
    for i in got:
        if i not in want:
            problems.append("only manifest generate renders " + conf.fmt_id(i))
    for i, w in want.items():
        if i in got:
            w = strip_release_labels(conf.normalise_manifest_object(w))
            g = strip_release_labels(conf.normalise_manifest_object(got[i]))
            problems += ["%s: %s" % (conf.fmt_id(i), d) for d in conf.diff_values(w, g)]
    for p in problems:
        print(p)
    print("%d objects, %d differences (%d gateways left out)" % (len(want), len(problems), len(gateways)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
