#!/usr/bin/env bash
# Tests of `teepkit tam` as an operator runs it: init, device, component,
# policy, serve on 127.0.0.1 with an ephemeral port, a request with curl,
# a clean stop on SIGTERM, and the tables the commands print.
#
# Usage: cli_tam_test.sh TEEPKIT
set -euo pipefail

teepkit=$(realpath "$1")
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
start_work tk-tam-cli

db=$work/tam.db
expect_status 0 "$teepkit" tam init --db "$db"
grep -q "TAM keys created in $work/tam-keys" out.txt || fail "init output: $(cat out.txt)"
for f in tam-esp256.pem tam-ed25519.pem tam-esp256.pub.pem tam-ed25519.pub.cose; do
  [[ -f tam-keys/$f ]] || fail "init did not write tam-keys/$f"
done
[[ $(stat -c %a tam-keys/tam-esp256.pem) == 600 ]] || fail "private key is not 0600"
expect_status 0 "$teepkit" tam init --db "$db"
grep -q "already present" out.txt || fail "second init output: $(cat out.txt)"

# A device with an agent key and an attestation key.
"$teepkit" key generate --alg ES256 -o agent.pem
"$teepkit" key public agent.pem -o agent.pub
"$teepkit" key generate --alg EdDSA -o attest.pem
"$teepkit" key public attest.pem -o attest.pub
id=0102030405060708090a0b0c0d0e0f1011
expect_status 0 "$teepkit" tam device add --db "$db" --id $id \
  --agent-key agent.pub --attestation-key attest.pub --hwmodel 0102 \
  --hwversion 1.0 --class lab --name bench-1
kid=$("$teepkit" key thumbprint agent.pub)
grep -q "agent key agent.pub kid $kid" out.txt || fail "device add output: $(cat out.txt)"
expect_status 1 "$teepkit" tam device add --db "$db" --id $id --agent-key agent.pub
expect_status 2 "$teepkit" tam device add --db "$db" --id xyz --agent-key agent.pub
expect_status 2 "$teepkit" tam device add --db "$db" --id 01 --agent-key missing.pub
expect_status 0 "$teepkit" tam device list --db "$db"
grep -q "$id *pending" out.txt || fail "device list: $(cat out.txt)"
expect_status 0 "$teepkit" tam device show $id --db "$db"
grep -q "hwmodel *0102" out.txt || fail "device show: $(cat out.txt)"
grep -q "hwversion *1.0" out.txt || fail "device show: $(cat out.txt)"
grep -q "attestation" out.txt || fail "device show: $(cat out.txt)"
expect_status 1 "$teepkit" tam device show 99 --db "$db"
grep -q "no device with id 99" err.txt || fail "unknown device: $(cat err.txt)"

# A component signed by a trusted author, with an integrated payload.
"$teepkit" key generate --alg ES256 -o author.pem
"$teepkit" key public author.pem -o author.pub
"$teepkit" key generate --alg ES256 -o stranger.pem
"$teepkit" key public stranger.pem -o stranger.pub
printf 'component image' >app.bin
cat >app.json <<'EOF'
{
  "manifest-sequence-number": 4,
  "components": [["TEEP-Device", "app"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "image-digest": {"file": "app.bin"},
      "image-size": {"file": "app.bin"}}}
  ],
  "install": [
    {"directive-override-parameters": {"uri": "#app"}},
    {"directive-fetch": 15},
    {"condition-image-match": 15}
  ]
}
EOF
"$teepkit" suit create app.json -o app.suit --key author.pem
expect_status 1 "$teepkit" tam component add app.suit --db "$db" --signer stranger.pub
grep -q "rejected" err.txt || fail "untrusted signer: $(cat err.txt)"
expect_status 1 "$teepkit" tam component add app.suit --db "$db"
grep -q -- "--signer" err.txt || fail "no signer: $(cat err.txt)"
expect_status 0 "$teepkit" tam component add app.suit --db "$db" \
  --signer stranger.pub --signer author.pub --payload '#app=app.bin' --name app
