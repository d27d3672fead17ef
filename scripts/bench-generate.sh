#!/usr/bin/env bash
# Times whole processes side by side, in interleaved rounds (one run of each command per round,
# so a change of machine speed during the run hits all of them alike):
#
#   meshctl version               process start-up, the floor of any meshctl command
#   cat <manifest>                reading and writing the same YAML text, the floor of any tool
#   meshctl manifest generate     the default profile
#   helm template                 Istio's base + istiod + ingress charts, three processes in a row
#                                 (when a helm binary and the charts are found)
#
# and prints min / median / max of each (wall and CPU time), its peak memory (one more run under
# GNU time), the helm/meshctl ratio of each round and the ratio of the medians, and the load
# average before and after.
#
#   scripts/bench-generate.sh [ISTIO_CHARTS_DIR]
#
# ISTIO_CHARTS_DIR is an Istio 1.30.3 `manifests/charts` folder (not part of this repository) with
# base/, istio-control/istio-discovery/ and gateways/istio-ingress/; default: the one under
# ../shared/reference when present.
#
# Environment:
#   CARGO_TARGET_DIR  where cargo builds (default: target/); the binary is built as shipped: the
#                     `dist` profile (fat LTO, see Cargo.toml) for the static musl target
#                     (<arch>-unknown-linux-musl), and read from there
#   MESH_TARGET       another target triple to build for (the host's, say, for the glibc build)
#   MESHCTL           a meshctl binary to time instead of building one
#   HELM              the helm binary (default: `helm` on PATH, else ../shared/tools/get-helm.sh
#                     with its cache in ~/.cache/mesh-helm)
#   ROUNDS, WARMUP    counted and uncounted rounds (default: 30 and 3)
#
# Needs bash and python3 only. Writes <target>/bench-generate.md (the table) besides printing it.
set -euo pipefail
# Paths given relative to the caller's folder, made absolute before moving to the repository.
abs() { [ -z "$1" ] || echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
charts=$(abs "${1:-}")
meshctl=$(abs "${MESHCTL:-}")
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
if [ -n "$meshctl" ]; then
  bin=$meshctl
else
  triple=${MESH_TARGET:-$(uname -m)-unknown-linux-musl}
  if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$triple" ]; then
    echo "the $triple target is missing: rustup target add $triple (and Debian's musl-tools for the C parts), or set MESH_TARGET or MESHCTL"
    exit 2
  fi
  cargo build --profile dist --target "$triple" -q -p meshctl
  bin=$target/$triple/dist/meshctl
fi
[ -x "$bin" ] || { echo "$bin is not an executable"; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed"; exit 2; }
mkdir -p "$target"

if [ -z "$charts" ] && [ -d ../shared/reference/istio-1.30.3/manifests/charts ]; then
  charts=../shared/reference/istio-1.30.3/manifests/charts
fi
helm=""
if [ -n "$charts" ]; then
  for chart in base istio-control/istio-discovery gateways/istio-ingress; do
    [ -f "$charts/$chart/Chart.yaml" ] || { echo "$charts/$chart/Chart.yaml not found"; exit 2; }
  done
  if [ -n "${HELM:-}" ]; then
    helm=$HELM
  elif command -v helm >/dev/null; then
    helm=$(command -v helm)
  elif [ -x ../shared/tools/get-helm.sh ]; then
    helm=$(../shared/tools/get-helm.sh "$HOME/.cache/mesh-helm")
  fi
  [ -n "$helm" ] || { echo "no helm binary: put helm on PATH or set HELM=/path/to/helm"; exit 2; }
  echo "helm: $("$helm" version --short)"
else
  echo "no Istio charts folder given or found: timing meshctl only"
fi

# The manifest `cat` prints: the very output of the command timed.
manifest=$target/bench-generate.yaml
"$bin" manifest generate > "$manifest"

exec python3 - "$bin" "$manifest" "$target/bench-generate.md" "${ROUNDS:-30}" "${WARMUP:-3}" \
  "$helm" "$charts" <<'EOF'
import os, shutil, statistics, sys, tempfile, time

bin_, manifest, report, rounds, warmup, helm, charts = sys.argv[1:8]
rounds, warmup = int(rounds), int(warmup)

# Each entry: a label and the processes it runs one after the other.
commands = [
    ("meshctl version", [[bin_, "version"]]),
    ("cat (same YAML)", [["cat", manifest]]),
    ("meshctl manifest generate", [[bin_, "manifest", "generate"]]),
]
if helm:
    ns = ["-n", "istio-system"]
    commands.append(("helm template (3 charts)", [
        [helm, "template", "istio-base", f"{charts}/base"] + ns,
        [helm, "template", "istiod", f"{charts}/istio-control/istio-discovery"] + ns,
        [helm, "template", "istio-ingress", f"{charts}/gateways/istio-ingress"] + ns,
    ]))

# Started with posix_spawn (no copy of this process) and reaped with wait4, which gives the CPU
# time. The wall time runs from just before the spawn to just after the reaping.
NULL_IO = [
    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
]

def spawn(argv):
    path = shutil.which(argv[0])
    if path is None:
        sys.exit(f"{argv[0]}: not found")
    start = time.perf_counter()
    pid = os.posix_spawn(path, argv, os.environ, file_actions=NULL_IO)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(argv)} exited with {code}")
    return wall, usage.ru_utime + usage.ru_stime

def run(argvs):
    """Wall and CPU seconds (user + system) of running argvs in turn."""
    wall = cpu = 0.0
    for argv in argvs:
        w, c = spawn(argv)
        wall += w
        cpu += c
    return wall, cpu

def peak_mib(argvs):
    """The largest peak RSS of argvs, in MiB, as GNU time reports it; None without it. (A
    process started from this one would report at least this one's peak: Linux keeps the
    largest RSS of the memory a process had before exec.)"""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    peak = 0
    for argv in argvs:
        with tempfile.NamedTemporaryFile("r") as out:
            spawn(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv)
            peak = max(peak, int(out.read().split()[-1]))
    return peak / 1024

def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])

