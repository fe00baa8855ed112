#!/usr/bin/env bash
# How fast the decode kernels read weights that are already in the cache,
# next to the memory bandwidth: a random-weight model small enough to stay
# in a server's last-level cache (one layer, dim 1024, hidden 2816, 16
# heads, 4 KV heads, vocab 1024: 13 MB at q8_0, 7 MB at q4_0) is compiled at
# each FORMAT and decoded with llmc-run --benchmark --bandwidth. A decode
# step reads every weight once, so tokens/s times bytes per token is the
# rate at which the kernels consume weights when memory is not the limit;
# the probe's GB/s (a 512 MiB read, which does come from memory) is what
# the same threads can read from memory in the same process.
#
# A kernel that consumes cached weights only a little faster than memory
# delivers them cannot reach the memory roofline on a large model: its
# arithmetic and its memory reads do not overlap perfectly
# (docs/benchmarks.md). Prints a markdown table with the median over ROUNDS
# runs (each the median of REPEAT decodes of GEN tokens).
#
#   bench/cache-resident-decode.sh [WORK_DIR]
#   FORMATS="q8_0 q4_0" THREADS="1 2" ROUNDS=3 TARGET=x86_64:znver5
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
WORK=${1:-/tmp/llmc-bench}
LLMC=$BUILD_DIR/bin/llmc
FORMATS=${FORMATS:-"q8_0 q4_0"}
THREADS=${THREADS:-"1 2"}
TARGET=${TARGET:-}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-5}
GEN=${GEN:-512}
mkdir -p "$WORK"
shape=(--dim 1024 --hidden 2816 --layers 1 --heads 16 --kv-heads 4
       --vocab 1024 --seq-len 2048 --untied)
target=()
[ -z "$TARGET" ] || target=(--target "$TARGET")

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| format | threads | weights MB | decode tok/s | bytes/tok MB | GB/s from cache | probe GB/s (memory) | cache / memory |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for f in $FORMATS; do
  model=$WORK/cache-resident-$f.gguf
  [ -f "$model" ] || /usr/bin/python3 utils/make-test-model.py -o "$model" \
    "${shape[@]}" --type "$f" > /dev/null
  out=$WORK/cache-resident-$f${TARGET:+-$TARGET}
  [ -x "$out/llmc-run" ] || "$LLMC" compile "$model" "${target[@]}" -o "$out" > /dev/null
  for t in $THREADS; do
    declare -a tok=() rate=() probe=()
    bytes=0
    for ((r = 0; r < ROUNDS; ++r)); do
      json=$("$out/llmc-run" --benchmark --bandwidth --json --prompt-tokens 16 \
             --gen-tokens "$GEN" --repeat "$REPEAT" --threads "$t")
      d=$(echo "$json" | field decode_tokens_per_second)
      bytes=$(echo "$json" | field decode_bytes_per_token)
      tok+=("$d")
      rate+=("$(awk -v d="$d" -v b="$bytes" 'BEGIN { printf "%.2f", d * b / 1e9 }')")
      probe+=("$(echo "$json" | field bandwidth_gb_per_second)")
    done
    c=$(median "${rate[@]}") m=$(median "${probe[@]}")
    printf '| %s | %s | %.1f | %.0f | %.2f | %.1f | %.1f | %.2f |\n' "$f" "$t" \
      "$(awk -v b="$(stat -c %s "$out/model.llmw")" 'BEGIN { print b / 1e6 }')" \
      "$(median "${tok[@]}")" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" \
      "$c" "$m" "$(awk -v c="$c" -v m="$m" 'BEGIN { print c / m }')"
  done
done
