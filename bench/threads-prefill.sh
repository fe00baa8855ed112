#!/usr/bin/env bash
# Decode and prefill tokens/s of compiled artifacts at 1 and 2 threads (and
# more with THREADS="1 2 4"), through `llmc-run --benchmark --json`:
# stories260K (f32) and a random-weight model in the 110M shape (dim 768,
# hidden 2048, 12 layers, 12 heads, vocab 32000) at q4_0 and q8_0. Prefill
# is a PROMPT-token prompt through the batched prefill entry (chunks of
# --prefill-chunk, default 64), decode is GEN greedy tokens after it.
# Prints a markdown table. Models are generated into $WORK (not committed).
#
#   bench/threads-prefill.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
WORK=${1:-/tmp/llmc-bench}
LLMC=$BUILD_DIR/bin/llmc
THREADS=${THREADS:-"1 2"}
PROMPT=${PROMPT:-64}
GEN=${GEN:-64}
REPEAT=${REPEAT:-3}
mkdir -p "$WORK"
shape110m=(--dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000 --seq-len 1024 --untied)

artifacts=()
compile() { # compile NAME MODEL [llmc compile options...]
  local name=$1 model=$2; shift 2
  [ -x "$WORK/$name/llmc-run" ] || "$LLMC" compile "$model" -o "$WORK/$name" "$@" > /dev/null
  artifacts+=("$name")
}
compile stories260K-f32 models/stories260K/stories260K.gguf
for t in q4_0 q8_0; do
  model=$WORK/110m-$t.gguf
  [ -f "$model" ] || /usr/bin/python3 utils/make-test-model.py -o "$model" "${shape110m[@]}" --type "$t" > /dev/null
  compile "110m-$t" "$model"
done

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
echo "| model | threads | prefill tok/s (median, min–max) | decode tok/s (median, min–max) |"
echo "| --- | --- | --- | --- |"
for name in "${artifacts[@]}"; do
  for t in $THREADS; do
    json=$("$WORK/$name/llmc-run" --benchmark --json --prompt-tokens "$PROMPT" \
           --gen-tokens "$GEN" --repeat "$REPEAT" --threads "$t")
    printf '| %s | %s | %.0f (%.0f–%.0f) | %.1f (%.1f–%.1f) |\n' "$name" "$t" \
      "$(echo "$json" | field prefill_tokens_per_second)" \
      "$(echo "$json" | field prefill_min)" "$(echo "$json" | field prefill_max)" \
      "$(echo "$json" | field decode_tokens_per_second)" \
      "$(echo "$json" | field decode_min)" "$(echo "$json" | field decode_max)"
  done
done
