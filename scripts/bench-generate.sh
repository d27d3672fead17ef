#!/usr/bin/env bash
# Times the whole `meshctl manifest generate` process (default profile) with hyperfine, against
# `meshctl version` (process start-up, the baseline measured in the same run), and, when a `helm`
# binary and Istio's chart sources are given, against `helm template` of base + istiod + ingress.
#
#   scripts/bench-generate.sh [ISTIO_CHARTS_DIR]
#
# ISTIO_CHARTS_DIR is an Istio 1.30.3 `manifests/charts` folder (not part of this repository).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)"; exit 2; }
cargo build --release -q -p mesh-examples --bin meshctl
bin=target/release/meshctl
cmds=("$bin version" "$bin manifest generate")
charts=${1:-}
if [ -n "$charts" ] && command -v helm >/dev/null; then
  cmds+=("helm template istio-base $charts/base -n istio-system; helm template istiod $charts/istio-control/istio-discovery -n istio-system; helm template istio-ingress $charts/gateways/istio-ingress -n istio-system")
fi
hyperfine --warmup 5 --runs 50 --shell=bash --export-markdown target/bench-generate.md "${cmds[@]/%/ > /dev/null}"
cat target/bench-generate.md
