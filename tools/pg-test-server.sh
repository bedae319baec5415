#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the store tests.
#
# Usage: tools/pg-test-server.sh start DIR
#        tools/pg-test-server.sh stop DIR
#
# start creates DIR and initializes a cluster in DIR/data. It starts the
# server listening on 127.0.0.1 only, on a free port, with its unix socket
# in DIR. It creates the database teepkit_test, owned by the role teepkit
# with a random password, then writes the connection string to
# DIR/conninfo (mode 0600) and prints it. A server left in DIR by an
# earlier run is stopped first. stop stops the server and removes DIR.
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# postgres system user (created by Debian's postgresql package) and its
# programs run through runuser. TK_PG_BINDIR overrides the folder of the
# PostgreSQL programs (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
dir=$2
[[ $dir == /* ]] || dir=$(pwd)/$dir

bindir=${TK_PG_BINDIR:-}
if [[ -z $bindir ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [[ -z $bindir || ! -x $bindir/initdb ]]; then
  echo "$0: PostgreSQL server programs not found; install the Debian" \
       "package postgresql or set TK_PG_BINDIR" >&2
  exit 1
fi

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_server() {
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# Starts the server on a random port; another process may hold the port, so
# a failed start is retried on a new one. Prints the port.
start_server() {
  local attempt port
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
         -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" \
         start >/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "$0: the server did not start; end of $dir/server.log:" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  return 1
}

case $action in
start)
  stop_server
  mkdir -p "$dir"
  chmod 0700 "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
  fi
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  pwfile=$dir/pwfile
  (umask 077 && printf '%s\n' "$password" >"$pwfile")
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pwfile"
  # Local (socket) connections are trusted for this script; TCP on
  # 127.0.0.1 needs the password.
  as_owner "$bindir/initdb" -D "$dir/data" -U teepkit --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
    --no-sync >"$dir/initdb.log" 2>&1 || {
    echo "$0: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  }
  rm -f "$pwfile"
  port=$(start_server)
  as_owner "$bindir/createdb" -h "$dir" -p "$port" -U teepkit teepkit_test
  conninfo="postgresql://teepkit:$password@127.0.0.1:$port/teepkit_test"
  (umask 077 && printf '%s\n' "$conninfo" >"$dir/conninfo")
  echo "$conninfo"
  ;;
stop)
  stop_server
  ;;
*)
  usage
  ;;
esac
