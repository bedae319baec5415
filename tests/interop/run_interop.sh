#!/usr/bin/env bash
# Installs the npm packages cbor and cose-js into a temporary folder and
# runs cose_interop.js against teepkit. Fails, with the reason, when node
# or npm is missing or the npm registry cannot be reached: an interop test
# that did not run must not pass.
# Usage: run_interop.sh TEEPKIT INTEROP_ITEMS
set -euo pipefail

teepkit=$(realpath "$1")
items=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  if ! command -v "$tool" > /dev/null; then
    echo "interop: FAILED: $tool is not installed; install Node.js and npm" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/work"
if ! npm install --no-save --no-audit --no-fund --prefix "$tmp" cbor cose-js \
     > "$tmp/npm.log" 2>&1; then
  echo "interop: FAILED: npm install of cbor and cose-js failed (is the npm" \
       "registry reachable?):" >&2
  cat "$tmp/npm.log" >&2
  exit 1
fi
NODE_PATH="$tmp/node_modules" node "$here/cose_interop.js" "$teepkit" \
  "$items" "$tmp/work"
