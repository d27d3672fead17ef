#!/usr/bin/env bash
# Checks that two meshctl binaries print the same bytes (and exit the same way) for
# `manifest generate` on every corpus case and every built-in profile: the check behind
# "byte-identical before and after" of a speed change.
#
#   scripts/same-output.sh OLD_MESHCTL NEW_MESHCTL [CASES_DIR]
#
# CASES_DIR holds case folders with an `args` file (one argument a line, as conformance.py reads
# them); default: ../shared/reference/manifest, skipped with one line when it is missing. Each
# case runs inside its folder, so `-f` paths resolve as they do for conformance.py. Exit code 1
# when anything differs (the differing cases are named), 2 on bad usage.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_MESHCTL NEW_MESHCTL [CASES_DIR]"; exit 2; }
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
old=$(abs "$1")
new=$(abs "$2")
for bin in "$old" "$new"; do
  [ -x "$bin" ] || { echo "$bin is not an executable"; exit 2; }
done
cases=${3:-$(dirname "$0")/../../shared/reference/manifest}
[ ! -d "$cases" ] || cases=$(cd "$cases" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compared=0
differing=0
# Runs both binaries with the same arguments in folder $2 and compares what they print.
compare() {
  local label=$1 dir=$2
  shift 2
  (cd "$dir" && "$old" "$@" >"$work/old" 2>&1 && echo "exit 0" || echo "exit $?") >>"$work/old"
  (cd "$dir" && "$new" "$@" >"$work/new" 2>&1 && echo "exit 0" || echo "exit $?") >>"$work/new"
  compared=$((compared + 1))
  if ! cmp -s "$work/old" "$work/new"; then
    echo "differs: $label"
    differing=$((differing + 1))
  fi
}

if [ -d "$cases" ]; then
  for dir in "$cases"/*/; do
    [ -f "$dir/args" ] || continue
    mapfile -t args <"$dir/args"
    compare "case $(basename "$dir")" "$dir" manifest generate "${args[@]}"
  done
else
  echo "skipping the corpus cases: $cases not found"
fi
for profile in $("$new" profile list | tail -n +2); do
  compare "profile $profile" . manifest generate --set "profile=$profile"
done
echo "compared $compared, differing $differing"
[ "$differing" -eq 0 ]
