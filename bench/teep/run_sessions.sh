#!/usr/bin/env bash
# Runs the TEEP sessions benchmark of the TAM (bench_tam.c):
#  1. sessions per second over HTTP on 127.0.0.1 with concurrent agents,
#     the store on tmpfs (/dev/shm) and on the disk (/tmp), the disk with
#     both SQLite durability settings (store_sync full and normal);
#  2. callgrind instruction counts of the TAM's handler per session,
#     in-process, split into signatures, other crypto, store and the rest
#     (TEEP, CBOR, policy, session data).
# Prints the tables of the "TEEP sessions" section of docs/benchmarks.md.
#
# Usage: bench/teep/run_sessions.sh [BUILD_DIR] [AGENTS] [SESSIONS]
#        (defaults: build-tam-release, 8 agents, 2000 sessions)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-tam-release}
agents=${2:-8}
sessions=${3:-2000}
once=200
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null
cmake --build "$build" -j2 --target bench_tam >/dev/null
bench=$build/bench/teep/bench_tam

# Runs the HTTP benchmark; prints one table row.
http_row() {
  local dir=$1 threads=$2 sync=$3
  declare -A v
  while read -r key value; do
    v[$key]=$value
  done < <("$bench" --agents "$agents" --sessions "$sessions" \
             --threads "$threads" --dir "$dir" --sync "$sync")
  echo "| $dir | $sync | $threads | ${v[sessions]} | ${v[failures]} |" \
       "${v[sessions_per_s]} | ${v[p50_ms]} | ${v[p99_ms]} |" \
       "${v[tam_cpu_us]} | ${v[sign_us]} | ${v[verify_us]} |" \
       "${v[other_crypto_us]} | ${v[store_cpu_us]} | ${v[store_wall_us]} |" \
       "${v[teep_cbor_policy_us]} | ${v[http_us]} |" \
       "${v[non_crypto_vs_signatures]} | ${v[tam_capacity_2_cores]} |"
}

echo "HTTP on 127.0.0.1, $agents agents, $sessions sessions (µs per session;"
echo "CPU time of the TAM's threads, store also as wall time)"
echo
echo "| store folder | sync | HTTP threads | sessions | failed |" \
     "sessions/s | p50 ms | p99 ms | TAM CPU | sign | verify |" \
     "other crypto | store CPU | store wall | TEEP, CBOR, policy |" \
     "HTTP | non-crypto / signatures | TAM capacity, 2 cores |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for threads in 1 2; do
  http_row /dev/shm "$threads" full
done
http_row /tmp 2 full
http_row /tmp 2 normal

# The HTTP server alone: replies of a session's sizes without the TAM.
declare -A h
while read -r key value; do
  h[$key]=$value
done < <("$bench" --http-only --agents "$agents" --sessions "$sessions" \
           --threads 2 --dir /dev/shm)
echo
echo "HTTP alone (--http-only, 2 threads): ${h[sessions_per_s]} sessions/s," \
     "server CPU ${h[tam_cpu_us]} µs per session (3 requests)"

# Callgrind: the TAM's handler only, $once sessions in one thread.
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" \
  --toggle-collect=tk_tam_handle "$bench" --once "$once" --dir /dev/shm \
  >/dev/null 2>"$out.log"
total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.log")
annotated=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null)
# Sums the inclusive counts of the functions whose names match $1.
# callgrind_annotate lists each function twice, once with its object file
# in brackets; only those lines are counted.
sum_of() {
  echo "$annotated" | awk -v pat=":($1) \\[" '
    $0 ~ pat { gsub(",", "", $1); if ($1 ~ /^[0-9]+$/) s += $1 }
    END { printf "%d", s }'
}
sign=$(sum_of 'bench_crypto_sign')
verify=$(sum_of 'bench_crypto_verify')
other=$(sum_of 'bench_crypto_(hash|mac|random|key_import)')
store=$(sum_of 'tk_store_(exchange_record|token_check|key_find_device|device_context_get|device_references|installed_list|plan_(get|for)|version_get|version_latest|policy_list|component_find|component_list|purge|secret)')
rm -f "$out" "$out.log"
per() { awk -v a="$1" -v n="$once" 'BEGIN { printf "%.0f", a / n }'; }
rest=$((total - sign - verify - other - store))
echo
echo "callgrind, in-process, instructions per session ($once sessions)"
echo
echo "| part | instructions | share |"
echo "|---|---:|---:|"
for part in sign verify other store rest; do
  value=${!part}
  share=$(awk -v a="$value" -v t="$total" 'BEGIN { printf "%.1f%%", 100 * a / t }')
  echo "| $part | $(per "$value") | $share |"
done
echo "| TAM handler total | $(per "$total") | 100% |"
ratio=$(awk -v a=$((other + store + rest)) -v b=$((sign + verify)) \
  'BEGIN { printf "%.2f", a / b }')
echo
echo "non-crypto work (other crypto, store, rest) / signature work: $ratio"
