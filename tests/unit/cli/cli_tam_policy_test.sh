#!/usr/bin/env bash
# `teepkit tam policy list|remove` on success and on bad input, the hint
# of `component remove`, and the RESULT and ERROR columns of `tam reports`
# after a session with teep-agent that installs one component and fails
# another (a TAM on 127.0.0.1 with an ephemeral port).
#
# Usage: cli_tam_policy_test.sh TEEPKIT TEEP_AGENT
set -euo pipefail

teepkit=$(realpath "$1")
agent=$(realpath "$2")
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
start_work tk-cli-policy

db=$work/tam.db
expect_status 0 "$teepkit" tam init --db "$db"
"$teepkit" key generate --alg ES256 -o author.pem
"$teepkit" key public author.pem -o author.pub

# describe NAME VENDOR: a component NAME whose image is integrated under
# "#NAME" and whose shared sequence checks the vendor id VENDOR.
describe() {
  printf 'image of %s\n' "$1" >"$1.bin"
  cat >"$1.json" <<EOF
{
  "manifest-sequence-number": 1,
  "components": [["TEEP-Device", "$1"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "vendor-id": "$2",
      "image-digest": {"file": "$1.bin"},
      "image-size": {"file": "$1.bin"}}},
    {"condition-vendor-identifier": 15}
  ],
  "install": [
    {"directive-override-parameters": {"uri": "#$1"}},
    {"directive-fetch": 15},
    {"condition-image-match": 15}
  ]
}
EOF
  "$teepkit" suit create "$1.json" -o "$1.suit" --key author.pem
  expect_status 0 "$teepkit" tam component add "$1.suit" --db "$db" \
    --signer author.pub --payload "#$1=$1.bin" --name "$1"
}
vendor=fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe
describe good "$vendor"
describe wrong 00000000-0000-0000-0000-000000000001

expect_status 0 "$agent" init --store dev --vendor-id "$vendor"
ueid=$(jq -r .ueid dev/agent.json)
expect_status 0 "$teepkit" tam device add --db "$db" --id "$ueid" \
  --agent-key dev/agent-esp256.cose --agent-key dev/agent-ed25519.cose \
  --attestation-key dev/attest.cose --hwmodel "$(jq -r .hwmodel dev/agent.json)"

# policy list: the same table as policy show, empty at first.
expect_status 0 "$teepkit" tam policy list --db "$db"
[[ $(wc -l <out.txt) -eq 1 ]] || fail "policy list of no rule: $(cat out.txt)"
grep -q "^NUMBER *FOR *OWNER *COMPONENT *ACTION" out.txt ||
  fail "policy list header: $(cat out.txt)"
expect_status 0 "$teepkit" tam policy set --db "$db" --device "$ueid" --component good
expect_status 0 "$teepkit" tam policy set --db "$db" --device "$ueid" --component wrong
expect_status 0 "$teepkit" tam policy set --db "$db" --class lab --component wrong --absent
expect_status 0 "$teepkit" tam policy list --db "$db"
grep -q "^1 *device *1 *1 *install" out.txt || fail "policy list: $(cat out.txt)"
grep -q "^2 *device *1 *2 *install" out.txt || fail "policy list: $(cat out.txt)"
grep -q "^3 *class *1 *2 *absent" out.txt || fail "policy list: $(cat out.txt)"
expect_status 0 "$teepkit" tam policy list --db "$db" --class lab
[[ $(wc -l <out.txt) -eq 2 ]] || fail "policy list --class: $(cat out.txt)"
expect_status 0 "$teepkit" tam policy list --db "$db" --json
[[ $(jq length out.txt) -eq 3 ]] || fail "policy list --json: $(cat out.txt)"
[[ $(jq -r '.[2].action' out.txt) == forbid ]] ||
  fail "policy list --json action: $(cat out.txt)"

# component remove names the command that removes the rule.
expect_status 1 "$teepkit" tam component remove wrong --db "$db"
grep -q "teepkit tam policy remove" err.txt || fail "component remove hint: $(cat err.txt)"

