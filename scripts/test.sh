#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds llmc and runs every test: lit +
# FileCheck (dialect, passes, importers, diagnostics), GoogleTest unit tests,
# end-to-end runs of the compiled model on the host and under qemu (AArch64,
# RISC-V at VLEN 128 and 256), and brief fuzzing under ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
log=$(mktemp)
status=0
ninja -C "$BUILD_DIR" check-llmc 2>&1 | tee "$log" || status=$?
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