load_before = load()
print(f"load average before: {load_before}")
samples = {label: [] for label, _ in commands}
for i in range(warmup + rounds):
    for label, argvs in commands:
        result = run(argvs)
        if i >= warmup:
            samples[label].append(result)
load_after = load()
print(f"load average after:  {load_after}")

def spread(values, scale=1.0, fmt="{:.2f}"):
    return " / ".join(fmt.format(v * scale) for v in (min(values), statistics.median(values), max(values)))

lines = [
    f"{rounds} interleaved rounds after {warmup} warm-up rounds; min / median / max; "
    f"load average {load_before} before, {load_after} after",
    "",
    "| command | wall ms | CPU ms | peak RSS MiB |",
    "|---|---|---|---|",
]
for label, argvs in commands:
    s = samples[label]
    peak = peak_mib(argvs)
    lines.append(
        f"| {label} | {spread([w for w, _ in s], 1e3)} | {spread([c for _, c in s], 1e3)} "
        f"| {'n/a' if peak is None else f'{peak:.1f}'} |"
    )
mesh = samples["meshctl manifest generate"]
start = statistics.median(w for w, _ in samples["meshctl version"])
lines.append("")
lines.append(f"meshctl manifest generate net of start-up (median wall): "
             f"{(statistics.median(w for w, _ in mesh) - start) * 1e3:.2f} ms")
if helm:
    h = samples["helm template (3 charts)"]
    per_round = [hw / mw for (hw, _), (mw, _) in zip(h, mesh)]
    medians = statistics.median(w for w, _ in h) / statistics.median(w for w, _ in mesh)
    cpu = statistics.median(c for _, c in h) / statistics.median(c for _, c in mesh)
    lines.append(f"helm template / meshctl manifest generate, wall, per round: "
                 f"{spread(per_round, 1, '{:.0f}x')}; ratio of the medians: {medians:.0f}x "
                 f"(CPU time: {cpu:.0f}x)")
text = "\n".join(lines)
print(text)
with open(report, "w") as f:
    f.write(text + "\n")
EOF
