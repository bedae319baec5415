#!/usr/bin/env bash
# Fails when a Cortex-M4 image links the heap (malloc, free, calloc,
# realloc, _sbrk), assert() or printf: the device side runs on caller
# buffers, and newlib's assert and printf would pull in the heap.
# With --absent SYMBOL (repeatable) it also fails when an image links
# SYMBOL, for parts that an image must leave out.
# Usage: tests/embedded/check_symbols.sh [--absent SYMBOL]... IMAGE.elf...
set -euo pipefail
pattern='_?malloc(_r)?|_?free(_r)?|_?calloc(_r)?|_?realloc(_r)?|_sbrk(_r)?|__assert_func|printf|_printf_r|_vfprintf_r|puts|_puts_r'
what="heap, assert or printf"
while [[ ${1:-} == --absent ]]; do
  pattern="$pattern|$2"
  what="$what or $2"
  shift 2
done
status=0
for image in "$@"; do
  found=$(arm-none-eabi-nm "$image" |
          awk -v p="^($pattern)\$" '$3 ~ p {print $3}' |
          sort -u | tr '\n' ' ')
  if [[ -n $found ]]; then
    echo "check_symbols.sh: $image links $found" >&2
    status=1
  else
    echo "$image: no $what"
  fi
done
exit "$status"
