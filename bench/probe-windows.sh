#!/usr/bin/env bash
# Builds bench/probe-windows.c against the host's llmc runtime and runs it:
# how a window of back-to-back probe passes (a run that only reads) compares
# with the fastest of the probe passes around it (the old reference of
# `llmc-run --benchmark --bandwidth`) and with their medians (the current
# one). Prints a markdown table (docs/benchmarks.md).
#
#   bench/probe-windows.sh [THREADS [MIB [PASSES [REPEATS [W...]]]]]
#   BUILD_DIR=build CC=clang-22 WORK=/tmp/llmc-bench
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
CC=${CC:-clang-22}
WORK=${WORK:-/tmp/llmc-bench}
triple=$("$CC" -print-target-triple | sed 's/-unknown-/-/; s/-pc-/-/')
runtime=$BUILD_DIR/lib/llmc-runtime/$triple/libllmc_runtime.a
if [ ! -f "$runtime" ]; then
  echo "probe-windows: no runtime library at $runtime (build first)" >&2
  exit 1
fi
mkdir -p "$WORK"
"$CC" -O2 -std=c11 -Iruntime/include bench/probe-windows.c "$runtime" \
  -lpthread -lm -o "$WORK/probe-windows"
exec "$WORK/probe-windows" "$@"
