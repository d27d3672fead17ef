#!/usr/bin/env bash
# Install wall time against a real API server (../shared/tools/kube), side by side in one run:
# `meshctl install` vs `kubectl apply -f` of the same manifest followed by `kubectl wait`, each on
# a fresh server with the controller manager and a kubelet stand-in that marks Pods ready.
# Prints a Markdown table of medians (the README's table comes from it).
#   scripts/bench-install.sh              # default and demo, 3 rounds each
#   ROUNDS=5 PROFILES=minimal scripts/bench-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export MESH_REQUIRE_KUBE=1
cargo test --release --locked -p meshctl --test e2e bench::install_wall_time_against_kubectl_apply \
  -- --ignored --nocapture --test-threads=1
