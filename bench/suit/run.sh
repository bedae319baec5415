#!/usr/bin/env bash
# Measures the SUIT processor and prints the tables of the "## SUIT"
# section of docs/benchmarks.md:
#   1. ns per decode + verify + process run, and ns inside signature and
#      MAC verification (bench_suit --iterations N)
#   2. callgrind instructions per run, split into signature/MAC
#      verification, other crypto (hashes, key unwrap, ECDH, HKDF,
#      ciphers), the benchmark platform's storage callbacks (copying
#      images) and the rest: the library with CBOR and COSE decoding, and
#      its share of the total (not given for MAC-authenticated cases)
#   3. text size of lib/suit for Cortex-M4 (arm-none-eabi-gcc -Os)
# Usage: bench/suit/run.sh [BUILD_DIR] [ITERATIONS]
#   BUILD_DIR   an -O2 build folder (default build-bench-suit), configured
#               here with RelWithDebInfo when it has no build.ninja yet
#   ITERATIONS  runs per timing (default 2000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench-suit}
iterations=${2:-2000}

if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTK_SANITIZE=OFF -DTK_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$build" --target bench_suit -j2 >/dev/null
bench=$build/bench/suit/bench_suit

echo "### Time per run (ns, $iterations runs each)"
echo
"$bench" --iterations "$iterations"
echo

# Prints "total signature other" instructions of one case inside
# process_once(), from callgrind's inclusive costs of the crypto wrappers.
count() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect=process_once "$bench" --once "$1" >/dev/null 2>&1
  # Run from / so that callgrind_annotate finds no source to annotate.
  (cd / && callgrind_annotate --inclusive=yes --threshold=100 --auto=no \
    "$out" 2>/dev/null) |
    awk '
      /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
      /=>/ { next }
      /:bench_crypto_(verify|mac) / { gsub(",", "", $1); sig += $1; next }
      /:bench_crypto_/ { gsub(",", "", $1); other += $1; next }
      /:bench_pf_(write|write_begin|write_end|read|map|stat|digest|match|find_key|invoke) / {
        gsub(",", "", $1); platform += $1 }
      END { printf "%d %d %d %d\n", total, sig, other, platform }'
  rm -f "$out"
}

if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null
then
  echo "### Instructions per run (callgrind, --toggle-collect=process_once)"
  echo
  echo "| case | total | signature/MAC | other crypto | platform | library |" \
    "library share |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for name in $("$bench" --list); do
    read -r total sig other platform < <(count "$name")
    library=$((total - sig - other - platform))
    share=$(awk -v r="$library" -v t="$total" \
      'BEGIN { printf "%.2f%%", 100 * r / t }')
    # A MAC-authenticated manifest has no signature whose cost the share
    # could be measured against: its absolute count is what matters.
    if [[ $name == *hmac* ]]; then
      share="n/a"
    fi
    echo "| $name | $total | $sig | $other | $platform | $library |" \
      "$share |"
  done
  echo
fi

if command -v arm-none-eabi-gcc >/dev/null; then
  dir=$(mktemp -d)
  for src in "$root"/lib/suit/suit_*.c; do
    arm-none-eabi-gcc -std=c11 -mcpu=cortex-m4 -mthumb -Os \
      -ffunction-sections -fdata-sections -I"$root/include" \
      -I"$root/lib/suit" -c "$src" -o "$dir/$(basename "${src%.c}").o"
  done
  echo "### Cortex-M4 text of lib/suit/suit_*.c (arm-none-eabi-gcc" \
    "$(arm-none-eabi-gcc -dumpversion), -mcpu=cortex-m4 -mthumb -Os)"
  echo
  echo "| object | text bytes |"
  echo "|---|---:|"
  arm-none-eabi-size "$dir"/*.o | awk 'NR > 1 {
      n = split($6, p, "/"); printf "| %s | %d |\n", p[n], $1; t += $1 }
    END { printf "| total | %d |\n", t }'
  rm -rf "$dir"
fi
