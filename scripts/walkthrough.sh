#!/usr/bin/env bash
# walkthrough.sh -- mesh's seed workflow, end to end, against a throwaway Kubernetes API server:
#
#   1. start a real kube-apiserver (+ etcd, kube-controller-manager) on loopback
#   2. meshctl install --set profile=demo -y        (a kubelet stand-in marks Pods ready)
#   3. run mesh-webhook on 127.0.0.1 with the cluster's injector ConfigMaps
#   4. meshctl x webhook-manifest --url ... | kubectl apply -f -
#   5. kubectl label namespace default istio-injection=enabled; create a pod; it has istio-proxy
#
# Everything started is stopped on exit (trap). Nothing outside a temporary folder is touched:
# no cluster of yours is used (KUBECONFIG points at the throwaway server).
#
# Usage: scripts/walkthrough.sh
# Environment:
#   CARGO_TARGET_DIR   where to build meshctl and mesh-webhook (default: <repo>/target)
#   MESHCTL, MESH_WEBHOOK  use these binaries instead of building
#   MESH_KUBE_TOOLS    folder with start.sh/stop.sh (default: <repo>/../shared/tools/kube)
#   KEEP=1             keep the temporary folder (logs) after exit
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${MESH_KUBE_TOOLS:-$ROOT/../shared/tools/kube}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mesh-walkthrough.XXXXXX")
KAPI=$WORK/kapi
WEBHOOK_PID=
KUBELET_PID=

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD= PLAIN=; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
say() { printf '    %s\n' "$*"; }
# show CMD...: print the command as a user would type it, then run it
# quoted ARGS...: the arguments as they would be typed (single quotes where the shell needs them)
quoted() {
  local out= a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
  done
  printf '%s' "${out# }"
}
show() { printf '$ %s\n' "$(quoted "$@")"; "$@"; }
# show_to FILE CMD...: the same, with the command's output written to FILE
show_to() { local file=$1; shift; printf '$ %s > %s\n' "$(quoted "$@")" "$file"; "$@" > "$file"; }

cleanup() {
  local rc=$?
  set +e
  step "Cleaning up"
  if [ -n "$KUBELET_PID" ]; then
    # the loop and the commands it is running now (by PID)
    kill $(pgrep -P "$KUBELET_PID") "$KUBELET_PID" 2>/dev/null && say "stopped the kubelet stand-in"
  fi
  if [ -n "$WEBHOOK_PID" ]; then
    kill -TERM "$WEBHOOK_PID" 2>/dev/null && wait "$WEBHOOK_PID" 2>/dev/null
    say "stopped mesh-webhook (PID $WEBHOOK_PID)"
  fi
  if [ -f "$KAPI/apiserver.pid" ]; then "$TOOLS/stop.sh" "$KAPI" >/dev/null 2>&1 && say "stopped the API server"; fi
  if [ "${KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in kubectl curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is needed" >&2; exit 1; }
done
[ -x "$TOOLS/start.sh" ] || { echo "walkthrough: $TOOLS/start.sh not found (set MESH_KUBE_TOOLS)" >&2; exit 1; }

step "Building meshctl and mesh-webhook"
if [ -z "${MESHCTL:-}" ] || [ -z "${MESH_WEBHOOK:-}" ]; then
  TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
  show cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p meshctl -p mesh-webhook-bin
  MESHCTL=${MESHCTL:-$TARGET/debug/meshctl}
  MESH_WEBHOOK=${MESH_WEBHOOK:-$TARGET/debug/mesh-webhook}
fi
# The commands below read as in the README: meshctl and mesh-webhook on PATH.
mkdir -p "$WORK/bin"
ln -s "$MESHCTL" "$WORK/bin/meshctl"
ln -s "$MESH_WEBHOOK" "$WORK/bin/mesh-webhook"
export PATH="$WORK/bin:$PATH"
cd "$WORK"

step "Starting a Kubernetes API server with the controller manager (no kubelet, no scheduler)"
KAPI_CONTROLLERS=1 KAPI_KCM_CONTROLLERS='*,-node-lifecycle-controller' "$TOOLS/start.sh" "$KAPI" | sed 's/^/    /'
export KUBECONFIG=$KAPI/kubeconfig
show kubectl get namespaces

step "Starting a kubelet stand-in: it reports every Pod Running and Ready"
say "(there are no nodes; a loop patches each Pod's status the way a kubelet would)"
kubelet_standin() {
  while true; do
    kubectl get pods -A -o json 2>/dev/null | python3 -c '
import json, sys
now = "2026-01-01T00:00:00Z"
for pod in json.load(sys.stdin)["items"]:
    st = pod.get("status", {})
    if any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", [])):
        continue
    containers = pod["spec"].get("containers", [])
    status = {"status": {
        "phase": "Running", "podIP": "10.1.0.1", "startTime": now,
        "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                       for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
        "containerStatuses": [{"name": c["name"], "image": c.get("image", ""), "imageID": "",
                               "ready": True, "started": True, "restartCount": 0,
                               "state": {"running": {"startedAt": now}}} for c in containers],
    }}
    print(pod["metadata"]["namespace"], pod["metadata"]["name"], json.dumps(status))
' | while read -r ns name patch; do
      kubectl patch pod -n "$ns" "$name" --subresource=status --type=merge -p "$patch" >/dev/null 2>&1 || true
    done
    sleep 1
  done
}
kubelet_standin &
KUBELET_PID=$!

step "Installing Istio's demo profile with meshctl"
say "mesh-webhook serves injection in place of istiod's endpoint, so istiod's own injection"
say "webhook is left out (values.global.operatorManageWebhooks=true): both would inject, and"
say "istiod's, with failurePolicy Fail and no istiod pod actually running, would refuse every pod."
show meshctl install --set profile=demo --set values.global.operatorManageWebhooks=true -y
show kubectl -n istio-system get deployments

step "Taking the injector settings from the cluster (the ConfigMaps meshctl installed)"
show_to values.json kubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.data.values}'
show_to inject-config.yaml kubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.data.config}'
show_to mesh.yaml kubectl -n istio-system get configmap istio -o 'jsonpath={.data.mesh}'
say "values.json $(wc -c < values.json) bytes, inject-config.yaml $(wc -c < inject-config.yaml) bytes, mesh.yaml $(wc -c < mesh.yaml) bytes"