grep -q "component 1 version 1 added: sequence 4" out.txt || fail "component add: $(cat out.txt)"
expect_status 1 "$teepkit" tam component add app.suit --db "$db" --signer author.pub
expect_status 2 "$teepkit" tam component add app.suit --db "$db" --signer author.pub --payload app.bin
expect_status 0 "$teepkit" tam component list --db "$db"
grep -q "^1 *app *1 *4 " out.txt || fail "component list: $(cat out.txt)"

# Policy by device and by class.
expect_status 0 "$teepkit" tam policy set --db "$db" --device $id --component app
expect_status 0 "$teepkit" tam policy set --db "$db" --class lab --component 1 --absent
expect_status 2 "$teepkit" tam policy set --db "$db" --component app
expect_status 1 "$teepkit" tam policy set --db "$db" --device $id --component nothing
expect_status 0 "$teepkit" tam policy show --db "$db"
grep -q "device *1 *1 *install" out.txt || fail "policy show: $(cat out.txt)"
grep -q "class *1 *1 *absent" out.txt || fail "policy show: $(cat out.txt)"
expect_status 1 "$teepkit" tam component remove app --db "$db"
grep -q "policy rule" err.txt || fail "component remove: $(cat err.txt)"

# A configuration file, and serve on an ephemeral port.
cat >tam.conf <<EOF
db = $db
listen = 127.0.0.1:0
log_level = info
EOF
expect_status 2 "$teepkit" tam serve --config missing.conf
"$teepkit" tam serve --config tam.conf --port-file port >serve.out 2>serve.err &
serve_pid=$!
track_pid "$serve_pid"
for _ in $(seq 1 100); do
  [[ -s port ]] && break
  sleep 0.1
done
[[ -s port ]] || fail "serve wrote no port file: $(cat serve.err)"
port=$(cat port)
grep -q "^listening on 127.0.0.1:$port$" serve.out || fail "serve output: $(cat serve.out)"
code=$(curl -s -o qr.bin -w '%{http_code}' -X POST \
  -H 'Accept: application/teep+cbor' "http://127.0.0.1:$port/tam")
[[ $code == 200 ]] || fail "empty POST got $code"
[[ -s qr.bin ]] || fail "empty POST got no QueryRequest"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H 'Accept: application/teep+cbor' -H 'Content-Type: application/teep+cbor' \
  --data-binary @qr.bin "http://127.0.0.1:$port/tam")
# Signed by the TAM itself, whose key is no agent key: 403.
[[ $code == 403 ]] || fail "a QueryRequest sent to the TAM got $code"
kill -TERM "$serve_pid"
status=0
wait "$serve_pid" || status=$?
untrack_pid "$serve_pid"
[[ $status -eq 0 ]] || fail "serve exited $status after SIGTERM: $(cat serve.err)"
grep -q "tam: started: http=127.0.0.1:$port" serve.err || fail "no start line: $(cat serve.err)"
grep -q "session started: QueryRequest sent" serve.err || fail "no session line"
grep -q "message rejected: TK_ERR_TEEP_UNKNOWN_KEY" serve.err || fail "no rejection line"
grep -q "tam: stopped: requests=2" serve.err || fail "no stop line: $(cat serve.err)"
if grep -qi "$(od -An -tx1 -j20 -N8 qr.bin | tr -d ' \n')" serve.err; then
  fail "the log contains message bytes"
fi

# Reports, audit, device removal.
expect_status 0 "$teepkit" tam reports --db "$db" --device $id
expect_status 0 "$teepkit" tam audit --db "$db"
grep -q "device.add" out.txt || fail "audit: $(cat out.txt)"
grep -q "policy.set" out.txt || fail "audit: $(cat out.txt)"
expect_status 0 "$teepkit" tam device remove $id --db "$db"
expect_status 1 "$teepkit" tam device show $id --db "$db"
expect_status 2 "$teepkit" tam device frobnicate --db "$db"
expect_status 2 "$teepkit" tam device list
expect_status 0 "$teepkit" tam --help
echo "cli_tam_test: all checks passed"
