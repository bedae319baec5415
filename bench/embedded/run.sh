#!/usr/bin/env bash
# Measures the Cortex-M4 build of the device side and checks it against
# its targets (docs/embedded.md explains each number):
#   1. SUIT processor with CBOR and COSE verify, crypto excluded:
#      under 12 KiB of flash, under 2 KiB of stack, no heap. The lean
#      processor of lib/suit/lite (image tk_image_suit_lite) is measured
#      against it; the full processor (tk_image_suit) is shown beside it
#   2. the whole agent with crypto: under 100 KiB of flash and
#      16 KiB of RAM
# Prints the size of every library in both images (from the link maps),
# the stack measured in QEMU by stack painting, the worst case from the
# call graph (stack.py), the largest functions and frames, and a table of
# the targets. Exits with status 1 when a target is missed, 2 when the
# build or a run fails.
#
# Usage: bench/embedded/run.sh [BUILD_DIR] [PROFILE]
#   BUILD_DIR  cross build folder (default build-embedded, or
#              build-embedded-PROFILE), configured and built here
#   PROFILE    limits profile of embedded/profiles/ (default: the library
#              defaults)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
profile=${2:-}
build=${1:-$root/build-embedded${profile:+-$profile}}
here=$root/bench/embedded

for tool in arm-none-eabi-gcc qemu-system-arm python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "run.sh: $tool is not installed (see tools/packages.txt)" >&2
    exit 2
  fi
done

cmake -S "$root/embedded" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$root/embedded/toolchain-cortex-m4.cmake" \
  -DTK_EMBEDDED_PROFILE="$profile" >/dev/null
cmake --build "$build" -j2 >/dev/null

# Runs an image and keeps its "metric NAME KEY VALUE" lines.
run_image() {
  local out
  if ! out=$("$root/embedded/run-qemu.sh" "$build/$1.elf" 300); then
    echo "$out" >&2
    echo "run.sh: $1 failed under QEMU" >&2
    exit 2
  fi
  echo "$out" | awk '$1 == "metric" {print $2, $3, $4}'
}
suit_metrics=$(run_image tk_image_suit)
lite_metrics=$(run_image tk_image_suit_lite)
agent_metrics=$(run_image tk_image_agent)

# Prints the value of metric $2 $3 in the metric lines $1.
metric() {
  echo "$1" | awk -v n="$2" -v k="$3" '$1 == n && $2 == k {print $3}'
}
# Prints the largest value of key $2 over every name in the lines $1.
metric_max() {
  echo "$1" | awk -v k="$2" '$2 == k && $3 > m {m = $3} END {print m + 0}'
}

core='^tk_(common|cbor|crypto|cose|suit|suit_lite|eat|teep)$'
crypto='^tk_(crypto_frame|crypto_mbedtls|mbedtls_device)$'
runtime='^(c_nano|gcc)$'
groups=(--group "teepkit core=$core" --group "crypto backend and Mbed TLS=$crypto"
        --group "newlib-nano and libgcc=$runtime")

# Prints the flash or RAM column ($3: 5 flash, 6 ram) of library $2 in
# map $1, as size.py reports it.
size_of() {
  python3 "$here/size.py" "$1" "${@:4}" | awk -v lib="$2" -v col="$3" '
    { name = $1; for (i = 2; i <= NF - 5; i++) name = name " " $i;
      if (name == lib) print $(NF - 6 + col) }'
}

echo "# Cortex-M4 build of the device side"
echo
echo "arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion)," \
  "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -ffunction-sections" \
  "-fdata-sections, --gc-sections, newlib-nano; Mbed TLS 2.28.3;" \
  "profile: ${profile:-library defaults}; commit" \
  "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
echo "## Device-side archives: every object, linked or not (arm-none-eabi-size)"
echo
echo "| library | text | data | bss |"
echo "|---|---:|---:|---:|"
for lib in tk_common tk_cbor tk_crypto tk_cose tk_suit tk_suit_lite tk_eat \
           tk_teep tk_crypto_frame tk_crypto_mbedtls tk_mbedtls_device; do
  arm-none-eabi-size -t "$build/lib$lib.a" |
    awk -v lib="$lib" 'END {printf "| %s | %d | %d | %d |\n", lib, $1, $2, $3}'
done
for image in tk_image_suit tk_image_suit_lite tk_image_agent; do
  echo
  echo "## $image: bytes per library (linked sections only)"
  echo
  python3 "$here/size.py" --markdown "$build/$image.map"
done

