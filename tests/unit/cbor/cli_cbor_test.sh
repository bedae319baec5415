#!/usr/bin/env bash
# Runs `teepkit cbor diag` on valid and invalid inputs and checks its
# output, error messages and exit status.
# Usage: cli_cbor_test.sh PATH_TO_TEEPKIT VECTOR_DIR
set -uo pipefail
teepkit=${1:?usage: cli_cbor_test.sh TEEPKIT VECTOR_DIR}
vectors=${2:?usage: cli_cbor_test.sh TEEPKIT VECTOR_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME STATUS STDOUT STDERR_PATTERN -- ARGS... (stdin from $work/in)
expect() {
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 5
  "$teepkit" cbor "$@" <"$work/in" >"$work/out" 2>"$work/err"
  local status=$?
  if [[ $status -ne $want_status ]]; then
    echo "FAIL $name: exit status $status, expected $want_status" >&2
    cat "$work/err" >&2
    failures=$((failures + 1))
    return
  fi
  if [[ -n $want_out && "$(cat "$work/out")" != "$want_out" ]]; then
    echo "FAIL $name: printed '$(cat "$work/out")', expected '$want_out'" >&2
    failures=$((failures + 1))
    return
  fi
  if [[ -n $want_err ]] && ! grep -qE -- "$want_err" "$work/err"; then
    echo "FAIL $name: stderr '$(cat "$work/err")' lacks '$want_err'" >&2
    failures=$((failures + 1))
    return
  fi
  echo "ok $name"
}

printf '\x82\x05\xa1\x14\x48\x01\x02\x03\x04\x05\x06\x07\x08' >"$work/success.cbor"
: >"$work/in"
expect "binary file" 0 "[5, {20: h'0102030405060708'}]" "" -- \
  diag "$work/success.cbor"

printf '\x82\x05\xa1\x14\x48\x01\x02\x03\x04\x05\x06\x07\x08' >"$work/in"
expect "standard input" 0 "[5, {20: h'0102030405060708'}]" "" -- diag
expect "dash for standard input" 0 "[5, {20: h'0102030405060708'}]" "" -- \
  diag -

printf '83 06 # teep-error\n a1 14 48 0102030405060708\n 01\n' >"$work/in"
expect "hex with comments" 0 "[6, {20: h'0102030405060708'}, 1]" "" -- \
  diag --hex
expect "pretty" 0 "$(printf '[\n  6,\n  {\n    20: h'"'"'0102030405060708'"'"'\n  },\n  1\n]')" \
  "" -- diag --hex --pretty

printf 'd2 84 43 a10126 a0 f6 41 00' >"$work/in"
expect "embedded" 0 "18([<< {1: -7} >>, {}, null, h'00'])" "" -- \
  diag --hex --embedded

printf '82 01' >"$work/in"
expect "truncated" 1 "" \
  "TK_ERR_CBOR_COUNT_TOO_LARGE: .* at byte offset 0 of 2" -- diag --hex
printf '01 02' >"$work/in"
expect "trailing bytes" 1 "" "TK_ERR_CBOR_TRAILING: .* at byte offset 1" -- \
  diag --hex
printf 'a2 01 00 01 00' >"$work/in"
expect "duplicate key allowed" 0 "{1: 0, 1: 0}" "" -- diag --hex
expect "duplicate key strict" 1 "" "TK_ERR_CBOR_DUP_KEY: .* offset 3" -- \
  diag --hex --strict
printf 'a2 02 00 01 00' >"$work/in"
expect "unsorted deterministic" 1 "" "TK_ERR_CBOR_UNSORTED" -- \
  diag --hex --deterministic
printf '8x' >"$work/in"
expect "bad hex" 2 "" "invalid hex text" -- diag --hex
: >"$work/in"
expect "empty input" 1 "" "TK_ERR_CBOR_TRUNCATED" -- diag
expect "missing file" 2 "" "cannot read $work/none" -- diag "$work/none"
expect "unknown option" 2 "" "unknown option '--bogus'" -- diag --bogus
expect "unknown subcommand" 2 "" "unknown subcommand 'show'" -- show
expect "help" 0 "" "" -- diag --help
expect "suit example" 0 "" "" -- diag --hex --embedded --pretty \
  "$vectors/cbor/bench/suit_example2.hex"
expect "teep query response" 0 "" "" -- diag --hex --strict \
  "$vectors/cbor/bench/teep_query_response.hex.txt"

if [[ $failures -gt 0 ]]; then
  echo "$failures case(s) failed" >&2
  exit 1
fi
