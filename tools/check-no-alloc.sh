#!/usr/bin/env bash
# Fails when any of the given static archives references an allocator.
# Usage: tools/check-no-alloc.sh LIB.a...
set -euo pipefail
status=0
for lib in "$@"; do
  found=$(nm -u "$lib" 2>/dev/null | awk '{print $NF}' |
    grep -E '^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup|reallocarray)$' |
    sort -u || true)
  if [[ -n "$found" ]]; then
    echo "$lib references an allocator: $(echo $found)" >&2
    status=1
  else
    echo "$lib: no allocator"
  fi
done
exit $status