# policy remove: bad input changes nothing.
expect_status 2 "$teepkit" tam policy remove --db "$db"
grep -q "give the rule number" err.txt || fail "no rule: $(cat err.txt)"
expect_status 2 "$teepkit" tam policy remove --db "$db" abc
grep -q "invalid rule number 'abc'" err.txt || fail "bad rule: $(cat err.txt)"
expect_status 2 "$teepkit" tam policy remove --db "$db" 0
expect_status 2 "$teepkit" tam policy remove --db "$db" 1 2
expect_status 2 "$teepkit" tam policy remove --db "$db" 1 --device "$ueid" --component good
grep -q "not both" err.txt || fail "rule and owner: $(cat err.txt)"
expect_status 2 "$teepkit" tam policy remove --db "$db" --device "$ueid"
grep -q -- "--component COMPONENT is required" err.txt || fail "no component: $(cat err.txt)"
expect_status 2 "$teepkit" tam policy remove --db "$db" --component good
grep -q "either --device ID or --class NAME" err.txt || fail "no owner: $(cat err.txt)"
expect_status 1 "$teepkit" tam policy remove --db "$db" 99
grep -q "no policy rule 99" err.txt || fail "unknown rule: $(cat err.txt)"
grep -q "TK_ERR_STORE_NOT_FOUND" err.txt || fail "unknown rule code: $(cat err.txt)"
expect_status 1 "$teepkit" tam policy remove --db "$db" --class nothing --component wrong
grep -q "no device class named 'nothing'" err.txt || fail "unknown class: $(cat err.txt)"
expect_status 1 "$teepkit" tam policy remove --db "$db" --class lab --component good
grep -q "no policy rule for class 'lab' and component 1" err.txt ||
  fail "no such rule: $(cat err.txt)"
expect_status 1 "$teepkit" tam policy remove --db "$db" --device "$ueid" --component nothing
expect_status 2 "$teepkit" tam policy delete --db "$db" 1
expect_status 0 "$teepkit" tam policy list --db "$db" --json
[[ $(jq length out.txt) -eq 3 ]] || fail "bad input removed a rule: $(cat out.txt)"

# policy remove by number and by owner and component.
expect_status 0 "$teepkit" tam policy remove --db "$db" 3
grep -q "^policy rule 3 removed$" out.txt || fail "remove by number: $(cat out.txt)"
expect_status 1 "$teepkit" tam policy remove --db "$db" 3
expect_status 0 "$teepkit" tam audit --db "$db"
grep -q "policy.delete" out.txt || fail "audit of the removal: $(cat out.txt)"

# A session: good installs, wrong fails its vendor condition.
"$teepkit" tam serve --db "$db" --listen 127.0.0.1:0 --port-file port \
  >serve.out 2>serve.err &
serve_pid=$!
track_pid "$serve_pid"
for _ in $(seq 1 100); do
  [[ -s port ]] && break
  sleep 0.1
done
[[ -s port ]] || fail "serve wrote no port file: $(cat serve.err)"
expect_status 7 "$agent" --tam "http://127.0.0.1:$(cat port)/tam" --store dev \
  --tam-key tam-keys/tam-esp256.pub.cose --tam-key tam-keys/tam-ed25519.pub.cose \
  --signer-key author.pub
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve exited with an error: $(cat serve.err)"
untrack_pid "$serve_pid"

expect_status 0 "$teepkit" tam reports --db "$db" --device "$ueid" --json
[[ $(jq length out.txt) -eq 2 ]] || fail "reports --json: $(cat out.txt)"
[[ $(jq -r '[.[] | select(.status == "failed")][0].result' out.txt) == 135 ]] ||
  fail "the failed report must carry TK_ERR_SUIT_VENDOR_ID: $(cat out.txt)"
[[ $(jq '[.[] | select(.status == "ok")] | length' out.txt) -eq 1 ]] ||
  fail "one report must be ok: $(cat out.txt)"
expect_status 0 "$teepkit" tam reports --db "$db" --device "$ueid"
grep -q "^NUMBER .* RESULT .* ERROR$" out.txt || fail "reports header: $(cat out.txt)"
grep -Eq " ok +[0-9]+ +[0-9TZ:-]+ +-$" out.txt || fail "ok report row: $(cat out.txt)"
grep -Eq " failed +[0-9]+ +[0-9TZ:-]+ +135 \(TK_ERR_SUIT_VENDOR_ID\)$" out.txt ||
  fail "failed report row: $(cat out.txt)"

# Removing the last rules lets the components go.
expect_status 0 "$teepkit" tam policy remove --db "$db" --device "$ueid" --component wrong --json
[[ $(jq -r .removed.policy out.txt) == 2 ]] || fail "remove --json: $(cat out.txt)"
expect_status 0 "$teepkit" tam policy remove --db "$db" 1
expect_status 0 "$teepkit" tam policy list --db "$db" --json
[[ $(jq length out.txt) -eq 0 ]] || fail "rules left: $(cat out.txt)"
expect_status 0 "$teepkit" tam component remove wrong --db "$db"
echo "cli_tam_policy: all checks passed"
