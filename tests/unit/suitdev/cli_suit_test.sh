#!/usr/bin/env bash
# Runs `teepkit suit` on real files: create -> sign -> verify -> process
# round trips, encrypted payloads, payloads served over HTTP on 127.0.0.1,
# tampered payloads and envelopes (which must leave the device store
# unchanged), rollback, URI confinement, COSE_Key files, device settings,
# unlink and usage errors.
# Usage: cli_suit_test.sh PATH_TO_TEEPKIT VECTOR_DIR
set -uo pipefail
teepkit=$(realpath "${1:?usage: cli_suit_test.sh TEEPKIT VECTOR_DIR}")
vectors=$(realpath "${2:?usage: cli_suit_test.sh TEEPKIT VECTOR_DIR}")
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
cd "$work" || exit 1

vendor=fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe
class=1492af14-2569-5e48-bf42-9b2d51f2ab45
identity=(--vendor-id "$vendor" --class-id "$class")

# expect NAME STATUS STDERR_PATTERN -- ARGS...: runs teepkit suit ARGS and
# checks the exit status and that stderr matches the pattern (if any).
expect() {
  local name=$1 want_status=$2 want_err=$3
  shift 4
  "$teepkit" suit "$@" >"$work/out" 2>"$work/err"
  local status=$?
  if [[ $status -ne $want_status ]]; then
    echo "FAIL $name: exit status $status, expected $want_status" >&2
    cat "$work/err" >&2
    failures=$((failures + 1))
    return 1
  fi
  if [[ -n $want_err ]] && ! grep -qE -- "$want_err" "$work/err"; then
    echo "FAIL $name: stderr '$(cat "$work/err")' lacks '$want_err'" >&2
    failures=$((failures + 1))
    return 1
  fi
  echo "ok $name"
}

# check NAME COMMAND...: records a failure when COMMAND fails.
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok $name"
  else
    echo "FAIL $name" >&2
    failures=$((failures + 1))
  fi
}

# differ A B: succeeds when the two files differ.
differ() {
  ! cmp -s "$1" "$2"
}

# snapshot DIR: prints every file name and its SHA-256, to compare a store
# before and after a run.
snapshot() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# manifest FILE SEQ URI: writes a teepkit-form description of one
# component fetched from URI and checked against payload.bin.
manifest() {
  cat >"$1" <<EOF
{
  "manifest-sequence-number": $2,
  "components": [["TEEP-Device", "app"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "vendor-id": "$vendor",
      "class-id": "$class",
      "image-digest": {"file": "payload.bin"},
      "image-size": {"file": "payload.bin"}}},
    {"condition-vendor-identifier": 15},
    {"condition-class-identifier": 15}
  ],
  "install": [
    {"directive-override-parameters": {"uri": "$3"}},
    {"directive-fetch": 2},
    {"condition-image-match": 15}
  ],
  "validate": [{"condition-image-match": 15}],
  "text": {"en": {"manifest-description": "test application"}},
  "sever": ["text"]
}
EOF
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out p256.pem 2>/dev/null
openssl pkey -in p256.pem -pubout -out p256.pub 2>/dev/null
openssl genpkey -algorithm ED25519 -out ed.pem 2>/dev/null
openssl pkey -in ed.pem -pubout -out ed.pub 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out other.pem 2>/dev/null
openssl pkey -in other.pem -pubout -out other.pub 2>/dev/null
head -c 5000 /dev/urandom >payload.bin
cp payload.bin payload.orig
mkdir store

# --- create -> sign -> verify -> process ---------------------------------
manifest app.json 3 "file://$work/payload.bin"
expect "create unsigned" 0 "" -- create app.json -o app.unsigned
expect "sign with two keys" 0 "" -- \
  sign --key p256.pem --key ed.pem --alg EdDSA app.unsigned -o app.suit
expect "verify with the P-256 key" 0 "" -- verify --key p256.pub app.suit
check "verify reports two blocks" grep -q "authentication-blocks: 2" out
expect "verify with the Ed25519 key" 0 "" -- verify --key ed.pub app.suit
expect "verify with an unknown key" 1 "SUIT_SIGNATURE|KEY_NOT_FOUND" -- \
  verify --key other.pub app.suit
