#!/usr/bin/env bash
# Seeded differential test of `meshctl manifest generate` against Istio 1.30.3's charts.
#   scripts/differential.sh N SEED [--keep DIR] [--jobs J]
# Finds meshctl ($MESHCTL, else target/release/meshctl, else on PATH) and the shared tools
# ($MESH_TOOLS, else ../shared/tools next to the checkout); see scripts/differential.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${MESHCTL:-}
if [[ -z $cli ]]; then
  for c in "${CARGO_TARGET_DIR:-$root/target}/release/meshctl" "$root/target/release/meshctl"; do
    [[ -x $c ]] && { cli=$c; break; }
  done
fi
cli=${cli:-$(command -v meshctl || true)}
[[ -n $cli ]] || { echo "meshctl not found: build it (cargo build --release -p meshctl) or set MESHCTL" >&2; exit 2; }
tools=${MESH_TOOLS:-$root/../shared/tools}
[[ -f $tools/reference-render/render.sh ]] || { echo "reference-render not found under $tools: set MESH_TOOLS" >&2; exit 2; }
exec python3 "$root/scripts/differential.py" --cli "$cli" --tools "$tools" "$@"
