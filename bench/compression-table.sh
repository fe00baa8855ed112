#!/usr/bin/env bash
# Measures every compression method on stories260K against the f32 model
# with `llmc eval` (the bundled evaluation stories, 128-token chunks) and
# prints the markdown table of docs/compression.md.
#
#   bench/compression-table.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
LLMC=$BUILD_DIR/bin/llmc
MODEL=${1:-models/stories260K/stories260K.gguf}
# Input means for the pruning rows' bias correction.
MEANS=$(mktemp --suffix=.json)
trap 'rm -f "$MEANS"' EXIT
"$LLMC" calibrate "$MODEL" -o "$MEANS"

rows=(
  "f32 (reference)|"
  "int8 g32|--quantize=int8:g32"
  "int4 g32 sym|--quantize=int4:g32"
  "int4 g32 asym|--quantize=int4:g32:asym"
  "int4 g128 sym|--quantize=int4:g128"
  "int4 g128 asym|--quantize=int4:g128:asym"
  "int4 g32 sym, embeddings int8 g32|--quantize=int4:g32 --quantize-embeddings=int8:g32"
  "int4 g32 sym + bias correction|--quantize=int4:g32 --bias-correction"
  "int4 g32 asym + bias correction|--quantize=int4:g32:asym --bias-correction"
  "Q8_0 (GGUF)|--quantize=q8_0"
  "Q4_0 (GGUF)|--quantize=q4_0"
  "Q4_0 (GGUF) + bias correction|--quantize=q4_0 --bias-correction"
  "Q4_K (GGUF)|--quantize=q4_k"
  "50% magnitude (per row)|--compress=llm-prune-magnitude{sparsity=0.5}"
  "50% magnitude + bias correction|--compress='llm-prune-magnitude{sparsity=0.5 bias-correction=$MEANS}'"
  "2:4 sparsity|--compress='llm-prune-nm{n=2 m=4}'"
  "2:4 sparsity + bias correction|--compress='llm-prune-nm{n=2 m=4 bias-correction=$MEANS}'"
  "25% FFN channels|--compress=llm-prune-ffn{ratio=0.25}"
  "2 heads (1 KV group) per layer|--compress=llm-prune-heads{kv-groups=1}"
  "1 attention sublayer, by score|--skip-attention=1"
  "1 attention sublayer, by position|--skip-attention=1 --skip-by=position"
  "2 attention sublayers, by score|--skip-attention=2"
  "2 attention sublayers, by position|--skip-attention=2 --skip-by=position"
  "1 layer, by score|--skip-layers=1"
  "1 layer, by position|--skip-layers=1 --skip-by=position"
  "low rank, rank 50% of full|--compress=llm-factorize-low-rank{ratio=0.5}"
  "low rank, rank 25% of full|--compress=llm-factorize-low-rank{ratio=0.25}"
  "width sliced to 48 of 64|--compress='llm-slice-width{dim=48}'"
)

echo "| method | weight bytes | mean KLD | p99 KLD | PPL | top-1 % | tokens/s | options of \`llmc eval $MODEL\` |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  name=${row%%|*}
  opts=${row#*|}
  eval "\"$LLMC\" eval \"$MODEL\" $opts --json --greedy-steps 0" \
    > /tmp/llmc-compression-row.json
  /usr/bin/python3 - "$name" "$opts" /tmp/llmc-compression-row.json <<'PY'
import json, sys
name, opts, path = sys.argv[1:4]
d = json.load(open(path))
t = d["token_sets"][0]
c = d["candidate"]
print("| %s | %d | %.4f | %.3f | %.3f | %.1f | %.0f | `%s` |" % (
    name, c["weights_data_bytes"], t["kl_mean"], t["kl_p99"],
    t["candidate_ppl"], t["same_top1_percent"], c["tokens_per_second"],
    opts or "(none)"))
PY
done
rm -f /tmp/llmc-compression-row.json
