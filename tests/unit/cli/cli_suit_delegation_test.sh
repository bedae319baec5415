#!/usr/bin/env bash
# `teepkit suit process --delegation-anchor PUB` trusts a manifest signed
# by a key that a suit-delegation chain (envelope label 1) vouches for: a
# CWT signed by the anchor whose cnf claim (RFC 8747) contains the
# signer's public key. Without the anchor, or with another one, the
# manifest is rejected and the store stays empty.
#
# Usage: cli_suit_delegation_test.sh TEEPKIT E2E_DIR
set -euo pipefail

teepkit=$(realpath "$1")
e2e_dir=$(realpath "$2")
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
start_work tk-cli-delegation

for name in anchor delegate other; do
  "$teepkit" key generate --alg ES256 -o "$name.pem"
  "$teepkit" key public "$name.pem" -o "$name.pub"
done
"$teepkit" key public delegate.pem -o delegate2.pub --cose delegate.cose

printf 'delegated image\n' >app.bin
cat >app.json <<'JSON'
{
  "manifest-sequence-number": 2,
  "components": [["app"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "image-digest": {"file": "app.bin"},
      "image-size": {"file": "app.bin"}}}
  ],
  "install": [
    {"directive-override-parameters": {"uri": "#app"}},
    {"directive-fetch": 15},
    {"condition-image-match": 15}
  ],
  "integrated-payloads": {"#app": {"file": "app.bin"}}
}
JSON
expect_status 0 "$teepkit" suit create app.json -o plain.suit --key delegate.pem

# The chain: a COSE_Sign1 CWT by the anchor with claims
# {1 (iss): "cli-author", 8 (cnf): {1 (COSE_Key): the delegate's key}}.
python3 - "$e2e_dir" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from e2e import cbor_encode
key = open("delegate.cose", "rb").read()
claims = (b"\xa2" + cbor_encode(1) + cbor_encode("cli-author") +
          cbor_encode(8) + b"\xa1" + cbor_encode(1) + key)
open("claims.cbor", "wb").write(claims)
PY
expect_status 0 "$teepkit" cose sign1 --key anchor.pem --alg ES256 \
  --payload claims.cbor -o cwt.cose
# Put the chain in the envelope as suit-delegation (label 1): [[CWT]].
python3 - "$e2e_dir" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from e2e import Tag, cbor_decode, cbor_encode
envelope = cbor_decode(open("plain.suit", "rb").read())
cwt = open("cwt.cose", "rb").read()
value = envelope.value if isinstance(envelope, Tag) else envelope
value[1] = cbor_encode([[cwt]])
open("delegated.suit", "wb").write(cbor_encode(envelope))
PY

# Rejected: no anchor (only an unrelated signer key), another anchor.
mkdir none wrong good
expect_status 1 "$teepkit" suit process --key other.pub --store none \
  delegated.suit
grep -q "TK_ERR_SUIT_DELEGATION" err.txt || fail "no anchor: $(cat err.txt)"
[[ -z "$(ls none)" ]] || fail "store written without the anchor: $(ls none)"
expect_status 1 "$teepkit" suit process --delegation-anchor other.pub \
  --store wrong delegated.suit
grep -q "TK_ERR_SUIT_DELEGATION" err.txt || fail "another anchor: $(cat err.txt)"
[[ -z "$(ls wrong)" ]] || fail "store written with another anchor: $(ls wrong)"

# Accepted with the chain's anchor.
expect_status 0 "$teepkit" suit process --delegation-anchor anchor.pub \
  --store good delegated.suit
cmp good/c_sapp.img app.bin || fail "the delegated image was not installed"

# The option belongs to process only, and needs its key file.
expect_status 2 "$teepkit" suit verify --delegation-anchor anchor.pub \
  --key anchor.pub delegated.suit
grep -q -- "--delegation-anchor applies to process only" err.txt ||
  fail "verify with an anchor: $(cat err.txt)"
expect_status 2 "$teepkit" suit process --store good delegated.suit \
  --delegation-anchor
grep -q -- "--delegation-anchor is missing its key file" err.txt ||
  fail "no key file: $(cat err.txt)"
echo "cli_suit_delegation: all checks passed"
