#!/usr/bin/env bash
# Measures the CBOR library and prints the tables of the "## CBOR" section
# of docs/benchmarks.md:
#   1. ns per decode of teepkit, libcbor cbor_load and cbor_stream_decode
#   2. callgrind instructions per decode (decode_once minus the empty run)
#   3. text size of lib/cbor for Cortex-M4 (arm-none-eabi-gcc -Os): the
#      object files, and a program linked with --gc-sections that uses
#      every public function (bench/cbor/size_all.c)
# Usage: bench/cbor/run.sh [BUILD_DIR] [ITERATIONS]
#   BUILD_DIR   an -O2 build folder (default build-bench-cbor), configured
#               here with RelWithDebInfo when it has no build.ninja yet
#   ITERATIONS  decodes per timing (default 200000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench-cbor}
iterations=${2:-200000}

if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTK_SANITIZE=OFF -DTK_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$build" --target bench_cbor -j2 >/dev/null
bench=$(find "$build" -name bench_cbor -type f -perm -u+x | head -n 1)
if [[ -z $bench ]]; then
  echo "run.sh: bench_cbor was not built (is libcbor installed?)" >&2
  exit 1
fi

inputs=(teep_claims_299B suit_example2 teep_query_response)
decoders=(validate walk strict tree stream)

echo "### Time per decode (ns, $iterations decodes each)"
echo
"$bench" --iterations "$iterations"
echo

# Prints the instructions that callgrind counts inside decode_once().
count_instructions() {
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect=decode_once "$bench" --once "$1" "$2" >/dev/null 2>&1
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
  rm -f "$out"
}

if command -v valgrind >/dev/null; then
  echo "### Instructions per decode (callgrind, minus the empty run)"
  echo
  printf '| input | %s |\n' "$(IFS='|'; echo "${decoders[*]}" | sed 's/|/ | /g')"
  printf '|---|%s\n' "$(printf -- '---:|%.0s' "${decoders[@]}")"
  for input in "${inputs[@]}"; do
    base=$(count_instructions none "$input")
    row="| $input |"
    for d in "${decoders[@]}"; do
      row+=" $(( $(count_instructions "$d" "$input") - base )) |"
    done
    echo "$row"
  done
  echo
fi

arm_flags=(-std=c11 -mcpu=cortex-m4 -mthumb -Os -ffunction-sections
           -fdata-sections)

