#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for a bounded time.
#
# Usage:
#   tools/fuzz.sh TARGET [SECONDS]   fuzz TARGET (default TK_FUZZ_SECONDS or 60)
#   tools/fuzz.sh --list             list the targets
#   tools/fuzz.sh --minimize TARGET FILE
#                                    shrink a crashing input, keeping the crash
#
# The fuzzer starts from the seed corpus tests/fuzz/corpus/TARGET and the
# regressions tests/fuzz/regressions/TARGET, and adds the inputs it finds to
# a work corpus (TK_FUZZ_WORK/TARGET, default tests/fuzz/corpus-work/TARGET,
# which git ignores), so that later runs continue where this one stopped.
# Any crash, leak, timeout (10 s for one input) or memory blow-up (2 GiB)
# stops the run with status 1, and the input is saved under
# TK_FUZZ_WORK/artifacts/TARGET/. Copy it to tests/fuzz/regressions/TARGET/
# once the bug is fixed, so that every `make check` replays it.
#
# Environment:
#   TK_FUZZ_BUILD     build folder (default build-fuzz), configured with
#                     clang, -DTK_FUZZ=ON and -DTK_SANITIZE=ON when missing
#   TK_FUZZ_NO_BUILD  1 to skip building (CTest sets it)
#   TK_FUZZ_SECONDS   default duration
#   TK_FUZZ_WORK      folder of the work corpora and artifacts
#   TK_FUZZ_ARGS      extra libFuzzer options, e.g. "-jobs=2 -workers=2"
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TK_FUZZ_BUILD:-$root/build-fuzz}
work=${TK_FUZZ_WORK:-$root/tests/fuzz/corpus-work}

usage() {
  sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Every tests/fuzz/fuzz_NAME.c is the entry point of target NAME.
targets() {
  for src in "$root"/tests/fuzz/fuzz_*.c; do
    basename "$src" .c | sed 's/^fuzz_//'
  done
}

ensure_built() {
  local target=$1
  [[ "${TK_FUZZ_NO_BUILD:-0}" == 1 ]] && return 0
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    CC=clang cmake -S "$root" -B "$build" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTK_FUZZ=ON -DTK_SANITIZE=ON \
      -DTK_BUILD_BENCH=OFF >/dev/null || {
      echo "configuring $build failed" >&2
      exit 1
    }
  fi
  local out
  if ! out=$(cmake --build "$build" --target "fuzz_$target" -j 2 2>&1); then
    echo "$out" | grep -E 'error|FAILED' | head -n 20 >&2
    echo "building fuzz_$target in $build failed" >&2
    exit 1
  fi
}

case "${1:-}" in
  "" | -h | --help) usage ;;
  --list) targets; exit 0 ;;
  --minimize)
    target=${2:?usage: tools/fuzz.sh --minimize TARGET FILE}
    file=${3:?usage: tools/fuzz.sh --minimize TARGET FILE}
    ensure_built "$target"
    out="$work/artifacts/$target/minimized-$(basename "$file")"
    mkdir -p "$(dirname "$out")"
    "$build/tests/fuzz/fuzz_$target" -minimize_crash=1 -max_total_time=120 \
      -exact_artifact_path="$out" "$file"
    echo "minimized input: $out"
    exit 0
    ;;
esac

target=$1
seconds=${2:-${TK_FUZZ_SECONDS:-60}}
if ! targets | grep -x "$target" >/dev/null; then
  echo "unknown fuzz target '$target'; the targets are:" >&2
  targets >&2
  exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "SECONDS must be a positive integer, not '$seconds'" >&2
  exit 2
fi

ensure_built "$target"
binary="$build/tests/fuzz/fuzz_$target"
if [[ ! -x "$binary" ]]; then
  echo "$binary is missing: configure $build with CC=clang -DTK_FUZZ=ON -DTK_SANITIZE=ON" >&2
  exit 1
fi

corpus="$work/$target"
artifacts="$work/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
seeds="$root/tests/fuzz/corpus/$target"
regressions="$root/tests/fuzz/regressions/$target"
dirs=("$corpus")
[[ -d "$seeds" ]] && dirs+=("$seeds")
[[ -d "$regressions" ]] && dirs+=("$regressions")
# The dictionary of the target, or of its family (teep_agent: teep.dict).
dict=()
for name in "$target" "${target%%_*}"; do
  if [[ -f "$root/tests/fuzz/$name.dict" ]]; then
    dict=(-dict="$root/tests/fuzz/$name.dict")
    break
  fi
done

log="$artifacts/last-run.log"
echo "fuzzing $target for $seconds s (corpus $corpus)"
set +e
# shellcheck disable=SC2086
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  timeout --kill-after=30 $((seconds + 300)) \
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "${dict[@]}" ${TK_FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1
status=$?
set -e

summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
echo "$target: ${summary:-no summary line} (${execs:-?} executions, status $status)"
if [[ $status -ne 0 ]]; then
  grep -E 'ERROR: |SUMMARY: |Test unit written to|runtime error' "$log" | head -n 20 >&2 || true
  echo "the fuzzer failed; full log: $log" >&2
  echo "replay the input with: $build/tests/fuzz/fuzz_replay_$target FILE" >&2
  exit 1
fi
