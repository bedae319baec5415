#!/usr/bin/env bash
# Runs the TEEP and EAT benchmark: ns per operation from a timed loop, and
# instruction counts of one operation from callgrind, with the ratio of
# each decoder to libcbor's tree decoder on the same bytes.
# Usage: bench/teep/run.sh [BUILD_DIR]   (default build-teep-release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-teep-release}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  > /dev/null
cmake --build "$build" -j2 --target bench_teep > /dev/null
bench=$build/bench/teep/bench_teep

declare -A ns
while read -r name value _; do
  ns[$name]=$value
done < <("$bench" --iterations 20)

declare -A ir
for name in "${!ns[@]}"; do
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect=run_once "$bench" --once "$name" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' > "$out.count"
  ir[$name]=$(cat "$out.count")
  rm -f "$out" "$out.count"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| case | instructions | ns | instructions vs libcbor |"
echo "|---|---:|---:|---:|"
for name in teep_decode_qresp libcbor_qresp teep_decode_update \
            teep_encode_qresp eat_claims libcbor_claims session; do
  ref=""
  case $name in
    teep_decode_qresp) ref=$(ratio "${ir[$name]}" "${ir[libcbor_qresp]}") ;;
    eat_claims) ref=$(ratio "${ir[$name]}" "${ir[libcbor_claims]}") ;;
  esac
  echo "| $name | ${ir[$name]} | ${ns[$name]} | $ref |"
done
