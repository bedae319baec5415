# The common part of the shell tests: fail, expect_status, a work folder
# removed at exit, and background processes stopped at exit. A test sources
# it after `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
#   start_work tk-my-test     # makes and enters $work
#   "$teepkit" tam serve ... &
#   serve_pid=$!
#   track_pid "$serve_pid"    # stopped at exit unless untracked

# fail MESSAGE...: prints the message and ends the test with status 1.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_status WANT COMMAND...: runs the command with its output in
# out.txt and err.txt of the current folder and checks its exit status.
expect_status() {
  local want=$1
  shift
  local got=0
  "$@" >out.txt 2>err.txt || got=$?
  [[ $got -eq $want ]] ||
    fail "'$*' exited $got, expected $want: $(cat err.txt)"
}

work=
tracked_pids=()

# track_pid PID: stops the background process PID at exit.
track_pid() {
  tracked_pids+=("$1")
}

# untrack_pid PID: removes PID from the list once the test has waited for
# it, so that the exit trap cannot signal another process with that number.
untrack_pid() {
  local keep=() pid
  for pid in "${tracked_pids[@]}"; do
    [[ $pid == "$1" ]] || keep+=("$pid")
  done
  tracked_pids=("${keep[@]}")
}

# Stops the tracked processes and removes the work folder.
finish_test() {
  local pid
  for pid in "${tracked_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      wait "$pid" || true
    fi
  done
  if [[ -n $work ]]; then
    rm -rf "$work"
  fi
}
trap finish_test EXIT

# start_work NAME: makes the work folder /tmp/NAME.XXXXXX, sets $work to
# it and enters it.
start_work() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  cd "$work"
}
