#!/usr/bin/env bash
# Runs every CTest test of a build folder and ends with CTest's summary line.
# Usage: tools/run-tests.sh BUILD_DIR [extra ctest arguments]
set -uo pipefail
build=${1:?usage: tools/run-tests.sh BUILD_DIR}
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1
exit "$status"
