#!/usr/bin/env bash
# `teepkit version`, `teepkit --version` and `teepkit version --help`:
# the version line, the help, and a usage error for an extra argument.
#
# Usage: cli_version_test.sh TEEPKIT
set -euo pipefail

teepkit=$1
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/shell.sh"

line=$("$teepkit" version) || fail "teepkit version exited $?"
[[ $line =~ ^teepkit\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "teepkit version printed '$line'"
[[ $("$teepkit" --version) == "$line" ]] ||
  fail "teepkit --version differs from teepkit version"
"$teepkit" version --help | grep -q '^usage: teepkit version' ||
  fail "teepkit version --help printed no usage"
status=0
"$teepkit" version extra 2>/dev/null || status=$?
[[ $status -eq 2 ]] || fail "teepkit version extra exited $status, not 2"
echo "ok: version, --version, --help and a usage error"
