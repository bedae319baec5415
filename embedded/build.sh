#!/usr/bin/env bash
# Configures and builds the Cortex-M4 project embedded/ with
# arm-none-eabi-gcc, then runs its test and size images under QEMU.
# Usage: embedded/build.sh [BUILD_DIR] [PROFILE]
#   BUILD_DIR  build folder (default build-embedded, or build-embedded-PROFILE)
#   PROFILE    limits profile of embedded/profiles/ (default: library
#              defaults)
# Extra arguments for ctest go in CTEST_ARGS, for example
# CTEST_ARGS="-R tk_test_suit" embedded/build.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${2:-}
build=${1:-$root/build-embedded${profile:+-$profile}}

for tool in arm-none-eabi-gcc qemu-system-arm cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "build.sh: $tool is not installed (see tools/packages.txt)" >&2
    exit 2
  fi
done
generator=()
if command -v ninja >/dev/null && [[ ! -f $build/CMakeCache.txt ]]; then
  generator=(-G Ninja)
fi
cmake -S "$root/embedded" -B "$build" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$root/embedded/toolchain-cortex-m4.cmake" \
  -DTK_EMBEDDED_PROFILE="$profile"
cmake --build "$build" -j2
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure ${CTEST_ARGS:-}
