#!/usr/bin/env bash
# Fleet benchmark: TEEP sessions per second with 1, 2 and 4 `teepkit tam
# serve` workers on one PostgreSQL server and with 1 worker on SQLite, in
# one run. Several workers sit behind HAProxy (round robin per request);
# a single worker takes the load directly. The load is tests/fleet's
# fleet_load: concurrent in-process agents (lib/teep's agent state machine
# over libcurl), each session a full install.
#
# Everything listens on 127.0.0.1 and shares the machine's cores: the
# workers, PostgreSQL, HAProxy and the load driver. The script prints the
# table of the "Fleet scale" section of docs/benchmarks.md, with the CPU
# time each part spent per session.
#
# Usage: bench/fleet/run.sh [BUILD_DIR] [AGENTS] [SESSIONS]
#        (defaults: build-fleet-bench, 16 agents, 1500 sessions)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-fleet-bench}
agents=${2:-16}
sessions=${3:-1500}
warmup=100

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null
cmake --build "$build" -j2 --target teepkit fleet_load >/dev/null
cli=$build/apps/cli/teepkit
load=$build/tests/fleet/fleet_load
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
ticks=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/tk-fleet-bench.XXXXXX)
# PostgreSQL runs as the postgres user when this script runs as root.
chmod 0755 "$work"
pids=()
pg_dir=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [[ -n $pg_dir ]]; then
    "$root/tools/pg-test-server.sh" stop "$pg_dir" >/dev/null 2>&1 || true
    pg_dir=""
  fi
}
trap 'cleanup; rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints the CPU seconds (user + system) that the processes $@ used so far.
cpu_of() {
  local total=0 pid fields
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    fields=$(sed 's/^.*) //' "/proc/$pid/stat")
    total=$((total + $(echo "$fields" | awk '{print $12 + $13}')))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.3f", t / hz }'
}

# Prints the pids of the PostgreSQL server of the current run.
pg_pids() {
  local master
  master=$(head -n 1 "$pg_dir/data/postmaster.pid")
  echo "$master" $(pgrep -P "$master" || true)
}

# Starts worker number $2 on database $1 and waits for its port file.
start_worker() {
  local db=$1 n=$2
  "$cli" tam serve --db "$db" --key-dir "$work/keys" \
    --listen 127.0.0.1:0 --port-file "$work/w$n.port" --log-level error \
    >"$work/w$n.out" 2>"$work/w$n.log" &
  pids+=($!)
  worker_pids+=($!)
  for _ in $(seq 1 600); do
    [[ -s $work/w$n.port ]] && return 0
    sleep 0.05
  done
  echo "worker $n did not start; see $work/w$n.log" >&2
  return 1
}

# Runs one configuration; prints one table row.
run_config() {
  local store=$1 workers=$2 db url port n
  rm -rf "$work/keys" "$work"/w*.port "$work/tam.db"*
  worker_pids=()
  if [[ $store == postgresql ]]; then
    pg_dir=$work/pg
    db=$("$root/tools/pg-test-server.sh" start "$pg_dir" | tail -n 1)
  else
    db=/dev/shm/tk-fleet-bench-$$.db
    rm -f "$db"*
  fi
  "$cli" tam init --db "$db" --key-dir "$work/keys" >/dev/null

  local ports=()
  for n in $(seq 1 "$workers"); do
    start_worker "$db" "$n"
    ports+=("$(cat "$work/w$n.port")")
  done
  if [[ $workers -gt 1 ]]; then
    port=$(free_port)
    {
      printf 'global\n    maxconn 2048\ndefaults\n    mode http\n'
      printf '    timeout connect 5s\n    timeout client 60s\n'
      printf '    timeout server 60s\nfrontend teep\n'
      printf '    bind 127.0.0.1:%s\n    default_backend tam\n' "$port"
      printf 'backend tam\n    balance roundrobin\n'
      for n in $(seq 1 "$workers"); do
        printf '    server w%s 127.0.0.1:%s\n' "$n" "${ports[$((n - 1))]}"
      done
    } >"$work/haproxy.cfg"
    "$haproxy" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
    pids+=($!)
    haproxy_pid=$!
    for _ in $(seq 1 200); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.05
    done
    url=http://127.0.0.1:$port/tam
  else
    haproxy_pid=""
    url=http://127.0.0.1:${ports[0]}/tam
  fi

  "$load" --db "$db" --key-dir "$work/keys" --url "$url" \
    --agents "$agents" --sessions "$warmup" --no-verify >/dev/null || true

  local pg_before=0 pg_after=0
  [[ -n $pg_dir ]] && pg_before=$(cpu_of $(pg_pids))
  local tam_before haproxy_before=0
  tam_before=$(cpu_of "${worker_pids[@]}")
  [[ -n $haproxy_pid ]] && haproxy_before=$(cpu_of "$haproxy_pid")
  "$load" --db "$db" --key-dir "$work/keys" --url "$url" \
    --agents "$agents" --sessions "$sessions" >"$work/result.json" || true
  local tam_after haproxy_after=0
  tam_after=$(cpu_of "${worker_pids[@]}")
  [[ -n $haproxy_pid ]] && haproxy_after=$(cpu_of "$haproxy_pid")
  [[ -n $pg_dir ]] && pg_after=$(cpu_of $(pg_pids))

  local r=$work/result.json driver
  driver=$(jq -r .driver_cpu_s "$r")
  per_session() {
    awk -v a="$1" -v b="$2" -v n="$sessions" \
      'BEGIN { printf "%.2f", 1000 * (b - a) / n }'
  }
  echo "| $store | $workers | $(jq -r .completed "$r") |" \
       "$(jq -r '.sessions - .completed' "$r") |" \
       "$(jq -r .busy_retries "$r") |" \
       "$(jq -r '.sessions_per_s | . * 10 | round / 10' "$r") |" \
       "$(jq -r '.p50_ms | . * 10 | round / 10' "$r") |" \
       "$(jq -r '.p99_ms | . * 10 | round / 10' "$r") |" \
       "$(per_session "$tam_before" "$tam_after") |" \
       "$(per_session "$pg_before" "$pg_after") |" \
       "$(per_session "$haproxy_before" "$haproxy_after") |" \
       "$(per_session 0 "$driver") |"
  # A session that failed (its checks are on standard error) stays in
  # the table as a failed session rather than stopping the run.
  cleanup
  rm -f "/dev/shm/tk-fleet-bench-$$.db"*
}

echo "$agents concurrent agents, $sessions install sessions per row" \
     "after $warmup warm-up sessions; CPU in ms per session"
echo
echo "| store | workers | sessions | failed | 503 retries | sessions/s |" \
     "p50 ms | p99 ms | TAM workers CPU | PostgreSQL CPU | HAProxy CPU |" \
     "load driver CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
run_config sqlite 1
for workers in 1 2 4; do
  run_config postgresql "$workers"
done
