#!/usr/bin/env bash
# Measures the COSE library against raw OpenSSL 3 calls on the same bytes
# and prints the tables of the "## COSE and crypto" section of
# docs/benchmarks.md:
#   1. ns per operation, teepkit and raw OpenSSL, and their ratio
#   2. callgrind instructions per operation and their ratio
# Usage: bench/cose/run.sh [BUILD_DIR] [ITERATIONS] [PAYLOAD_BYTES]
#   BUILD_DIR      an -O2 build folder (default build-bench-cose), configured
#                  here with RelWithDebInfo when it has no build.ninja yet
#   ITERATIONS     calls per timing (default 2000)
#   PAYLOAD_BYTES  payload size (default 256)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench-cose}
iterations=${2:-2000}
payload=${3:-256}

if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTK_SANITIZE=OFF -DTK_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$build" --target bench_cose -j2 >/dev/null
bench=$(find "$build" -name bench_cose -type f -perm -u+x | head -n 1)
if [[ -z $bench ]]; then
  echo "run.sh: bench_cose was not built (is the OpenSSL backend built?)" >&2
  exit 1
fi

echo "### Time per operation (ns, best of 5 batches of $((iterations / 5)))"
echo
"$bench" --iterations "$iterations" --payload "$payload"
echo

# Prints the instructions callgrind counts inside op_NAME, per call.
count_instructions() {
  local out n=20
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect="op_$1" "$bench" --payload "$payload" --once "$1" "$n" \
    >/dev/null 2>&1
  awk -v n=$n '/^(summary|totals):/ {printf "%d", $2 / n; exit}' "$out"
  rm -f "$out"
}

if command -v valgrind >/dev/null; then
  echo "### Instructions per operation (callgrind, mean of 20 calls)"
  echo
  echo "| operation | teepkit | raw OpenSSL | ratio |"
  echo "|---|---:|---:|---:|"
  for op in verify1 sign1 mac0 decrypt0; do
    cose=$(count_instructions "${op}_cose")
    raw=$(count_instructions "${op}_raw")
    ratio=$(awk -v a="$cose" -v b="$raw" 'BEGIN {printf "%.3f", a / b}')
    echo "| $op | $cose | $raw | $ratio |"
  done
  echo "| decode1 | $(count_instructions decode1_cose) | - | - |"
  echo
fi
