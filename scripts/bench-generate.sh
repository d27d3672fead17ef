#!/usr/bin/env bash
# Times the whole `meshctl manifest generate` process (default profile) with hyperfine, against
# `meshctl version` (process start-up, the baseline measured in the same run), and, when a `helm`
# binary and Istio's chart sources are given, against `helm template` of base + istiod + ingress.
#
#   scripts/bench-generate.sh [ISTIO_CHARTS_DIR]
#
# ISTIO_CHARTS_DIR is an Istio 1.30.3 `manifests/charts` folder (not part of this repository); it
# must hold base/, istio-control/istio-discovery/ and gateways/istio-ingress/.
#
# Environment:
#   CARGO_TARGET_DIR  where cargo builds (default: target/); the release binary is read from there
#   MESHCTL           a meshctl binary to time instead of building one (e.g. while the tree is mid-edit)
#   HELM              the helm binary (default: `helm` on PATH); only needed with ISTIO_CHARTS_DIR
#   RUNS, WARMUP      hyperfine runs and warm-up runs per command (default: 50 and 5)
#
# Writes <target>/bench-generate.md and .json, prints the table, the load average before and after
# the run (the machine is shared, so judge the figures by it) and, with charts, the helm/meshctl ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)"; exit 2; }
target=${CARGO_TARGET_DIR:-target}
if [ -n "${MESHCTL:-}" ]; then
  bin=$MESHCTL
else
  cargo build --release -q -p meshctl
  bin=$target/release/meshctl
fi
[ -x "$bin" ] || { echo "$bin is not an executable"; exit 2; }
runs=${RUNS:-50}
warmup=${WARMUP:-5}
cmds=("$bin version" "$bin manifest generate")
charts=${1:-}
if [ -n "$charts" ]; then
  helm=${HELM:-helm}
  command -v "$helm" >/dev/null || { echo "no helm binary: put helm on PATH or set HELM=/path/to/helm"; exit 2; }
  for chart in base istio-control/istio-discovery gateways/istio-ingress; do
    [ -f "$charts/$chart/Chart.yaml" ] || { echo "$charts/$chart/Chart.yaml not found"; exit 2; }
  done
  "$helm" version --short
  h=$(printf '%q' "$helm")
  c=$(printf '%q' "$charts")
  # Braces so the redirection below applies to all three renders, not only the last one.
  cmds+=("{ $h template istio-base $c/base -n istio-system; $h template istiod $c/istio-control/istio-discovery -n istio-system; $h template istio-ingress $c/gateways/istio-ingress -n istio-system; }")
fi
mkdir -p "$target"
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
echo "load before: $(load)"
hyperfine --warmup "$warmup" --runs "$runs" --shell=bash \
  --export-markdown "$target/bench-generate.md" --export-json "$target/bench-generate.json" \
  "${cmds[@]/%/ > /dev/null}"
echo "load after:  $(load)"
cat "$target/bench-generate.md"
# From the JSON export: the generate work net of process start-up, and helm over meshctl.
if command -v python3 >/dev/null; then
  python3 - "$target/bench-generate.json" <<'EOF'
import json, sys
means = [r["mean"] for r in json.load(open(sys.argv[1]))["results"]]
start, mesh = means[0], means[1]
print(f"meshctl manifest generate net of start-up: {(mesh - start) * 1e3:.2f} ms")
if len(means) > 2:
    print(f"helm template (3 charts) / meshctl manifest generate, whole process: {means[2] / mesh:.1f}x")
EOF
fi
