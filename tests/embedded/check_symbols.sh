#!/usr/bin/env bash
# Fails when a Cortex-M4 image links the heap (malloc, free, calloc,
# realloc, _sbrk), assert() or printf: the device side runs on caller
# buffers, and newlib's assert and printf would pull in the heap.
# Usage: tests/embedded/check_symbols.sh IMAGE.elf...
set -euo pipefail
status=0
for image in "$@"; do
  found=$(arm-none-eabi-nm "$image" |
          awk '$3 ~ /^(_?malloc(_r)?|_?free(_r)?|_?calloc(_r)?|_?realloc(_r)?|_sbrk(_r)?|__assert_func|printf|_printf_r|_vfprintf_r|puts|_puts_r)$/ {print $3}' |
          sort -u | tr '\n' ' ')
  if [[ -n $found ]]; then
    echo "check_symbols.sh: $image links $found" >&2
    status=1
  else
    echo "$image: no heap, assert or printf"
  fi
done
exit "$status"
