#!/usr/bin/env bash
# Runs `teepkit key` and `teepkit cose` on generated keys and messages and
# checks outputs, exit statuses and the error codes they print.
# Usage: cli_cose.sh TEEPKIT
set -u

teepkit=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect STATUS PATTERN CMD...: runs CMD, checks its exit status and that
# its standard error matches PATTERN (an extended regex; "" for none).
expect() {
  local want=$1 pattern=$2
  shift 2
  "$@" > out.log 2> err.txt
  local got=$?
  if [[ $got -ne $want ]]; then
    fail "$* exited $got, expected $want: $(cat err.txt)"
  elif [[ -n $pattern ]] && ! grep -Eq -e "$pattern" err.txt; then
    fail "$*: standard error lacks /$pattern/: $(cat err.txt)"
  fi
}

mode() {
  stat -c %a "$1"
}

# Keys: generated private files are 0600, public ones 0644, and every
# form of a key has the same thumbprint.
expect 0 "" "$teepkit" key generate --alg ES256 -o k.pem --cose k.cose --kid signer
expect 0 "" "$teepkit" key public k.pem -o pub.pem --cose pub.cose
[[ $(mode k.pem) == 600 ]] || fail "k.pem has mode $(mode k.pem)"
[[ $(mode k.cose) == 600 ]] || fail "k.cose has mode $(mode k.cose)"
[[ $(mode pub.pem) == 644 ]] || fail "pub.pem has mode $(mode pub.pem)"
t1=$("$teepkit" key thumbprint k.pem)
t2=$("$teepkit" key thumbprint pub.cose)
[[ ${#t1} -eq 64 && $t1 == "$t2" ]] || fail "thumbprints differ: $t1 $t2"
if command -v openssl > /dev/null; then
  openssl pkey -in k.pem -noout 2> /dev/null || fail "openssl cannot read k.pem"
  openssl pkey -pubin -in pub.pem -noout 2> /dev/null ||
    fail "openssl cannot read pub.pem"
  # A key that OpenSSL made loads too.
  openssl genpkey -algorithm ED25519 -out ossl.pem 2> /dev/null
  expect 0 "" "$teepkit" key thumbprint ossl.pem
fi

# The RFC 9679 example key and its thumbprint.
echo "a5010202582"\
"46d65726961646f632e6272616e64796275636b406275636b6c616e642e6578616d706c65"\
"2001215820"\
"65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d"\
"225820"\
"1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c" |
  xxd -r -p > rfc9679.cose
t=$("$teepkit" key thumbprint rfc9679.cose)
[[ $t == 496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec ]] ||
  fail "RFC 9679 thumbprint is $t"

# Broken and wrong-type key files are named in the error.
echo "not a key" > bad.pem
expect 1 "bad.pem: not a PEM key" "$teepkit" key thumbprint bad.pem
printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' > trunc.pem
expect 1 "trunc.pem: invalid PEM" "$teepkit" key thumbprint trunc.pem
expect 2 "missing.pem: cannot read" "$teepkit" key thumbprint missing.pem
expect 0 "" "$teepkit" key generate --alg A128GCM -o sym.cose
[[ $(mode sym.cose) == 600 ]] || fail "sym.cose has mode $(mode sym.cose)"
expect 1 "sym.cose: a symmetric key has no public part" \
  "$teepkit" key public sym.cose -o x.pem
expect 1 "pub.pem: a public key cannot sign" \
  "$teepkit" cose sign1 --key pub.pem --payload k.cose -o x.cbor
expect 2 "unknown --alg" "$teepkit" key generate --alg RS256 -o x.pem

# Sign and verify, attached and detached, with external AAD.
printf 'firmware image' > payload.bin
printf 'context' > aad.bin
expect 0 "" "$teepkit" cose sign1 --key k.pem --payload payload.bin --aad aad.bin -o m.cbor
expect 0 "signature valid" "$teepkit" cose verify1 --key pub.pem --aad aad.bin m.cbor -o out.bin
cmp -s out.bin payload.bin || fail "verify1 wrote a different payload"
expect 1 "TK_ERR_COSE_SIGNATURE_INVALID" "$teepkit" cose verify1 --key pub.pem m.cbor
expect 1 "TK_ERR_COSE_PAYLOAD_CONFLICT" \
  "$teepkit" cose verify1 --key pub.pem --aad aad.bin --payload payload.bin m.cbor
expect 0 "" "$teepkit" cose sign1 --key k.cose --payload payload.bin --detached -o d.cbor
expect 1 "TK_ERR_COSE_PAYLOAD_MISSING" "$teepkit" cose verify1 --key pub.cose d.cbor
expect 0 "detached payload" \
  "$teepkit" cose verify1 --key pub.cose --payload payload.bin d.cbor
printf 'firmware imagf' > other.bin
expect 1 "TK_ERR_COSE_SIGNATURE_INVALID" \
  "$teepkit" cose verify1 --key pub.cose --payload other.bin d.cbor
# A tampered message and a truncated one.
cp m.cbor t.cbor
printf '\x00' | dd of=t.cbor bs=1 seek=20 conv=notrunc 2> /dev/null
expect 1 "TK_ERR_COSE_SIGNATURE_INVALID" \
  "$teepkit" cose verify1 --key pub.pem --aad aad.bin t.cbor
head -c 30 m.cbor > short.cbor
expect 1 "TK_ERR_CBOR_TRUNCATED" "$teepkit" cose verify1 --key pub.pem short.cbor
# Duplicate label in the protected header: 18([<<{1: -7, 1: -8}>>, ...]).
echo "d28445a201260127a0f6584000000000000000000000000000000000000000000000"\
"000000000000000000000000000000000000000000000000000000000000000000" |
  xxd -r -p > dup.cbor
expect 1 "TK_ERR_COSE_DUPLICATE_LABEL" \
  "$teepkit" cose verify1 --key pub.pem --payload payload.bin dup.cbor
# Untagged input only on request.
tail -c +2 m.cbor > untagged.cbor
expect 1 "TK_ERR_COSE_TAG_MISSING" \
  "$teepkit" cose verify1 --key pub.pem --aad aad.bin untagged.cbor
expect 0 "" "$teepkit" cose verify1 --key pub.pem --aad aad.bin --untagged untagged.cbor

# Ed25519 signatures.
expect 0 "" "$teepkit" key generate --alg EdDSA -o ed.pem
expect 0 "" "$teepkit" cose sign1 --key ed.pem --payload payload.bin -o ed.cbor
expect 0 "alg -8" "$teepkit" cose verify1 --key ed.pem ed.cbor

# Encrypt and decrypt, AES-GCM attached and AES-CTR detached.
expect 0 "" "$teepkit" cose encrypt0 --key sym.cose --payload payload.bin --aad aad.bin -o e.cbor
expect 0 "" "$teepkit" cose decrypt0 --key sym.cose --aad aad.bin e.cbor -o plain.bin
cmp -s plain.bin payload.bin || fail "decrypt0 gave a different plaintext"
expect 1 "TK_ERR_COSE_DECRYPT_FAILED" "$teepkit" cose decrypt0 --key sym.cose e.cbor -o x.bin
expect 0 "" "$teepkit" cose encrypt0 --key sym.cose --alg A128CTR --payload payload.bin \
  --detached --ciphertext e2.ct -o e2.cbor
expect 0 "" "$teepkit" cose decrypt0 --key sym.cose --ciphertext e2.ct e2.cbor -o plain2.bin
cmp -s plain2.bin payload.bin || fail "detached decrypt0 gave a different plaintext"
expect 1 "TK_ERR_COSE_AAD_NOT_ALLOWED" "$teepkit" cose encrypt0 --key sym.cose \
  --alg A128CTR --payload payload.bin --aad aad.bin -o x.cbor
expect 1 "symmetric COSE_Key" "$teepkit" cose encrypt0 --key k.pem --payload payload.bin -o x.cbor
expect 2 "--key is required" "$teepkit" cose sign1 --payload payload.bin -o x.cbor

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all teepkit key and cose checks passed"