expect "verify unsigned" 1 "NO_SIGNATURE" -- verify --key p256.pub app.unsigned
expect "process round trip" 0 "" -- \
  process --key p256.pub --store store "${identity[@]}" app.suit
check "store holds the payload" cmp -s store/c_sTEEP-Device_sapp.img payload.bin
check "report says success" grep -q "report-result / 4: true" out
check "metadata has the sequence number" \
  grep -q '"sequence-number": 3' store/c_sTEEP-Device_sapp.meta

# --- show ----------------------------------------------------------------
expect "show" 0 "" -- show app.suit
check "show names commands" grep -q "/ directive-fetch / 21" out
check "show names parameters" grep -q "/ uri / 21:" out
expect "show --json" 0 "" -- show --json app.suit
check "show --json is JSON" python3 -m json.tool out /dev/null
check "show --json names commands" grep -q '"condition-image-match": 15' out
printf 'garbage' >garbage.bin
expect "show garbage" 1 "byte offset" -- show garbage.bin

# --- tampering leaves the store unchanged --------------------------------
snapshot store >before.txt
manifest app4.json 4 "file://$work/payload.bin"
expect "create seq 4" 0 "" -- create app4.json -o app4.suit --key p256.pem
# Flip a bit: writing a fixed byte left the random payload unchanged
# whenever it already held that byte (one run in 256).
python3 - payload.bin <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[100] ^= 0x01
open(sys.argv[1], 'wb').write(data)
EOF
check "payload tampered" differ payload.bin payload.orig
expect "tampered payload rejected" 1 \
  "condition-image-match.*offset [0-9]+ of the sequence" -- \
  process --key p256.pub --store store "${identity[@]}" app4.suit
check "tampered payload: store unchanged" \
  diff <(snapshot store) before.txt
cp payload.orig payload.bin
python3 - app4.suit app4.bad <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[len(data) - 20] ^= 0x01
open(sys.argv[2], 'wb').write(data)
EOF
expect "tampered envelope rejected" 1 "byte offset: [0-9]+" -- \
  process --key p256.pub --store store "${identity[@]}" app4.bad
check "tampered envelope: store unchanged" \
  diff <(snapshot store) before.txt
expect "wrong vendor rejected" 1 "vendor-identifier" -- \
  process --key p256.pub --store store --vendor-id "$class" \
  --class-id "$class" app4.suit
check "wrong vendor: store unchanged" diff <(snapshot store) before.txt

# --- rollback ------------------------------------------------------------
expect "newer manifest accepted" 0 "" -- \
  process --key p256.pub --store store "${identity[@]}" app4.suit
manifest app2.json 2 "file://$work/payload.bin"
expect "create seq 2" 0 "" -- create app2.json -o app2.suit --key p256.pem
snapshot store >before.txt
expect "rollback rejected" 1 "ROLLBACK" -- \
  process --key p256.pub --store store "${identity[@]}" app2.suit
check "rollback: store unchanged" diff <(snapshot store) before.txt
expect "rollback allowed on request" 0 "" -- \
  process --key p256.pub --store store "${identity[@]}" --allow-rollback \
  app2.suit
check "rollback: metadata updated" \
  grep -q '"sequence-number": 2' store/c_sTEEP-Device_sapp.meta

# --- URI confinement -----------------------------------------------------
mkdir -p outside sub
cp payload.bin outside/payload.bin
manifest sub/out.json 10 "file://$work/outside/payload.bin"
cp payload.bin sub/payload.bin
expect "create outside" 0 "" -- create sub/out.json -o sub/out.suit \
  --key p256.pem
expect "file outside the fetch folders rejected" 1 "URI_REJECTED" -- \
  process --key p256.pub --store store "${identity[@]}" sub/out.suit
expect "file allowed with --fetch-dir" 0 "" -- \
  process --key p256.pub --store store "${identity[@]}" \
  --fetch-dir outside sub/out.suit
manifest host.json 11 "http://localhost:1/payload.bin"
expect "create localhost" 0 "" -- create host.json -o host.suit \
  --key p256.pem
expect "http to another host rejected" 1 "URI_REJECTED" -- \
  process --key p256.pub --store store "${identity[@]}" host.suit

# --- HTTP on 127.0.0.1 ---------------------------------------------------
mkdir web
cp payload.bin web/payload.bin
(cd web && exec python3 -u -m http.server --bind 127.0.0.1 0 \
  >"$work/server.log" 2>&1) &
