#!/usr/bin/env bash
# The demo of `make demo`: a TAM and a device on this machine, talking TEEP
# over HTTP on 127.0.0.1.
#
#   tools/demo.sh BUILD_DIR
#
# It creates the TAM keys and database and starts the TAM. It makes a
# signed SUIT manifest for a sample Trusted Component and registers it,
# then initializes a device and registers it. Then it runs teep-agent three
# times: the device attests and gets the component installed, then updated
# (a higher sequence number), then deleted. After each run it prints the
# state of both sides and checks it. Everything happens in BUILD_DIR/demo-work,
# which is emptied first. The TAM is stopped at the end, also on failure,
# and the script exits with a non-zero status when any step fails.
set -euo pipefail

build=${1:?usage: tools/demo.sh BUILD_DIR}
build=$(cd "$build" && pwd)
cli=$build/apps/cli/teepkit
agent=$build/apps/agent/teep-agent
work=$build/demo-work
for tool in "$cli" "$agent"; do
  if [[ ! -x $tool ]]; then
    echo "demo: $tool is missing; build the project first (make build)" >&2
    exit 1
  fi
done

rm -rf "$work"
mkdir -p "$work"
cd "$work"

tam_pid=
current_step="setup"

stop_tam() {
  if [[ -n $tam_pid ]] && kill -0 "$tam_pid" 2>/dev/null; then
    kill "$tam_pid"
    wait "$tam_pid" 2>/dev/null || true
    echo "demo: TAM stopped"
  fi
  tam_pid=
}

on_exit() {
  local status=$?
  stop_tam
  if [[ $status -ne 0 ]]; then
    echo >&2
    echo "demo FAILED at step: $current_step (status $status)" >&2
    echo "work folder: $work; TAM log: $work/tam.log" >&2
  fi
  exit "$status"
}
trap on_exit EXIT

step() {
  current_step=$1
  echo
  echo "=== $1"
}

# Fails the demo with a message unless the two files are identical.
same_file() {
  if ! cmp -s "$1" "$2"; then
    echo "demo: $1 differs from $2" >&2
    return 1
  fi
  echo "checked: $1 is identical to $2"
}

# Writes a SUIT description of the sample component, version $1 with
# payload file $2, in the teepkit JSON form of `teepkit suit create`.
write_description() {
  cat > "hello-v$1.json" <<EOF
{
  "manifest-sequence-number": $1,
  "components": [["TEEP-Device", "hello-ta"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "vendor-id": "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe",
      "class-id": "1492af14-2569-5e48-bf42-9b2d51f2ab45",
      "image-digest": {"file": "$2"},
      "image-size": {"file": "$2"}}},
    {"condition-vendor-identifier": 15},
    {"condition-class-identifier": 15}
  ],
  "install": [
    {"directive-override-parameters": {"content": {"file": "$2"}}},
    {"directive-write": 15},
    {"condition-image-match": 15}
  ],
  "validate": [{"condition-image-match": 15}],
  "text": {"en": {"manifest-description": "teepkit demo component v$1"}}
}
EOF
}

# Runs one teep-agent session against the TAM.
run_agent() {
  "$agent" --tam "$tam_url" --store device \
    --tam-key tam-keys/tam-esp256.pub.cose \
    --tam-key tam-keys/tam-ed25519.pub.cose \
    --signer-key signer.pub
}

# Prints both sides' view of the device.
show_state() {
  echo "--- device (teep-agent show)"
  "$agent" show --store device
  echo "--- TAM (teepkit tam device show)"
  "$cli" tam device show --db tam.db "$ueid"
}

step "1. Create the TAM keys and its SQLite database"
"$cli" tam init --db tam.db --key-dir tam-keys

step "2. Start the TAM on 127.0.0.1 (a free port)"
"$cli" tam serve --db tam.db --key-dir tam-keys --listen 127.0.0.1:0 \
  --port-file tam.port > tam.log 2>&1 &
tam_pid=$!
for _ in $(seq 1 300); do
  [[ -s tam.port ]] && break
  kill -0 "$tam_pid" 2>/dev/null || { cat tam.log >&2; exit 1; }
  sleep 0.1
done
[[ -s tam.port ]] || { echo "demo: the TAM did not start" >&2; exit 1; }
tam_url="http://127.0.0.1:$(cat tam.port)/tam"
echo "TAM listening at $tam_url (pid $tam_pid, log $work/tam.log)"

step "3. Create the Trusted Component signer key and a signed SUIT manifest"
"$cli" key generate --alg ES256 -o signer.pem
"$cli" key public signer.pem -o signer.pub
printf 'Hello from the trusted component, version 1\n' > hello-v1.bin
write_description 1 hello-v1.bin
"$cli" suit create hello-v1.json -o hello-v1.suit --key signer.pem
"$cli" suit verify --key signer.pub hello-v1.suit

step "4. Register the Trusted Component at the TAM"
"$cli" tam component add --db tam.db hello-v1.suit --signer signer.pub \
  --name hello-ta

step "5. Initialize the device"
"$agent" init --store device --hwmodel teepkit-demo-tee \
  --vendor-id fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe \
  --class-id 1492af14-2569-5e48-bf42-9b2d51f2ab45
ueid=$(jq -r .ueid device/agent.json)
hwmodel=$(jq -r .hwmodel device/agent.json)

step "6. Register the device at the TAM and give it the component"
"$cli" tam device add --db tam.db --id "$ueid" \
  --agent-key device/agent-esp256.cose \
  --agent-key device/agent-ed25519.cose \
  --attestation-key device/attest.cose --hwmodel "$hwmodel" \
  --name demo-device
"$cli" tam policy set --db tam.db --device "$ueid" --component hello-ta

image=device/components/c_sTEEP-Device_shello-ta.img

step "7. Run teep-agent: attest, then install the component"
run_agent
show_state
same_file "$image" hello-v1.bin

step "8. Update: register sequence 2 and run teep-agent again"
printf 'Hello from the trusted component, version 2 (updated)\n' > hello-v2.bin
write_description 2 hello-v2.bin
"$cli" suit create hello-v2.json -o hello-v2.suit --key signer.pem
"$cli" tam component add --db tam.db hello-v2.suit --signer signer.pub \
  --name hello-ta
run_agent
show_state
same_file "$image" hello-v2.bin
jq -e '.components[0].sequence == 2' <("$agent" show --store device --json) \
  > /dev/null
echo "checked: the device reports sequence 2"

step "9. Delete: the policy says the component must be absent"
"$cli" tam policy set --db tam.db --device "$ueid" --component hello-ta \
  --absent
run_agent
show_state
if [[ -e $image ]]; then
  echo "demo: $image still exists after the delete" >&2
  exit 1
fi
echo "checked: the component is gone from the device"

step "10. What the TAM recorded: SUIT reports and the audit log"
"$cli" tam reports --db tam.db --device "$ueid"
"$cli" tam audit --db tam.db

current_step="stop the TAM"
stop_tam
echo
echo "demo finished: every step succeeded (work folder $work)"
