#!/bin/sh
# Runs the load test of docs/benchmarks.md ("Load"): 1000 sessions of 50
# concurrent in-process agents against one `teepkit tam serve` process on
# SQLite, on 127.0.0.1. Extra arguments go to load_tam, for example
# --sessions 6000 or --rss-growth-max 8192.
#
#   bench/load/run.sh BUILD_DIR [load_tam options...]
#
# The work folder (the TAM's store, keys and log, and rss.csv with every
# memory sample) is BUILD_DIR/bench/load/work; TK_LOAD_WORK overrides it,
# for example with a folder on tmpfs.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [load_tam options...]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
shift
driver="$build/bench/load/load_tam"
cli="$build/apps/cli/teepkit"
for file in "$driver" "$cli"; do
    if [ ! -x "$file" ]; then
        echo "$0: $file is missing; build the targets load_tam and teepkit" >&2
        exit 2
    fi
done
work=${TK_LOAD_WORK:-"$build/bench/load/work"}
rm -rf "$work"
defaults="--sessions 1000 --agents 50 --bad-every 10 --warmup 100"
cache="$build/CMakeCache.txt"
echo "command: load_tam $defaults $*"
echo "build: $(grep -m1 CMAKE_BUILD_TYPE: "$cache" | cut -d= -f2)," \
     "sanitizers: $(grep -m1 TK_SANITIZE: "$cache" | cut -d= -f2)"
echo "work folder: $work"
# $defaults splits into words on purpose; later options override them.
# shellcheck disable=SC2086
exec "$driver" --cli "$cli" --work "$work" $defaults "$@"