echo
echo "## tk_image_suit: core bytes per object file"
echo
python3 "$here/size.py" --objects "$build/tk_image_suit.map" |
  awk '$1 ~ /^tk_(common|cbor|crypto|cose|suit)\// {print $2, $1}' | sort -rn |
  awk '{printf "%7d  %s\n", $1, $2}'

echo
echo "## Largest functions and constants of the core libraries (nm --size-sort)"
echo
# lib/common (the tk_strerror tables) is left out: no image links it.
for lib in tk_suit tk_cose tk_cbor tk_teep tk_eat tk_crypto; do
  arm-none-eabi-nm --size-sort -S -t d "$build/lib$lib.a" 2>/dev/null |
    awk -v lib="$lib" 'NF == 4 && $3 ~ /^[tTrR]$/ {print $2 + 0, lib, $4}'
done | sort -rn | awk 'NR <= 15 {printf "%7d  %s  (%s)\n", $1, $3, $2}'

echo
echo "## Largest stack frames of the core (.su files)"
echo
find "$build" -name '*.su' \
  -regex '.*/CMakeFiles/tk_\(common\|cbor\|crypto\|cose\|suit\|eat\|teep\)\.dir/.*' \
  -exec cat {} + | sort -t$'\t' -k2 -rn |
  awk -F'\t' 'NR <= 12 {n = split($1, p, ":"); printf "%7d  %s (%s)\n", $2, p[n], p[1]}' |
  sed "s|$root/||"

echo
echo "## Stack"
echo
echo "Measured in QEMU by painting (bytes below main's frame; core = the"
echo "libraries and the platform callbacks, crypto = inside one crypto call):"
echo
echo "| run | core | crypto | total |"
echo "|---|---:|---:|---:|"
for run in $(echo "$suit_metrics" | awk '$2 == "stack_core" {print $1}'); do
  echo "| suit $run | $(metric "$suit_metrics" "$run" stack_core) |" \
    "$(metric "$suit_metrics" "$run" stack_crypto) |" \
    "$(metric "$suit_metrics" "$run" stack_total) |"
done
for run in $(echo "$lite_metrics" | awk '$2 == "stack_core" {print $1}'); do
  echo "| suit lite $run | $(metric "$lite_metrics" "$run" stack_core) |" \
    "$(metric "$lite_metrics" "$run" stack_crypto) |" \
    "$(metric "$lite_metrics" "$run" stack_total) |"
done
for run in query update; do
  echo "| agent $run | $(metric "$agent_metrics" "$run" stack_core) |" \
    "$(metric "$agent_metrics" "$run" stack_crypto) |" \
    "$(metric "$agent_metrics" "$run" stack_total) |"
done
echo
# Decoders with check flags call the CBOR checks through a table of
# function pointers (struct tk_cbor_dec_checks in lib/cbor). Prints the
# stack.py option that follows those calls when image $1 links the table,
# and an empty one when it does not, since the checks then never run.
checks_option() {
  if arm-none-eabi-nm "$build/$1.elf" |
     awk '$3 == "tk_cbor_dec_checks_all" {found = 1} END {exit !found}'; then
    echo '--indirect=^(check_head|check_key|tk_cbor_utf8_valid|float_has_shorter_form)$'
  else
    echo '--indirect='
  fi
}
suit_checks=$(checks_option tk_image_suit)
agent_checks=$(checks_option tk_image_agent)
static_suit=$(python3 "$here/stack.py" "$build" tk_suit_process --quiet \
              "$suit_checks" | awk '{print $2}')
static_agent=$(python3 "$here/stack.py" "$build" tk_teep_agent_handle --quiet \
               "$agent_checks" | awk '{print $2}')
# The processor recurses for try-each and run-sequence (up to
# TK_SUIT_MAX_TRY_DEPTH levels below the top sequence) and for dependencies
# (TK_SUIT_MAX_DEPENDENCY_DEPTH levels). Both recursions share one cycle of
# the call graph, so the cycle may pass the larger number of times.
try_depth=$(metric "$suit_metrics" image limit_try_depth)
dependency_depth=$(metric "$suit_metrics" image limit_dependency_depth)
nesting=$(( (try_depth > dependency_depth ? try_depth : dependency_depth) + 1 ))
nested_suit=$(python3 "$here/stack.py" "$build" tk_suit_process --quiet \
              "$suit_checks" --recursion "tk_suit_run_sequence=$nesting" |
              awk '{print $2}')