step "A serving certificate for 127.0.0.1 (self-signed: it is its own CA)"
show openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout tls.key -out tls.crt 2>/dev/null

step "Running mesh-webhook on loopback"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '$ mesh-webhook --listen 127.0.0.1:%s --tls-cert tls.crt --tls-key tls.key --values values.json --inject-config inject-config.yaml --mesh-config mesh.yaml &\n' "$PORT"
mesh-webhook --listen "127.0.0.1:$PORT" --tls-cert tls.crt --tls-key tls.key \
  --values values.json --inject-config inject-config.yaml --mesh-config mesh.yaml \
  > webhook.log 2>&1 &
WEBHOOK_PID=$!
for _ in $(seq 1 100); do
  curl -fsS --cacert tls.crt "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$WEBHOOK_PID" 2>/dev/null || { cat webhook.log >&2; echo "mesh-webhook exited" >&2; exit 1; }
  sleep 0.1
done
show curl -sS --cacert tls.crt "https://127.0.0.1:$PORT/readyz"
echo

step "Pointing the API server at it: mesh's webhook configuration, calling a URL"
show_to webhook.yaml meshctl x webhook-manifest --url "https://127.0.0.1:$PORT" --ca-file tls.crt
show kubectl apply -f webhook.yaml
kubectl get mutatingwebhookconfiguration mesh-webhook \
  -o 'jsonpath={range .webhooks[*]}    {.name} -> {.clientConfig.url}{"\n"}{end}'

step "Turning injection on for the default namespace"
show kubectl label namespace default istio-injection=enabled
say "waiting for the API server to pick up the webhook configuration..."
for _ in $(seq 1 100); do
  names=$(kubectl run probe --image=nginx --restart=Never --dry-run=server -o 'jsonpath={.spec.containers[*].name}' 2>/dev/null || true)
  case " $names " in *" istio-proxy "*) break ;; esac
  sleep 0.3
done

step "Creating a pod"
show kubectl run web --image=nginx --restart=Never
show kubectl get pod web -o 'jsonpath=containers: {.spec.containers[*].name}{"\n"}init containers: {.spec.initContainers[*].name}{"\n"}'
containers=$(kubectl get pod web -o 'jsonpath={.spec.containers[*].name}')
case " $containers " in
  *" istio-proxy "*) say "the pod carries the istio-proxy sidecar" ;;
  *) echo "walkthrough: the pod was not injected (containers: $containers)" >&2; cat webhook.log >&2; exit 1 ;;
esac
show kubectl get pod web -o 'jsonpath={.metadata.annotations.sidecar\.istio\.io/status}{"\n"}'

step "The same verdict offline: meshctl x check-inject"
kubectl run web --image=nginx --restart=Never --dry-run=client -o yaml > web-pod.yaml
show meshctl x check-inject -f web-pod.yaml -n default --namespace-labels istio-injection=enabled \
  --injectConfigFile inject-config.yaml --valuesFile values.json

step "What mesh-webhook logged"
grep -E 'pod injected|injection skipped' webhook.log | tail -3 | sed 's/^/    /'

step "The kubelet stand-in reports it running"
for _ in $(seq 1 50); do
  [ "$(kubectl get pod web -o 'jsonpath={.status.containerStatuses[*].ready}')" = "true true" ] && break
  sleep 0.2
done
show kubectl get pod web

step "Done: the pod was injected by mesh-webhook through the API server's admission chain"
