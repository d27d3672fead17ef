#!/usr/bin/env bash
# Load test of mesh-webhook over TLS on 127.0.0.1 (release build).
#
#   scripts/loadtest.sh            1000 AdmissionReviews/s for 60 s, then 10 000 malformed requests
#   RAMP="1000 2000 4000" scripts/loadtest.sh
#                                  instead of the one rate, each rate of RAMP for RAMP_STEP s (default
#                                  20), and the highest rate answered in full with p99 <= P99_BOUND_MS
#                                  (default 2)
#
# Settings (environment): RATE (req/s, <= 5000), DURATION (s, <= 300), MALFORMED (total malformed
# requests, <= 50000), CONNECTIONS (<= 64), PORT (on 127.0.0.1), NICE (scheduling priority of the
# server and the load generator, -20..19, default 0; negative values need root and are useful on a
# machine shared with other work), MESH_TARGET (a target triple to build for, e.g.
# x86_64-unknown-linux-musl for the static build). The load generator is oha from
# crates.io (`cargo install oha --locked` when it is missing). Only 127.0.0.1 is ever targeted;
# every process the script starts is stopped when it exits.
set -euo pipefail

RATE=${RATE:-1000}
DURATION=${DURATION:-60}
MALFORMED=${MALFORMED:-10000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-19443}
NICE=${NICE:-0}
RAMP=$(echo ${RAMP:-})  # whitespace squeezed
RAMP_STEP=${RAMP_STEP:-20}
P99_BOUND_MS=${P99_BOUND_MS:-2}
HOST=127.0.0.1

die() { echo "loadtest: $*" >&2; exit 2; }
is_int() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in RATE DURATION MALFORMED CONNECTIONS PORT; do is_int "${!v}" || die "$v must be an integer"; done
((RATE >= 1 && RATE <= 5000)) || die "RATE must be 1..5000"
((DURATION >= 1 && DURATION <= 300)) || die "DURATION must be 1..300 seconds"
((MALFORMED >= 5 && MALFORMED <= 50000)) || die "MALFORMED must be 5..50000"
((CONNECTIONS >= 1 && CONNECTIONS <= 64)) || die "CONNECTIONS must be 1..64"
((PORT >= 1024 && PORT <= 65535)) || die "PORT must be 1024..65535"
[[ $NICE =~ ^-?[0-9]+$ ]] && ((NICE >= -20 && NICE <= 19)) || die "NICE must be -20..19"
for r in $RAMP; do
  is_int "$r" && ((r >= 1 && r <= 50000)) || die "RAMP rates must be integers 1..50000"
