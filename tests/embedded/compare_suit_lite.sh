#!/usr/bin/env bash
# Runs the SUIT size images of the full processor (tk_image_suit) and of
# the lite processor (tk_image_suit_lite) under QEMU and checks that every
# published manifest example ends the same way in both: the same result
# and the same device state (committed images, rollback records,
# invocations; the "state" metric of each image).
# Usage: tests/embedded/compare_suit_lite.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1

metrics() {
  "$root/embedded/run-qemu.sh" "$build/$1.elf" 300 |
    awk '$1 == "metric" && $2 ~ /^example/ &&
         ($3 == "result" || $3 == "state") {print $2, $3, $4}'
}
full=$(metrics tk_image_suit)
lite=$(metrics tk_image_suit_lite)
if [[ -z $full ]]; then
  echo "compare_suit_lite.sh: tk_image_suit printed no example" >&2
  exit 1
fi
if [[ $full != "$lite" ]]; then
  echo "compare_suit_lite.sh: the processors differ:" >&2
  diff <(echo "$full") <(echo "$lite") >&2 || true
  exit 1
fi
echo "$(echo "$full" | grep -c ' state ') examples: same result and state"
