#!/usr/bin/env bash
# Hostile inputs of the teepkit CLI: JSON descriptions of `teepkit suit
# create` that are malformed, mistyped, too deep or name missing files,
# and arguments and files of every command that are missing, folders,
# empty, too large or keys of the wrong type. Each case checks the exit
# status (1 for rejected input, 2 for usage and file errors), that the
# message names the problem, that a failed create writes no output file,
# and that a rejected envelope leaves the device store unchanged.
# Usage: test_hostile_cli.sh PATH_TO_TEEPKIT
set -uo pipefail
teepkit=$(realpath "${1:?usage: test_hostile_cli.sh TEEPKIT}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
cases=0

# expect NAME STATUS STDERR_PATTERN -- ARGS...: runs teepkit ARGS and
# checks the exit status and that stderr matches the extended regular
# expression (if not empty).
expect() {
  local name=$1 want_status=$2 want_err=$3
  shift 4
  cases=$((cases + 1))
  timeout 60 "$teepkit" "$@" >out.txt 2>err.txt
  local status=$?
  if [[ $status -ne $want_status ]]; then
    echo "FAIL $name: exit status $status, expected $want_status: $(head -c 300 err.txt)" >&2
    failures=$((failures + 1))
    return 1
  fi
  if [[ -n $want_err ]] && ! grep -qE -- "$want_err" err.txt; then
    echo "FAIL $name: stderr '$(head -c 300 err.txt)' lacks '$want_err'" >&2
    failures=$((failures + 1))
    return 1
  fi
  echo "ok $name"
}

# absent NAME FILE: records a failure when FILE exists.
absent() {
  cases=$((cases + 1))
  if [[ -e $2 ]]; then
    echo "FAIL $1: $2 was written" >&2
    failures=$((failures + 1))
    rm -f "$2"
  else
    echo "ok $1 writes nothing"
  fi
}

# snapshot DIR: every file name and its SHA-256.
snapshot() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out p256.pem 2>/dev/null
openssl pkey -in p256.pem -pubout -out p256.pub 2>/dev/null
openssl genpkey -algorithm X25519 -out x25519.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
  -out rsa.pem 2>/dev/null
echo "hello" >payload.bin
: >empty
mkdir folder
truncate -s 300M huge.bin
# Not CBOR, PEM or a key: a 0 and trailing text, so the same every run.
printf "\\000this is not CBOR, a PEM key or a COSE_Key" >garbage.bin

# --- JSON descriptions of `suit create` --------------------------------
# json NAME CONTENT: writes NAME.json.
json() {
  printf '%s' "$2" >"$1.json"
}

valid_install='"install": [{"directive-override-parameters": {"image-digest": {"file": "payload.bin"}, "image-size": {"file": "payload.bin"}, "uri": "file:///srv/payload.bin"}}, {"directive-fetch": 15}, {"condition-image-match": 15}]'
json valid "{\"manifest-sequence-number\": 1, \"components\": [[\"app\"]], $valid_install}"
json syntax '{'
json array '[]'
json no_sequence '{"components": [["app"]]}'
json negative_sequence '{"manifest-sequence-number": -1, "components": [["app"]]}'
json float_sequence '{"manifest-sequence-number": 1.5, "components": [["app"]]}'
json text_sequence '{"manifest-sequence-number": "1", "components": [["app"]]}'
json huge_sequence '{"manifest-sequence-number": 18446744073709551616, "components": [["app"]]}'
json no_components '{"manifest-sequence-number": 1, "components": []}'
json component_not_list '{"manifest-sequence-number": 1, "components": ["app"]}'
json segment_number '{"manifest-sequence-number": 1, "components": [[7]]}'
json unknown_member '{"manifest-sequence-number": 1, "components": [["app"]], "foo": 1}'
json duplicate_member '{"manifest-sequence-number": 1, "manifest-sequence-number": 2, "components": [["app"]]}'
json unknown_command '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-fetchh": 15}]}'
json command_arg_type '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-fetch": "x"}]}'
json two_commands_in_one '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-fetch": 15, "condition-image-match": 15}]}'
json unknown_parameter '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-override-parameters": {"nope": 1}}]}'
json bad_uuid '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-override-parameters": {"vendor-id": "zz"}}]}'
json bad_index '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-set-component-index": 5}]}'
json nul_in_text '{"manifest-sequence-number": 1, "components": [["a\u0000b"]]}'
printf '{"manifest-sequence-number": 1, "components": [["\xff\xfe"]]}' >bad_utf8.json
json missing_payload '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-override-parameters": {"image-digest": {"file": "missing.bin"}}}]}'
json folder_payload '{"manifest-sequence-number": 1, "components": [["app"]], "install": [{"directive-override-parameters": {"image-digest": {"file": "folder"}}}]}'
python3 -c "
print('{\"manifest-sequence-number\": 1, \"components\": [[\"app\"]], \"x\": ' + '[' * 100000 + ']' * 100000 + '}')" >deep.json
# try-each nested deeper than the builder allows.
python3 -c "
seq = '[{\"condition-image-match\": 15}]'
for _ in range(40):
    seq = '[{\"directive-try-each\": [' + seq + ', [{\"condition-image-match\": 15}]]}]'
print('{\"manifest-sequence-number\": 1, \"components\": [[\"app\"]], \"install\": ' + seq + '}')" >deep_try.json

expect "valid description" 0 "" -- suit create valid.json -o valid.suit
expect "unterminated JSON" 1 "line 1" -- suit create syntax.json -o o.suit
absent "unterminated JSON" o.suit
expect "JSON array" 1 "expected a JSON object" -- suit create array.json -o o.suit
expect "no sequence number" 1 "manifest-sequence-number: missing" -- \
  suit create no_sequence.json -o o.suit
expect "negative sequence number" 1 "expected an unsigned integer" -- \
  suit create negative_sequence.json -o o.suit
expect "fractional sequence number" 1 "expected an unsigned integer" -- \
  suit create float_sequence.json -o o.suit
expect "text sequence number" 1 "expected an unsigned integer" -- \
  suit create text_sequence.json -o o.suit
expect "sequence number of 2^64" 1 "too big integer" -- \
  suit create huge_sequence.json -o o.suit
expect "no components" 1 "non-empty list" -- \
  suit create no_components.json -o o.suit
expect "component not a list" 1 "components" -- \
  suit create component_not_list.json -o o.suit
expect "number as a segment" 1 "components" -- \
  suit create segment_number.json -o o.suit
expect "unknown member" 1 "foo: unknown member" -- \
  suit create unknown_member.json -o o.suit
expect "duplicate member" 1 "duplicate object key" -- \
  suit create duplicate_member.json -o o.suit
expect "unknown command" 1 "directive-fetchh: unknown command" -- \
  suit create unknown_command.json -o o.suit
expect "command argument of the wrong type" 1 "expected an unsigned integer" -- \
  suit create command_arg_type.json -o o.suit
expect "two commands in one object" 1 "install\[0\]" -- \
  suit create two_commands_in_one.json -o o.suit
expect "unknown parameter" 1 "nope: unknown parameter" -- \
  suit create unknown_parameter.json -o o.suit
expect "invalid UUID" 1 "is not a UUID" -- \
  suit create bad_uuid.json -o o.suit
expect "component index out of range" 1 "component index" -- \
  suit create bad_index.json -o o.suit
expect "NUL in a text" 1 "u0000" -- suit create nul_in_text.json -o o.suit
expect "invalid UTF-8" 1 "unable to decode byte" -- \
  suit create bad_utf8.json -o o.suit
expect "missing payload file" 2 "missing.bin: No such file" -- \
  suit create missing_payload.json -o o.suit
expect "payload file is a folder" 2 "Is a directory" -- \
  suit create folder_payload.json -o o.suit
expect "JSON nested 100000 deep" 1 "maximum parsing depth" -- \
  suit create deep.json -o o.suit
expect "try-each nested 40 deep" 1 "" -- suit create deep_try.json -o o.suit
absent "every rejected description" o.suit

# --- Arguments and files ------------------------------------------------
expect "no command" 2 "usage" --
expect "unknown command" 2 "unknown command 'nope'" -- nope
expect "create without arguments" 2 "missing argument" -- suit create
expect "create without -o" 2 "missing argument" -- suit create valid.json
expect "description is missing" 2 "No such file" -- \
  suit create missing.json -o o.suit
expect "description is a folder" 2 "Is a directory" -- \
  suit create folder -o o.suit
expect "description is empty" 1 "expected near end of file" -- \
  suit create empty -o o.suit
expect "description is 300 MB" 2 "File too large" -- \
  suit create huge.bin -o o.suit
expect "output in a missing folder" 2 "No such file" -- \
  suit create valid.json -o missing/o.suit
expect "output is a folder" 2 "Is a directory" -- \
  suit create valid.json -o folder
expect "key file missing" 2 "cannot read key file" -- \
  suit create valid.json -o o.suit --key missing.pem
expect "key file is a folder" 2 "Is a directory" -- \
  suit create valid.json -o o.suit --key folder
expect "key file is empty" 1 "empty key file|neither a PEM key" -- \
  suit create valid.json -o o.suit --key empty
expect "key file is garbage" 1 "not a PEM key|neither a PEM key" -- \
  suit create valid.json -o o.suit --key garbage.bin
expect "public key cannot sign" 1 "KEY_NOT_PRIVATE" -- \
  suit create valid.json -o o.suit --key p256.pub
expect "X25519 key cannot sign" 1 "not a signing key" -- \
  suit create valid.json -o o.suit --key x25519.pem
expect "RSA key" 1 "unsupported key type" -- \
  suit create valid.json -o o.suit --key rsa.pem
expect "algorithm of another curve" 1 "KEY_MISMATCH" -- \
  suit create valid.json -o o.suit --key p256.pem --alg EdDSA
expect "unknown algorithm" 2 "unknown signature algorithm" -- \
  suit create valid.json -o o.suit --key p256.pem --alg nope
expect "--kid without a value" 2 "missing its key id" -- \
  suit create valid.json -o o.suit --key p256.pem --kid
absent "every rejected key" o.suit

expect "signed create" 0 "" -- suit create valid.json -o signed.suit --key p256.pem
expect "verify a missing file" 2 "No such file" -- \
  suit verify --key p256.pub missing.suit
expect "verify an empty file" 1 "TK_ERR_CBOR_TRUNCATED" -- \
  suit verify --key p256.pub empty
expect "verify a folder" 2 "Is a directory" -- suit verify --key p256.pub folder
expect "verify a 300 MB file" 2 "File too large" -- \
  suit verify --key p256.pub huge.bin
expect "verify with an X25519 key" 1 "KEY_NOT_FOUND" -- \
  suit verify --key x25519.pem signed.suit
expect "verify with an RSA key" 1 "unsupported key type" -- \
  suit verify --key rsa.pem signed.suit
expect "verify without a key" 2 "missing argument" -- suit verify signed.suit
expect "show garbage" 1 "TK_ERR_CBOR_TRAILING" -- suit show garbage.bin
expect "cbor diag of an empty file" 1 "TK_ERR_CBOR_TRUNCATED" -- cbor diag empty
expect "cbor diag of a folder" 2 "Is a directory" -- cbor diag folder
expect "cbor diag of a 300 MB file" 2 "File too large" -- cbor diag huge.bin
expect "cbor diag of invalid hex" 2 "invalid hex text" -- \
  cbor diag --hex payload.bin
expect "cbor diag with an unknown option" 2 "unknown option" -- \
  cbor diag --bogus
expect "public key of an RSA key" 1 "unsupported key type" -- \
  key public rsa.pem -o x.pub
expect "public key of a folder" 2 "Is a directory" -- key public folder -o x.pub
expect "thumbprint of an empty file" 1 "empty key file" -- \
  key thumbprint empty
expect "thumbprint of garbage" 1 "not a PEM key" -- key thumbprint garbage.bin
expect "generate an unknown algorithm" 2 "unknown --alg" -- \
  key generate --alg RS256 -o k.pem
expect "sign with a public key" 1 "cannot sign" -- \
  cose sign1 --key p256.pub --payload payload.bin -o s.cose
expect "sign a 300 MB payload" 2 "File too large" -- \
  cose sign1 --key p256.pem --payload huge.bin -o s.cose
expect "decrypt an envelope as COSE_Encrypt0" 1 "TK_ERR_COSE_WRONG_TAG" -- \
  cose decrypt0 --key p256.pem signed.suit -o p.out

# --- Rejected envelopes leave the device store unchanged ----------------
mkdir store src
cp payload.bin src/payload.bin
json app "{\"manifest-sequence-number\": 5, \"components\": [[\"app\"]], \"install\": [{\"directive-override-parameters\": {\"image-digest\": {\"file\": \"payload.bin\"}, \"image-size\": {\"file\": \"payload.bin\"}, \"uri\": \"file://$work/src/payload.bin\"}}, {\"directive-fetch\": 15}, {\"condition-image-match\": 15}]}"
expect "create seq 5" 0 "" -- suit create app.json -o app.suit --key p256.pem
expect "install seq 5" 0 "" -- \
  suit process --key p256.pub --store store --fetch-dir src app.suit
before=$(snapshot store)
size=$(stat -c %s app.suit)
for cut in 1 10 $((size / 2)) $((size - 1)); do
  head -c "$cut" app.suit >cut.suit
  expect "process cut to $cut bytes" 1 "" -- \
    suit process --key p256.pub --store store --fetch-dir src cut.suit
done
# One byte inside the authentication wrapper flipped.
python3 -c "
import sys
data = bytearray(open('app.suit', 'rb').read())
data[60] ^= 0x01
open('flipped.suit', 'wb').write(data)"
expect "process a flipped byte" 1 "" -- \
  suit process --key p256.pub --store store --fetch-dir src flipped.suit
expect "process garbage" 1 "" -- \
  suit process --key p256.pub --store store garbage.bin
expect "process with a missing store" 2 "" -- \
  suit process --key p256.pub --store missing-store app.suit
cases=$((cases + 1))
if [[ "$(snapshot store)" == "$before" ]]; then
  echo "ok store unchanged by rejected envelopes"
else
  echo "FAIL store changed by a rejected envelope" >&2
  failures=$((failures + 1))
fi

echo "$cases cases, $failures failures"
[[ $failures -eq 0 ]]