echo "Worst case from the call graph (stack.py; calls through function"
echo "pointers, that is crypto and callbacks, not followed, except into the"
echo "CBOR checks of an image that links them): with every"
echo "recursive cycle once, tk_suit_process $static_suit bytes and"
echo "tk_teep_agent_handle $static_agent bytes; with the processor's cycle"
echo "passed $nesting times (the nesting limits), tk_suit_process" \
  "$nested_suit bytes."
echo
# The lite processor recurses only for try-each and run-sequence, one
# level below a top-level sequence, and calls no CBOR checks.
static_lite=$(python3 "$here/stack.py" "$build" tk_suit_lite_process --quiet \
              --indirect= --recursion run_sequence=2 | awk '{print $2}')
echo "The lite processor: tk_suit_lite_process $static_lite bytes with its"
echo "one level of try-each or run-sequence."
echo
report=$(python3 "$here/stack.py" "$build" tk_suit_process "$suit_checks")
echo "$report" | grep -v '^recursion cut' | sed 's/^/    /'
echo "    ($(echo "$report" | grep -c '^recursion cut') recursive cycles cut;" \
  "stack.py lists them)"

# ---- Targets ---------------------------------------------------------------
suit_map=$build/tk_image_suit.map
agent_map=$build/tk_image_agent.map
lite_map=$build/tk_image_suit_lite.map
suit_flash=$(size_of "$suit_map" "teepkit core" 5 "${groups[@]}")
suit_stack=$(metric_max "$suit_metrics" stack_core)
lite_flash=$(size_of "$lite_map" "teepkit core" 5 "${groups[@]}")
lite_stack=$(metric_max "$lite_metrics" stack_core)
agent_flash=0
for lib in "teepkit core" "crypto backend and Mbed TLS" "newlib-nano and libgcc"; do
  agent_flash=$((agent_flash + $(size_of "$agent_map" "$lib" 5 "${groups[@]}")))
done
agent_static=0
for lib in "teepkit core" "crypto backend and Mbed TLS"; do
  agent_static=$((agent_static + $(size_of "$agent_map" "$lib" 6 "${groups[@]}")))
done
contexts=$(metric "$agent_metrics" image sizeof_agent_contexts)
arena=$(metric "$agent_metrics" image heap_arena)
arena_used=$(metric "$agent_metrics" image heap_high_water)
agent_stack=$(metric_max "$agent_metrics" stack_total)
agent_ram=$((contexts + agent_static + arena + agent_stack))

heap_symbols=""
if ! "$root/tests/embedded/check_symbols.sh" "$build/tk_image_suit.elf" \
     "$build/tk_image_suit_lite.elf" "$build/tk_image_agent.elf" \
     >/dev/null 2>"$build/check_symbols.log"; then
  heap_symbols=$(sed 's/.* links //' "$build/check_symbols.log" | tr '\n' ' ')
fi

missed=0
# Prints one row of the targets table; $4 is 1 when the target is met.
row() {
  local verdict=met
  if [[ $4 -ne 1 ]]; then
    verdict=MISSED
    missed=1
  fi
  echo "| $1 | $2 | $3 | $verdict |"
}
echo
echo "## Targets"
echo
echo "| target | measured | limit | result |"
echo "|---|---:|---:|---|"
row "SUIT lite + CBOR + COSE flash (crypto excluded)" "$lite_flash" 12288 \
  "$((lite_flash < 12288))"
row "SUIT lite + CBOR + COSE stack (crypto excluded, measured)" \
  "$lite_stack" 2048 "$((lite_stack < 2048))"
echo "| full processor, flash (for comparison) | $suit_flash | 12288 | - |"
echo "| full processor, stack (for comparison) | $suit_stack | 2048 | - |"
row "heap, assert or printf linked in any image" \
  "${heap_symbols:-none}" none "$([[ -z $heap_symbols ]] && echo 1 || echo 0)"
row "agent with crypto, flash" "$agent_flash" 102400 "$((agent_flash < 102400))"
row "agent with crypto, RAM" "$agent_ram" 16384 "$((agent_ram < 16384))"
echo
echo "Agent RAM = contexts the caller provides ($contexts: agent, state, keys," \
  "buffers, SUIT processor) + library static data ($agent_static) + Mbed TLS" \
  "arena ($arena, of which $arena_used used at most) + deepest stack" \
  "($agent_stack)."
echo "RFC 7228: class 1 about 10 KiB RAM and 100 KiB flash; class 2 about" \
  "50 KiB RAM and 250 KiB flash."
exit "$missed"