done
is_int "$RAMP_STEP" && ((RAMP_STEP >= 1 && RAMP_STEP <= 300)) || die "RAMP_STEP must be 1..300 seconds"
[[ $P99_BOUND_MS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "P99_BOUND_MS must be a number of milliseconds"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HELPER="$ROOT/scripts/loadtest_helper.py"
for tool in openssl python3 curl cargo; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
if ! command -v oha >/dev/null; then
  echo "== installing oha (cargo install oha --locked)"
  cargo install oha --locked >/dev/null || die "cargo install oha failed"
fi

# MESH_TARGET=x86_64-unknown-linux-musl: the static build (as shipped) instead of the host's.
if [[ -n ${MESH_TARGET:-} ]]; then
  echo "== building mesh-webhook (release, $MESH_TARGET)"
  (cd "$ROOT" && cargo build --release -q --target "$MESH_TARGET" -p mesh-webhook-bin)
  BIN="$TARGET_DIR/$MESH_TARGET/release/mesh-webhook"
else
  echo "== building mesh-webhook (release)"
  (cd "$ROOT" && cargo build --release -q -p mesh-webhook-bin)
  BIN="$TARGET_DIR/release/mesh-webhook"
fi
[[ -x $BIN ]] || die "$BIN not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mesh-webhook-loadtest.XXXXXX")
SERVER_PID=""
SAMPLER_PID=""
cleanup() {
  [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== certificate, settings and request bodies in $WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
SETTINGS="$ROOT/../shared/reference/settings/default"
if [[ -f $SETTINGS/values.json ]]; then
  echo "   injector settings: reference settings/default"
else
  SETTINGS="$WORK/settings"
  python3 "$HELPER" settings "$SETTINGS"
  echo "   injector settings: small embedded set (reference not found)"
fi
python3 "$HELPER" bodies "$WORK"

nice -n "$NICE" "$BIN" --listen "$HOST:$PORT" \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
  --values "$SETTINGS/values.json" --mesh-config "$SETTINGS/mesh.yaml" \
  --inject-config "$SETTINGS/inject-config.yaml" \
  --log-format json >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
URL="https://$HOST:$PORT"
for _ in $(seq 100); do
  curl -skf "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; die "server exited"; }
  sleep 0.1
done
curl -skf "$URL/readyz" >/dev/null || die "server not ready"

status_field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }
# RSS every second, for the record, without starting a process per sample (forks on a 2-core
# machine show up in the measured tail): bash builtins only, and a read timeout as the sleep.
(exec {tick}<> <(:)
 while kill -0 "$SERVER_PID" 2>/dev/null; do
   while read -r key value _; do
     [[ $key == VmRSS: ]] && echo "$EPOCHSECONDS $value"
   done <"/proc/$SERVER_PID/status"
   read -r -t 1 -u "$tick" _ || true
 done) >"$WORK/rss.log" 2>/dev/null &
SAMPLER_PID=$!

# One valid review, checked before the run: it must be injected.
curl -sk -H 'Content-Type: application/json' --data-binary @"$WORK/review.json" "$URL/inject" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["response"]; assert r["allowed"] and r.get("patch"), r' \
  || die "the sample review was not injected"

OHA=(nice -n "$NICE" oha --no-tui --insecure --output-format json -c "$CONNECTIONS" -m POST)

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
paced() { # rate seconds output
  # -n at -q paces exactly rate*seconds requests (-z would abort the last ones in flight).
  timeout $(($2 + 60)) "${OHA[@]}" -n $(($1 * $2)) -q "$1" --latency-correction \
    -H 'Content-Type: application/json' -D "$WORK/review.json" "$URL/inject" >"$3"
}
if [[ -n $RAMP ]]; then
  for r in $RAMP; do
    echo "== ramp: $r req/s for ${RAMP_STEP}s, $CONNECTIONS connections, POST /inject"
    paced "$r" "$RAMP_STEP" "$WORK/ramp-$r.json"
  done
  # The summary below reports the last step as run 1.
  cp "$WORK/ramp-${RAMP##* }.json" "$WORK/run1.json"
else
  echo "== run 1: $RATE req/s for ${DURATION}s, $CONNECTIONS connections, POST /inject"
  paced "$RATE" "$DURATION" "$WORK/run1.json"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS_AFTER_RUN1=$(status_field VmRSS)
curl -sk "$URL/metrics" >"$WORK/metrics-run1.txt"
HWM_AFTER_RUN1=$(status_field VmHWM)

echo "== run 2: $MALFORMED malformed requests"
PER_KIND=$((MALFORMED / 5))
run_bad() { # name content-type body
  timeout 300 "${OHA[@]}" -n "$PER_KIND" -q 2000 -H "Content-Type: $2" -D "$3" "$URL/inject" \
    >"$WORK/run2-$1.json"
}
run_bad truncated application/json "$WORK/bad-truncated.json"
run_bad garbage application/json "$WORK/bad-garbage.json"
run_bad nested application/json "$WORK/bad-nested.json"
run_bad shape application/json "$WORK/bad-shape.json"
run_bad content-type text/plain "$WORK/review.json"
kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the malformed run"
curl -skf "$URL/readyz" >/dev/null || die "server not ready after the malformed run"
RSS_AFTER_RUN2=$(status_field VmRSS)
HWM_AFTER_RUN2=$(status_field VmHWM)
curl -sk "$URL/metrics" >"$WORK/metrics.txt"

echo
echo "== results (oha $(oha --version | awk '{print $2}'), $(nproc) cores, nice $NICE," \
  "load average before/after run 1: $LOAD_BEFORE / $LOAD_AFTER)"
python3 "$HELPER" summary "$WORK/run1.json"
if [[ -n $RAMP ]]; then
  python3 "$HELPER" ramp "$P99_BOUND_MS" "$WORK"/ramp-*.json
fi
python3 "$HELPER" histogram "$WORK/metrics-run1.txt"
python3 "$HELPER" summary "$WORK"/run2-*.json
echo "server memory: VmRSS after run 1 ${RSS_AFTER_RUN1} kB, after run 2 ${RSS_AFTER_RUN2} kB;" \
  "peak (VmHWM) after run 1 ${HWM_AFTER_RUN1} kB, after run 2 ${HWM_AFTER_RUN2} kB"
echo "server counters (non-zero):"
grep -E '^(sidecar_injection_(requests|success|skip|failure)_total|mesh_webhook_tls)' "$WORK/metrics.txt" \
  | grep -v ' 0$' | sed 's/^/  /'

kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" && CODE=0 || CODE=$?
SERVER_PID=""
echo "server exit code after SIGTERM: $CODE"
