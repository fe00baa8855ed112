#!/usr/bin/env bash
# Measures how long `llmc import` and `llmc compile` take and how much memory
# they need on a random-weight model in the TinyLlama-1.1B shape (dim 2048,
# hidden 5632, 22 layers, 32 heads, 4 KV heads, vocab 32000), at F32 and
# Q4_0. Prints a markdown table. The models are generated into $WORK (not
# committed; 5 GB of disk).
#
#   bench/compile-footprint.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
WORK=${1:-/tmp/llmc-bench}
LLMC=$BUILD_DIR/bin/llmc
mkdir -p "$WORK"
shape=(--dim 2048 --hidden 5632 --layers 22 --heads 32 --kv-heads 4 --vocab 32000 --seq-len 2048 --untied)

measure() { # measure LOG CMD... -> "seconds rss_kb"
  local log=$1; shift
  /usr/bin/time -v "$@" 2> "$log" > /dev/null
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
  echo "$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }') $rss"
}

echo "| format | model file | import s | import peak RSS | compile (x86_64) s | compile peak RSS | RSS / file | weights file |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for t in f32 q4_0; do
  model=$WORK/tinyllama-$t.gguf
  [ -f "$model" ] || /usr/bin/python3 utils/make-test-model.py -o "$model" "${shape[@]}" --type "$t" > /dev/null
  size=$(stat -c %s "$model")
  read -r isec irss < <(measure "$WORK/import-$t.log" "$LLMC" import "$model" -o "$WORK/tl-$t.mlirbc")
  rm -rf "$WORK/out-$t"
  read -r csec crss < <(measure "$WORK/compile-$t.log" "$LLMC" compile "$model" --target x86_64 -o "$WORK/out-$t")
  wsize=$(stat -c %s "$WORK/out-$t/model.llmw")
  awk -v t="$t" -v s="$size" -v is="$isec" -v ir="$irss" -v cs="$csec" -v cr="$crss" -v w="$wsize" 'BEGIN {
    printf "| %s | %.0f MB | %.2f | %.0f MB | %.1f | %.0f MB | %.2f | %.0f MB |\n",
      t, s/1e6, is, ir*1024/1e6, cs, cr*1024/1e6, cr*1024/s, w/1e6 }'
done
