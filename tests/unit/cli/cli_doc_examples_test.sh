#!/usr/bin/env bash
# Runs the shell examples of docs/tam.md ("A first TAM"), docs/agent.md
# ("A first device") and docs/suit.md (first round trip, the teepkit form
# over HTTP, encryption) as written, in an empty folder, with the built
# programs first on the PATH. The only change made to them is the port:
# each 8080 becomes a free port of 127.0.0.1, so parallel tests do not
# collide.
#
# Usage: cli_doc_examples_test.sh TEEPKIT TEEP_AGENT DOCS_DIR
set -euo pipefail

teepkit=$(realpath "$1")
agent=$(realpath "$2")
docs=$(realpath "$3")
export PATH="$(dirname "$teepkit"):$(dirname "$agent"):$PATH"
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
start_work tk-cli-docs

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# block FILE N: prints the Nth ```sh block of FILE with its port replaced.
block() {
  awk -v n="$2" '/^```sh$/ { c++; if (c == n) { f = 1; next } }
                 f && /^```$/ { exit }
                 f { print }' "$1" | sed "s/8080/$port/g"
}

# run_block NAME: runs NAME.sh and fails with its output on an error.
run_block() {
  bash -e "$1.sh" >"$1.out" 2>&1 || fail "$1 exited $?: $(tail -20 "$1.out")"
}

# docs/tam.md: the first block ends with `tam serve`, which keeps running.
block "$docs/tam.md" 1 >tam1.sh
block "$docs/tam.md" 2 >tam2.sh
block "$docs/agent.md" 1 >agent1.sh
[[ -s tam1.sh && -s tam2.sh && -s agent1.sh ]] || fail "an example block is missing"
grep -q "tam serve --db tam.db --listen 127.0.0.1:$port" tam1.sh ||
  fail "the first TAM example does not end with serve: $(cat tam1.sh)"
bash -e tam1.sh >tam1.out 2>&1 &
serve_pid=$!
track_pid "$serve_pid"
for _ in $(seq 1 200); do
  grep -q "^listening on 127.0.0.1:$port$" tam1.out && break
  kill -0 "$serve_pid" 2>/dev/null || fail "tam.md example 1 stopped: $(cat tam1.out)"
  sleep 0.1
done
grep -q "^listening on 127.0.0.1:$port$" tam1.out || fail "the TAM did not start: $(cat tam1.out)"
run_block tam2
grep -Eq "c_sTEEP-Device_sapp +sequence 1 +19 bytes" tam2.out ||
  fail "tam.md: the device did not install app: $(cat tam2.out)"
grep -Eq "^1 +1 +1 +0 +ok " tam2.out || fail "tam.md: report not ok: $(cat tam2.out)"
run_block agent1
grep -Eq "c_sTEEP-Device_sapp +sequence 1" agent1.out ||
  fail "agent.md: the device did not install app: $(cat agent1.out)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/other")
[[ $code == 404 ]] || fail "a POST to another path got $code, the docs say 404"

# The serve process of the example is the child of its shell, or the
# shell itself when bash ran the last command with exec.
tam_pid=$(pgrep -P "$serve_pid" -f "teepkit tam serve" || echo "$serve_pid")
[[ -n $tam_pid ]] || fail "no tam serve process under the example's shell"
kill -TERM "$tam_pid"
wait "$serve_pid" || fail "tam.md example 1 exited with an error: $(tail -5 tam1.out)"
untrack_pid "$serve_pid"

# docs/suit.md: block 1 is the first round trip, block 2 the encryption,
# block 3 the teepkit form, which needs an HTTP server for its folder.
mkdir suit
cd suit
for n in 1 2 3; do
  block "$docs/suit.md" $n >"suit$n.sh"
done
run_block suit1
cmp -s store/c_sTEEP-Device_sapp.img app.bin || fail "suit.md: app not installed"
[[ -s app.report ]] || fail "suit.md: no report file"
run_block suit2
cmp -s secret-store/c_ssecret.img secret.bin || fail "suit.md: secret not decrypted"
awk '/^### The teepkit form/ { f = 1 }
     f && /^```json$/ { g = 1; next }
     g && /^```$/ { exit }
     g { print }' "$docs/suit.md" | sed "s/8080/$port/g" >securefs.json
python3 -m http.server "$port" --bind 127.0.0.1 >http.log 2>&1 &
http_pid=$!
track_pid "$http_pid"
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
run_block suit3
cmp -s securefs-store/c_sTEEP-Device_sSecureFS_h8d82573a.img securefs.bin ||
  fail "suit.md: securefs not installed"
echo "cli_doc_examples: all checks passed"
