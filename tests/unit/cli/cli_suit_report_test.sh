#!/usr/bin/env bash
# `teepkit suit process --report-out FILE` writes the SUIT report that it
# prints, as CBOR that `suit show --report` reads back, on success and on
# a rejected manifest; a failure in the shared sequence names it once
# ("shared sequence"); `key --help` lists every algorithm of generate.
#
# Usage: cli_suit_report_test.sh TEEPKIT
set -euo pipefail

teepkit=$(realpath "$1")
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"
start_work tk-cli-report

vendor=fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe
"$teepkit" key generate --alg ES256 -o author.pem
"$teepkit" key public author.pem -o author.pub
printf 'hello\n' >app.bin
cat >app.json <<EOF
{
  "manifest-sequence-number": 3,
  "components": [["app"]],
  "shared-sequence": [
    {"directive-override-parameters": {
      "vendor-id": "$vendor",
      "image-digest": {"file": "app.bin"},
      "image-size": {"file": "app.bin"}}},
    {"condition-vendor-identifier": 15}
  ],
  "install": [
    {"directive-override-parameters": {"uri": "#app"}},
    {"directive-fetch": 15},
    {"condition-image-match": 15}
  ],
  "integrated-payloads": {"#app": {"file": "app.bin"}}
}
EOF
expect_status 0 "$teepkit" suit create app.json -o app.suit --key author.pem
mkdir store

# Success: the file contains the report that was printed.
expect_status 0 "$teepkit" suit process --key author.pub --store store \
  --vendor-id "$vendor" --nonce 0a0b --report-out ok.report app.suit
cp out.txt printed.txt
[[ -s ok.report ]] || fail "no report file written"
[[ $(head -c1 ok.report | od -An -tx1 | tr -d ' ') == a* ]] ||
  fail "the report is not a CBOR map: $(od -An -tx1 -N4 ok.report)"
expect_status 0 "$teepkit" suit show --report ok.report
diff printed.txt out.txt >/dev/null || fail "show --report differs from the printed report"
grep -q "/ reference / 99" out.txt || fail "report without its reference: $(cat out.txt)"
grep -q "h'0a0b'" out.txt || fail "report without the nonce: $(cat out.txt)"
expect_status 0 "$teepkit" suit show --report --json ok.report
[[ $(jq -r 'keys | length' out.txt) -gt 0 ]] || fail "show --report --json: $(cat out.txt)"
cmp store/c_sapp.img app.bin || fail "component not installed"

# A rejected manifest still gets its report file, with the failure.
mkdir store2
expect_status 1 "$teepkit" suit process --key author.pub --store store2 \
  --vendor-id 00000000-0000-0000-0000-000000000001 --report-out bad.report \
  app.suit
grep -q "TK_ERR_SUIT_VENDOR_ID" err.txt || fail "vendor failure: $(cat err.txt)"
grep -q "at: shared sequence, command condition-vendor-identifier" err.txt ||
  fail "where of the failure: $(cat err.txt)"
if grep -q "sequence sequence" err.txt; then
  fail "the word sequence twice: $(cat err.txt)"
fi
expect_status 0 "$teepkit" suit show --report bad.report
grep -q "/ report-result / 4" out.txt || fail "failed report: $(cat out.txt)"
cmp -s ok.report bad.report && fail "the failed report equals the good one"

# A report file that cannot be written: exit 2 after the procedure.
rm -rf store3 && mkdir store3
expect_status 2 "$teepkit" suit process --key author.pub --store store3 \
  --vendor-id "$vendor" --report-out missing-dir/r.cbor app.suit
grep -q "cannot write missing-dir/r.cbor" err.txt || fail "write failure: $(cat err.txt)"
expect_status 2 "$teepkit" suit process --key author.pub --store store \
  --vendor-id "$vendor" app.suit --report-out
grep -q -- "--report-out is missing its value" err.txt || fail "no value: $(cat err.txt)"

# The builder's failure in the shared sequence is named once too.
cat >bad.json <<'EOF'
{
  "manifest-sequence-number": 1,
  "components": [["app"]],
  "shared-sequence": [{"directive-fetch": 15}]
}
EOF
expect_status 1 "$teepkit" suit create bad.json -o bad.suit
grep -q "shared sequence, command 0" err.txt || fail "create failure: $(cat err.txt)"
if grep -q "sequence sequence" err.txt; then
  fail "the word sequence twice: $(cat err.txt)"
fi

# key --help lists what generate accepts.
expect_status 0 "$teepkit" key --help
for alg in ES256 ESP256 EdDSA Ed25519 ECDH-ES A128GCM A256GCM A128KW A256KW HS256; do
  grep -q "$alg" out.txt || fail "key --help omits $alg"
done
expect_status 0 "$teepkit" key generate --alg ECDH-ES -o ecdh.pem
expect_status 2 "$teepkit" key generate --alg RSA -o rsa.pem
grep -q "ECDH-ES" err.txt || fail "unknown --alg message: $(cat err.txt)"
echo "cli_suit_report_out: all checks passed"
