#!/usr/bin/env bash
# Decode (and prefill) tokens/s of 2:4 sparse vs dense weights at the same
# bit width: a random-weight model (default: the 110M shape, dim 768, hidden
# 2048, 12 layers, 12 heads, vocab 32000; SHAPE=tinyllama for dim 2048,
# hidden 5632, 22 layers, 32 heads, 4 KV heads) is pruned 2:4 and quantized
# to each FORMAT, then compiled twice for TARGET: with the zeros stored
# densely (--compress='llm-prune-nm{n=2 m=4}') and stored sparse
# (--sparse 2:4). Both artifacts have the same zeros and compute the same
# logits; the runs alternate dense/sparse ROUNDS times so that load from
# other processes hits both alike. Prints a markdown table with the range
# over rounds of the per-round medians (llmc-run --benchmark --repeat).
#
#   bench/sparse-decode.sh [WORK_DIR]
#   FORMATS="int8 int4" THREADS="1 2" ROUNDS=3 TARGET=x86_64:znver4
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
WORK=${1:-/tmp/llmc-bench}
LLMC=$BUILD_DIR/bin/llmc
FORMATS=${FORMATS:-"int8 int4"}
THREADS=${THREADS:-"1 2"}
TARGET=${TARGET:-x86_64:znver4}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-3}
PROMPT=${PROMPT:-64}
GEN=${GEN:-64}
SHAPE=${SHAPE:-110m}
mkdir -p "$WORK"
case $SHAPE in
  110m) shape=(--dim 768 --hidden 2048 --layers 12 --heads 12 --vocab 32000 --seq-len 1024 --untied) ;;
  tinyllama) shape=(--dim 2048 --hidden 5632 --layers 22 --heads 32 --kv-heads 4 --vocab 32000 --seq-len 2048 --untied) ;;
  *) echo "unknown SHAPE $SHAPE (110m or tinyllama)" >&2; exit 2 ;;
esac
model=$WORK/$SHAPE-f32.gguf
[ -f "$model" ] || /usr/bin/python3 utils/make-test-model.py -o "$model" "${shape[@]}" --type f32 > /dev/null

compile() { # compile NAME [llmc compile options...]
  local name=$1; shift
  [ -x "$WORK/$name/llmc-run" ] ||
    "$LLMC" compile "$model" --target "$TARGET" -o "$WORK/$name" "$@" > /dev/null
}
for f in $FORMATS; do
  compile "$SHAPE-$f-dense" --quantize "$f" --compress='llm-prune-nm{n=2 m=4}'
  compile "$SHAPE-$f-sparse" --quantize "$f" --sparse 2:4
done

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
range() { # range VALUES... -> "median (min–max)"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    printf "%.1f (%.1f–%.1f)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo "| $SHAPE | threads | weights MB | decode tok/s dense | decode tok/s sparse | sparse / dense | prefill tok/s dense | prefill tok/s sparse | load |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for f in $FORMATS; do
  for t in $THREADS; do
    declare -a dd=() sd=() dp=() sp=()
    for ((r = 0; r < ROUNDS; ++r)); do
      for kind in dense sparse; do
        json=$("$WORK/$SHAPE-$f-$kind/llmc-run" --benchmark --json --prompt-tokens "$PROMPT" \
               --gen-tokens "$GEN" --repeat "$REPEAT" --threads "$t")
        d=$(echo "$json" | field decode_tokens_per_second)
        p=$(echo "$json" | field prefill_tokens_per_second)
        if [ "$kind" = dense ]; then dd+=("$d"); dp+=("$p"); else sd+=("$d"); sp+=("$p"); fi
      done
    done
    mb() { awk -v b="$(stat -c %s "$WORK/$SHAPE-$f-$1/model.llmw")" 'BEGIN { printf "%.0f", b / 1e6 }'; }
    ratio=$(printf '%s\n' "${dd[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    ratio=$(printf '%s\n' "${sd[@]}" | sort -g | awk -v d="$ratio" '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / d }')
    printf '| %s | %s | %s / %s | %s | %s | %s | %s | %s | %s |\n' "$f" "$t" "$(mb dense)" "$(mb sparse)" \
      "$(range "${dd[@]}")" "$(range "${sd[@]}")" "$ratio" \
      "$(range "${dp[@]}")" "$(range "${sp[@]}")" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
