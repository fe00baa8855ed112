#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: build llmc, compile the bundled
# stories260K model for the host (x86_64) and for AArch64 and RISC-V, and
# generate text with each (the cross artifacts run under qemu).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh llmc llmc-runtime-libs
BUILD_DIR=${BUILD_DIR:-build}
MODEL=models/stories260K/stories260K.gguf
OUT=${OUT:-out}
PROMPT=${PROMPT:-Once upon a time}
mkdir -p "$OUT"
for target in x86_64 aarch64 riscv64; do
  echo "== llmc compile $MODEL --target $target -o $OUT/$target"
  "$BUILD_DIR/bin/llmc" compile "$MODEL" --target "$target" -o "$OUT/$target"
done
echo "== x86_64 (host)"
"$OUT/x86_64/llmc-run" --prompt "$PROMPT" --steps 64 --temperature 0
echo "== aarch64 (qemu-aarch64)"
qemu-aarch64 "$OUT/aarch64/llmc-run" --prompt "$PROMPT" --steps 64 --temperature 0
echo "== riscv64 with RVV, VLEN 256 (qemu-riscv64)"
qemu-riscv64 -cpu rv64,v=true,vlen=256,vext_spec=v1.0 "$OUT/riscv64/llmc-run" \
  --prompt "$PROMPT" --steps 64 --temperature 0
