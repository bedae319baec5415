#!/usr/bin/env bash
# Runs a teepkit Cortex-M4 image under QEMU (mps2-an386 board, Cortex-M4)
# with semihosting, prints its output and exits with the image's exit
# status. A run longer than TIMEOUT seconds (default 300) is stopped and
# reported as a failure.
# Usage: embedded/run-qemu.sh IMAGE.elf [TIMEOUT]
set -euo pipefail
image=${1:?usage: embedded/run-qemu.sh IMAGE.elf [TIMEOUT]}
timeout_s=${2:-300}
if ! command -v qemu-system-arm >/dev/null; then
  echo "run-qemu.sh: qemu-system-arm is not installed (Debian package qemu-system-arm)" >&2
  exit 2
fi
# Semihosting output goes to stderr when no serial console is attached,
# so both streams are merged. The board's Ethernet controller is left
# unconnected, and QEMU's warning about it is dropped.
set +e
timeout --foreground "$timeout_s" qemu-system-arm -M mps2-an386 -cpu cortex-m4 \
  -display none -monitor none -serial none -net none \
  -semihosting-config enable=on,target=native -kernel "$image" 2>&1 |
  sed -u '/^qemu-system-arm: warning: nic lan9118.0 has no peer$/d'
status=${PIPESTATUS[0]}
set -e
if [[ $status -eq 124 ]]; then
  echo "run-qemu.sh: $image did not finish within $timeout_s s" >&2
fi
exit "$status"