# Prints the total text size of lib/cbor sources $1... for Cortex-M4 with
# the extra compiler flags in $extra.
arm_text() {
  local dir
  dir=$(mktemp -d)
  for src in "$@"; do
    arm-none-eabi-gcc "${arm_flags[@]}" $extra -I"$root/include" \
      -I"$root/lib/cbor" -c "$root/lib/cbor/$src" -o "$dir/${src%.c}.o"
  done
  arm-none-eabi-size -t "$dir"/*.o | awk 'END {print $1}'
  rm -rf "$dir"
}

# Links bench/cbor/size_all.c, which references every public encoder and
# decoder function, with the objects of sources $1... and --gc-sections,
# and prints "LIB LIBC": the text and read-only data that lib/cbor keeps
# and that the C library functions it calls add (newlib-nano).
arm_linked() {
  local dir
  dir=$(mktemp -d)
  for src in "$@"; do
    arm-none-eabi-gcc "${arm_flags[@]}" -I"$root/include" -I"$root/lib/cbor" \
      -c "$root/lib/cbor/$src" -o "$dir/${src%.c}.o"
  done
  arm-none-eabi-gcc "${arm_flags[@]}" -I"$root/include" \
    -c "$root/bench/cbor/size_all.c" -o "$dir/size_all.o"
  arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb --specs=nano.specs -nostartfiles \
    -Wl,--gc-sections -Wl,-e,main -Wl,-Map="$dir/size_all.map" \
    -o "$dir/size_all.elf" "$dir"/*.o
  # Sums the .text* and .rodata* input sections of the map by file. The
  # map puts a section name longer than its first column on a line of its
  # own, before the address and size.
  awk '
    function hex(s,   n, i) {
      s = tolower(s); sub(/^0x/, "", s); n = 0
      for (i = 1; i <= length(s); i++)
        n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
      return n
    }
    function add(sec, size, file) {
      if (sec !~ /^\.(text|rodata)/) return
      if (file ~ /cbor_[a-z]+\.o$/) lib += hex(size)
      else if (file ~ /libc/) libc += hex(size)
    }
    /^Linker script and memory map/ { inmap = 1; next }
    !inmap { next }
    /^ \.[A-Za-z_.]/ {
      name = $1
      if (NF >= 4 && $2 ~ /^0x/) { add(name, $3, $4); name = "" }
      next
    }
    /^ +0x[0-9a-f]+ +0x[0-9a-f]+ / && name != "" { add(name, $2, $3) }
    { name = "" }
    END { print lib + 0, libc + 0 }' "$dir/size_all.map"
  rm -rf "$dir"
}

if command -v arm-none-eabi-gcc >/dev/null; then
  # Every source of lib/cbor but cbor_diag.c, which is host only.
  core=()
  for src in "$root"/lib/cbor/*.c; do
    [[ ${src##*/} == cbor_diag.c ]] || core+=("${src##*/}")
  done
  # size_all.c must name every function that cbor.h declares, but
  # tk_cbor_diag() and the inline ones, which call declared ones.
  for fn in $(grep -v '^static ' "$root/include/teepkit/cbor.h" |
              sed -n 's/^[a-z_][a-z_ ]*[ *]\(tk_cbor_[a-z_]*\)(.*/\1/p' |
              grep -v '^tk_cbor_diag$'); do
    if ! grep -q "(tk_any_fn)$fn," "$root/bench/cbor/size_all.c"; then
      echo "run.sh: $fn is missing from the table of bench/cbor/size_all.c;" \
        "add it there so that the linked size counts it" >&2
      exit 1
    fi
  done
  echo "### Cortex-M4 text (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion)," \
    "${arm_flags[*]:1})"
  echo
  echo "| build | text bytes |"
  echo "|---|---:|"
  extra=""
  total=$(arm_text "${core[@]}")
  echo "| encode + decode, all switches on | $total |"
  for file in "${core[@]}"; do
    echo "| $file | $(arm_text "$file") |"
  done
  extra="-DTK_CBOR_WITH_FLOAT=0"
  echo "| TK_CBOR_WITH_FLOAT=0 | $(arm_text "${core[@]}") |"
  extra="-DTK_CBOR_WITH_CHECKS=0"
  echo "| TK_CBOR_WITH_CHECKS=0 | $(arm_text "${core[@]}") |"
  extra="-DTK_CBOR_WITH_SORT=0"
  echo "| TK_CBOR_WITH_SORT=0 | $(arm_text "${core[@]}") |"
  extra="-DTK_CBOR_WITH_FLOAT=0 -DTK_CBOR_WITH_CHECKS=0 -DTK_CBOR_WITH_SORT=0"
  echo "| all three switches 0 | $(arm_text "${core[@]}") |"
  extra="-DTK_CBOR_FAST_PATH=1"
  echo "| TK_CBOR_FAST_PATH=1 at -Os (speed-build code) | $(arm_text "${core[@]}") |"
  extra=""
  echo "| cbor_diag.c (host only) | $(arm_text cbor_diag.c) |"
  read -r lib libc < <(arm_linked "${core[@]}")
  echo "| linked with --gc-sections, every public function used: lib/cbor | $lib |"
  echo "| the same: newlib-nano functions it calls | $libc |"
  echo
  # The target of docs/benchmarks.md: encode + decode with every switch
  # on under 6 KiB.
  if (( total < 6144 )); then
    echo "Target met: $total bytes, $(( 6144 - total )) under 6,144."
  else
    echo "Target missed: $total bytes, $(( total - 6144 + 1 )) too many" \
      "for under 6,144."
  fi
fi
