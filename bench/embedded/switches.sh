#!/usr/bin/env bash
# Measures what each feature switch of include/teepkit/config.h saves in
# the Cortex-M4 images. It builds the cross project embedded/ once with
# the library defaults and once per switch set to 0. For tk_image_suit and
# tk_image_agent it prints the flash of teepkit's core libraries (text and
# data of tk_common, tk_cbor, tk_crypto, tk_cose, tk_suit, tk_eat and
# tk_teep) and the difference to the defaults. Nothing runs in QEMU: only
# the link maps are read (bench/embedded/size.py).
#
# Usage: bench/embedded/switches.sh [WORK_DIR]
#   WORK_DIR  folder for the build folders (default build-embedded-switches)
# The Mbed TLS sources are taken from TK_MBEDTLS_SOURCE_DIR when it is set,
# else downloaded once into WORK_DIR (embedded/cmake/mbedtls.cmake).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$root/build-embedded-switches}
here=$root/bench/embedded
mkdir -p "$work"

switches=(
  TK_SUIT_WITH_DECRYPTION TK_SUIT_WITH_MAC TK_SUIT_WITH_DELEGATION
  TK_SUIT_WITH_DEPENDENCIES TK_SUIT_WITH_TEXT TK_SUIT_WITH_REPORT
  TK_SUIT_WITH_UPDATE_MANAGEMENT TK_COSE_WITH_SIGN TK_COSE_WITH_MAC
  TK_COSE_WITH_ENCRYPT TK_CBOR_WITH_FLOAT)

# Builds the two images in folder $1 with the definitions $2 and prints
# the core flash of each: "suit agent".
measure() {
  local dir=$1 defines=$2 mbedtls=${TK_MBEDTLS_SOURCE_DIR:-}
  if [[ -z $mbedtls && -d $work/defaults/mbedtls-2.28.3 ]]; then
    mbedtls=$work/defaults/mbedtls-2.28.3
  fi
  cmake -S "$root/embedded" -B "$dir" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$root/embedded/toolchain-cortex-m4.cmake" \
    -DTK_EMBEDDED_DEFINES="$defines" -DTK_MBEDTLS_SOURCE_DIR="$mbedtls" \
    -DTK_MBEDTLS_DOWNLOAD_DIR="$work/downloads" >/dev/null
  cmake --build "$dir" -j2 --target tk_image_suit tk_image_agent >/dev/null
  local core='^tk_(common|cbor|crypto|cose|suit|eat|teep)$'
  for image in tk_image_suit tk_image_agent; do
    python3 "$here/size.py" "$dir/$image.map" --group "core=$core" |
      awk '$1 == "core" {printf "%s ", $5}'
  done
  echo
}

read -r base_suit base_agent < <(measure "$work/defaults" "")
echo "| switch set to 0 | SUIT image core flash | saved | agent image core flash | saved |"
echo "|---|---:|---:|---:|---:|"
echo "| (library defaults) | $base_suit | | $base_agent | |"
for switch in "${switches[@]}"; do
  read -r suit agent < <(measure "$work/$switch" "$switch=0")
  echo "| $switch | $suit | $((base_suit - suit)) | $agent |" \
    "$((base_agent - agent)) |"
done