server_pid=$!
port=
# Python may start slowly on a loaded machine: wait up to 30 seconds.
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*127\.0\.0\.1 port \([0-9]*\).*/\1/p' server.log | head -n 1)
  [[ -n $port ]] && break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "FAIL http server did not start" >&2
  failures=$((failures + 1))
else
  manifest http.json 12 "http://127.0.0.1:$port/payload.bin"
  expect "create http" 0 "" -- create http.json -o http.suit --key ed.pem
  rm store/*
  expect "fetch over http" 0 "" -- \
    process --key ed.pub --store store "${identity[@]}" http.suit
  check "http payload installed" \
    cmp -s store/c_sTEEP-Device_sapp.img payload.bin
  manifest missing.json 13 "http://127.0.0.1:$port/missing.bin"
  expect "create missing" 0 "" -- create missing.json -o missing.suit \
    --key ed.pem
  expect "http 404 fails" 1 "HTTP status 404" -- \
    process --key ed.pub --store store "${identity[@]}" missing.suit
fi

# --- encryption ----------------------------------------------------------
# encrypted FILE SEQ INFO URI: a description that fetches the ciphertext
# into component 1 and decrypts it into component 0 by copying.
encrypted() {
  cat >"$1" <<EOF
{
  "manifest-sequence-number": $2,
  "components": [["plaintext-firmware"], ["encrypted-firmware"]],
  "install": [
    {"directive-set-component-index": 1},
    {"directive-override-parameters": {"uri": "$4"}},
    {"directive-fetch": 15},
    {"directive-set-component-index": 0},
    {"directive-override-parameters": {
      "encryption-info": {"file": "$3"},
      "source-component": 1,
      "image-digest": {"file": "payload.bin"},
      "image-size": {"file": "payload.bin"}}},
    {"directive-copy": 15},
    {"condition-image-match": 15}
  ]
}
EOF
}
head -c 16 /dev/urandom | xxd -p >kek.hex
for content in A128GCM A128CTR; do
  rm -f store/*
  expect "encrypt AES-KW $content" 0 "" -- encrypt --recipient kek.hex \
    --payload payload.bin --content "$content" --kid kid-1 -o payload.enc
  check "ciphertext differs from payload" differ payload.enc payload.bin
  encrypted enc.json 20 payload.enc.info "file://$work/payload.enc"
  expect "create encrypted $content" 0 "" -- create enc.json -o enc.suit \
    --key p256.pem
  expect "process decrypts $content" 0 "" -- \
    process --key p256.pub --decrypt-key kek.hex --store store enc.suit
  check "decrypted payload installed ($content)" \
    cmp -s store/c_splaintext-firmware.img payload.bin
done
head -c 16 /dev/urandom | xxd -p >wrong.hex
rm -f store/*
expect "wrong key-encryption key fails" 1 "DECRYPT" -- \
  process --key p256.pub --decrypt-key wrong.hex --store store enc.suit
check "failed decryption leaves no file" test -z "$(ls store)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out device.pem 2>/dev/null
openssl pkey -in device.pem -pubout -out device.pub 2>/dev/null
expect "encrypt ECDH-ES" 0 "" -- encrypt --recipient device.pub \
  --payload payload.bin -o payload.ecdh --info ecdh.info
encrypted ecdh.json 21 ecdh.info "file://$work/payload.ecdh"
expect "create ECDH-ES" 0 "" -- create ecdh.json -o ecdh.suit --key p256.pem
expect "process decrypts ECDH-ES" 0 "" -- \
  process --key p256.pub --decrypt-key device.pem --store store ecdh.suit
check "ECDH-ES payload installed" \
  cmp -s store/c_splaintext-firmware.img payload.bin

# --- COSE_Key files ------------------------------------------------------
"$teepkit" key generate --alg ES256 -o ck.pem --cose ck.cose \
  --kid author-1 >/dev/null 2>&1
"$teepkit" key public ck.cose -o ck.pub --cose ck.pub.cose >/dev/null 2>&1
"$teepkit" key generate --alg A128KW -o kek.cose >/dev/null 2>&1
expect "create signed with a COSE_Key" 0 "" -- \
  create app.json -o cose.suit --key ck.cose
expect "verify with a public COSE_Key" 0 "" -- \
  verify --key ck.pub.cose cose.suit
expect "show a COSE_Key signature" 0 "" -- show cose.suit
check "the COSE_Key kid names the signer" \
  grep -qE "617574686f722d31|author-1" out
expect "verify with the PEM of the same key" 0 "" -- \
  verify --key ck.pub cose.suit
expect "COSE_Key key-encryption key" 0 "" -- encrypt --recipient kek.cose \
  --payload payload.bin -o cose.enc
encrypted cose-enc.json 22 cose.enc.info "file://$work/cose.enc"
expect "create with COSE_Key encryption" 0 "" -- \
  create cose-enc.json -o cose-enc.suit --key ck.cose
rm -f store/*
expect "process with COSE_Key keys" 0 "" -- \
  process --key ck.pub.cose --decrypt-key kek.cose --store store \
  cose-enc.suit
check "COSE_Key decryption installed the payload" \
  cmp -s store/c_splaintext-firmware.img payload.bin
printf 'not a key' >junk.key
expect "invalid key content" 1 "nor a symmetric key" -- \
  verify --key junk.key cose.suit

# --- the manifest draft's examples ---------------------------------------
expect "create example 0" 0 "" -- \
  create "$vectors/suitbuild/manifest/example0.json" -o example0.suit
check "example 0 byte-identical" \
  cmp -s example0.suit <(xxd -r -p "$vectors/suitbuild/manifest/example0-unsigned.hex")

# --- a dependency integrated in its dependent ---------------------------
# The trust-domains example signed with the published example key: the
# device processes the integrated dependency and installs three components.
td=$vectors/suitbuild/trust-domains
mkdir tdstore
expect "create integrated dependency" 0 "" -- \
  create "$td/example2_integrated.json" -o integrated.suit \
  --key "$vectors/suitbuild/manifest/example-es256-private-key.pem" \
  --alg ESP256
expect "process integrated dependency" 0 "invoked component c_s10" -- \
  process --key "$vectors/suitbuild/manifest/example-es256-public-key.pem" \
  --store tdstore --operation update-and-boot integrated.suit
check "dependency wrote its component" \
  grep -q "hello world" tdstore/c_s00.img
check "dependent wrote its component" \
  grep -q "in multiple trust domains" tdstore/c_s10.img

# --- device settings and update-management commands ---------------------
cat >device.json <<EOF
{
  "manifest-sequence-number": 30,
  "components": [["app"]],
  "install": [
    {"directive-override-parameters": {
      "minimum-battery": 1000,
      "update-priority": 3,
      "version": {"comparison": "greater-equal", "value": [1, 2]},
      "content": "written under device settings"}},
    {"condition-minimum-battery": 15},
    {"condition-update-authorized": 15},
    {"condition-version": 15},
    {"custom": {"label": -257, "value": null}},
    {"directive-write": 15}
  ]
}
EOF
cat >settings.json <<EOF
{
  "battery-mwh": 5000,
  "authorize": {"max-priority": 5},
  "versions": [{"component": ["app"], "version": [1, 2, 1]}],
  "custom": [{"label": -257, "result": true}]
}
EOF
mkdir devstore
expect "create update-management manifest" 0 "" -- \
  create device.json -o device.suit --key p256.pem
expect "no battery level" 1 "battery-mwh" -- \
  process --key p256.pub --store devstore device.suit
check "no battery level: store unchanged" test -z "$(ls devstore)"
expect "battery too low" 1 "SUIT_BATTERY" -- \
  process --key p256.pub --store devstore --device-settings settings.json \
  --battery 999 device.suit
expect "update declined" 1 "UPDATE_UNAUTHORIZED" -- \
  process --key p256.pub --store devstore --device-settings settings.json \
  --authorize no device.suit
expect "priority above the limit" 1 "UPDATE_UNAUTHORIZED" -- \
  process --key p256.pub --store devstore --device-settings settings.json \
  --authorize 2 device.suit
expect "version too old" 1 "COMPONENT_VERSION" -- \
  process --key p256.pub --store devstore --device-settings settings.json \
  --component-version c_sapp=1.1.9 device.suit
check "failed conditions: store unchanged" test -z "$(ls devstore)"
expect "device settings satisfy every condition" 0 \
  "custom command -257 on component c_sapp: true" -- \
  process --key p256.pub --store devstore --device-settings settings.json \
  device.suit
check "device settings: component written" \
  grep -q "written under device settings" devstore/c_sapp.img
printf '{"batery-mwh": 1}' >typo.json
expect "unknown settings member" 2 'unknown member "batery-mwh"' -- \
  process --key p256.pub --store devstore --device-settings typo.json \
  device.suit
expect "bad --authorize" 2 "--authorize 'maybe'" -- \
  process --key p256.pub --store devstore --authorize maybe device.suit
cat >unlink.json <<EOF
{
  "manifest-sequence-number": 31,
  "components": [["app"]],
  "install": [{"directive-unlink": 15}]
}
EOF
expect "create unlink manifest" 0 "" -- \
  create unlink.json -o unlink.suit --key p256.pem
expect "unlink removes the component" 0 "" -- \
  process --key p256.pub --store devstore unlink.suit
check "unlink: image and metadata gone" test -z "$(ls devstore)"

# --- tombstones ----------------------------------------------------------
# With --keep-tombstones a deleted component keeps its sequence number, or
# that of the manifest that unlinked it, so an older manifest cannot
# install it again. Without the option it can.
manifest tomb5.json 5 "file://$work/payload.bin"
manifest tomb4.json 4 "file://$work/payload.bin"
manifest tomb7.json 7 "file://$work/payload.bin"
cat >tombgone.json <<EOF
{
  "manifest-sequence-number": 6,
  "components": [["TEEP-Device", "app"]],
  "install": [{"directive-unlink": 15}]
}
EOF
for name in tomb5 tomb4 tomb7 tombgone; do
  expect "create $name" 0 "" -- create $name.json -o $name.suit --key p256.pem
done
expect "missing store folder" 2 "create the folder first" -- \
  process --key p256.pub --store nostore "${identity[@]}" tomb5.suit
mkdir tombstore plainstore
for store in tombstore plainstore; do
  keep=()
  [[ $store == tombstore ]] && keep=(--keep-tombstones)
  expect "$store: install seq 5" 0 "" -- process --key p256.pub \
    --store $store "${identity[@]}" "${keep[@]}" tomb5.suit
  expect "$store: unlink" 0 "" -- process --key p256.pub --store $store \
    "${keep[@]}" tombgone.suit
done
check "tombstone kept" test -f tombstore/c_sTEEP-Device_sapp.tomb
check "tombstone has the unlinking manifest's number" \
  grep -q '"sequence-number": 6' tombstore/c_sTEEP-Device_sapp.tomb
check "no tombstone without the option" \
  test ! -e plainstore/c_sTEEP-Device_sapp.tomb
snapshot tombstore >before.txt
expect "older manifest after a delete rejected" 1 "ROLLBACK" -- \
  process --key p256.pub --store tombstore "${identity[@]}" \
  --keep-tombstones tomb4.suit
check "tombstone: store unchanged" diff <(snapshot tombstore) before.txt
expect "older manifest without tombstones accepted" 0 "" -- \
  process --key p256.pub --store plainstore "${identity[@]}" tomb4.suit
expect "replaced manifest after an unlink rejected" 1 "ROLLBACK" -- \
  process --key p256.pub --store tombstore "${identity[@]}" \
  --keep-tombstones tomb5.suit
expect "newer manifest after an unlink accepted" 0 "" -- \
  process --key p256.pub --store tombstore "${identity[@]}" \
  --keep-tombstones tomb7.suit

# --- usage errors --------------------------------------------------------
expect "no command" 2 "" --
expect "unknown command" 2 "unknown command" -- frobnicate
expect "create without output" 2 "missing argument" -- create app.json
expect "unknown option" 2 "unknown option" -- show --colour app.suit
expect "missing input file" 2 "cannot read" -- show nowhere.suit
expect "bad signature algorithm" 2 "unknown signature algorithm" -- \
  sign --key p256.pem --alg ES999 app.unsigned -o x.suit
printf '{"manifest-sequence-number": 1, "components": [["a"]],\n "install": [{"directive-fetch": 2}, {"directive-fetchh": 2}]}' >bad.json
expect "unknown command in description" 1 \
  "install\\[1\\]\\.directive-fetchh: unknown command" -- \
  create bad.json -o x.suit

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
