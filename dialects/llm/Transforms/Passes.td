//===- Passes.td - llm dialect transformation passes -------*- tablegen -*-===//
//
// Passes that rewrite the llm dialect: structure, compression, and the
// preparation steps of lowering.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD
#define LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LLMInlineStructurePass : Pass<"llm-inline-structure", "::mlir::ModuleOp"> {
  let summary = "Replaces llm.layer and llm.residual regions by their bodies "
                "and explicit residual adds.";
  let description = [{
    The structure ops exist for the compression passes. Lowering wants a flat
    list of compute ops, so this pass inlines every `llm.layer` body in place
    and turns every `llm.residual` into its body followed by
    `llm.add %input, %body_result`.

    Before:
    ```mlir
    %a = llm.residual <attention> (%x) : tensor<1x64xf32> {
    ^bb0(%in: tensor<1x64xf32>):
      %o = ... %in ...
      llm.yield %o : tensor<1x64xf32>
    }
    ```
    After:
    ```mlir
    %o = ... %x ...
    %a = llm.add %x, %o : tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let statistics = [
    Statistic<"numLayers", "layers", "Number of llm.layer ops inlined">,
    Statistic<"numSublayers", "sublayers",
              "Number of llm.residual ops inlined">
  ];
}

def LLMQuantizeWeightsPass : Pass<"llm-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Quantizes weight matrices to a group-wise integer or GGUF "
                "block format by rounding to nearest.";
  let description = [{
    Re-encodes every selected 2-D `llm.weight` stored as `f32` or `f16`
    into `format`: llmc's group-wise `int8` / `int4` (with `group` elements
    per scale, 0 for one scale per row, `symmetric` or with a per-group
    offset), or a GGUF block format (`q8_0`, `q4_0`, `q4_k`) so results are
    comparable with llama.cpp files. The new bytes are a `dense_resource`
    blob; every `llm.linear` and `llm.embedding` that uses the weight now
    consumes it quantized (nothing is expanded back to f32).

    Scales follow round-to-nearest (RTN) weight-only quantization: symmetric
    `s = max|w| / (2^(b-1) - 1)` (4-bit: the largest magnitude maps to -8, as
    ggml does), asymmetric `s = (max - min) / (2^b - 1)` with offset `min`.

    `only` and `skip` are regular expressions on weight names; run the pass
    twice to keep some tensors at 8 bits, e.g.
    `llm-quantize-weights{format=int8 only=token_embd|output},
     llm-quantize-weights{format=int4 group=32}` (already quantized weights
    are left alone). With `bias-correction=FILE` (input means from
    `llmc calibrate`), every `llm.linear` whose weight is quantized gets the
    expected error of its output as a bias, `b += (W - Q(W)) E[x]`
    (bias correction, as in data-free quantization, arXiv 1906.04721).
    A group longer than a row becomes one group per row;
    weights whose rows do not split into whole groups (or 32-element blocks)
    stay as they are and are counted in `skipped-shape`.

    Before:
    ```mlir
    llm.weight @w : tensor<64x64xf32> = #llm.extern<"m.gguf", offset = 0, size = 16384>
    ```
    After (`format=int4 group=32`):
    ```mlir
    llm.weight @w : tensor<64x64xf32> format <int4, group = 32> = dense_resource<w> : tensor<2560xi8>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"format", "format", "std::string", "\"int8\"",
           "Target format: int8, int4, q8_0, q4_0, q4_k or f16; int8/int4 "
           "may carry :gN (group), :pc (per channel), :sym or :asym, e.g. "
           "int4:g128:asym">,
    Option<"group", "group", "int64_t", "32",
           "Elements per scale for int8/int4 (a multiple of 32; 0 = one "
           "scale per row)">,
    Option<"symmetric", "symmetric", "bool", "true",
           "Symmetric (scale only) or asymmetric (scale and offset) int8/int4">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: quantize only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">,
    Option<"biasCorrection", "bias-correction", "std::string", "\"\"",
           "Input means (JSON from llmc calibrate) for bias correction: each "
           "linear whose weight is quantized gets b += (W - Q(W)) E[x]">
  ];
  let statistics = [
    Statistic<"numQuantized", "quantized", "Weights quantized">,
    Statistic<"numCorrected", "bias-corrected",
              "Linears given a bias-correction term">,
    Statistic<"numSkippedShape", "skipped-shape",
              "Weights left as they are because rows do not split into groups">
  ];
}

def LLMDequantizeWeightsPass
    : Pass<"llm-dequantize-weights", "::mlir::ModuleOp"> {
  let summary = "Expands quantized and f16 weights to f32 values.";
  let description = [{
    The inverse of `llm-quantize-weights` up to rounding: every weight not
    stored as `f32` is decoded (dequantized) and stored as f32 bytes in a
    `dense_resource` blob. The model computes the same function with dense
    kernels, which makes it a reference for checking quantized kernels and a
    way to inspect what quantization did to the weights. `only` restricts it
    to weights whose name matches a regular expression.
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: expand only weights whose name matches">
  ];
  let statistics = [
    Statistic<"numExpanded", "expanded", "Weights expanded to f32">
  ];
}

def LLMSkipSublayersPass : Pass<"llm-skip-sublayers", "::mlir::ModuleOp"> {
  let summary = "Removes attention or MLP sublayers, chosen by index, by a "
                "measured importance score or by position.";
  let description = [{
    Replaces `llm.residual <kind>` sublayers by their input (the residual
    stream passes through unchanged). Which ones:

    - `layers=3,4`: those of the listed layers (original layer indices);
    - `count=k by=score scores=FILE`: the k with the lowest importance in
      FILE, the JSON that `llmc score` writes: for each sublayer
      `1 - cos(x, x + F(x))` averaged over calibration tokens ("What Matters
      in Transformers", arXiv 2406.15786; attention-sublayer skipping,
      arXiv 2404.05741);
    - `count=k by=position`: those of the k last layers that still have one.

    Removing attention sublayers also removes their KV-cache slots: the
    remaining `llm.attention` ops are renumbered and the `!llm.kv_cache`
    type of the decode function shrinks, so the runtime allocates less.

    Before (`kind=attention layers=1`):
    ```mlir
    %a = llm.residual <attention> (%x) : tensor<1x64xf32> { ... }
    %m = llm.residual <mlp> (%a) : tensor<1x64xf32> { ... }
    ```
    After:
    ```mlir
    %m = llm.residual <mlp> (%x) : tensor<1x64xf32> { ... }
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"kind", "kind", "std::string", "\"attention\"",
           "Sublayer kind: attention or mlp">,
    ListOption<"layers", "layers", "int64_t",
               "Layer indices whose sublayer to remove">,
    Option<"count", "count", "int64_t", "0",
           "Number of sublayers to remove (with by=score or by=position)">,
    Option<"by", "by", "std::string", "\"score\"",
           "How count chooses: score (lowest importance first) or position "
           "(last layers first)">,
    Option<"scores", "scores", "std::string", "\"\"",
           "Importance scores (JSON from llmc score) for by=score">
  ];
  let statistics = [
    Statistic<"numSkipped", "skipped", "Sublayers removed">,
    Statistic<"numSlotsRemoved", "kv-slots-removed",
              "KV-cache slots removed">
  ];
}

def LLMSkipLayersPass : Pass<"llm-skip-layers", "::mlir::ModuleOp"> {
  let summary = "Removes whole decoder layers, chosen by index, by block "
                "influence or by position.";
  let description = [{
    Replaces `llm.layer` ops by their input. `layers=...` names them;
    `count=k by=score scores=FILE` removes the k with the lowest block
    influence `BI = 1 - cos(x_in, x_out)` (ShortGPT, arXiv 2403.03853) from
    `llmc score`; `count=k by=position` the k last layers. The KV-cache slots
    of removed layers disappear as with `llm-skip-sublayers`.
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    ListOption<"layers", "layers", "int64_t", "Layer indices to remove">,
    Option<"count", "count", "int64_t", "0",
           "Number of layers to remove (with by=score or by=position)">,
    Option<"by", "by", "std::string", "\"score\"",
           "How count chooses: score or position">,
    Option<"scores", "scores", "std::string", "\"\"",
           "Importance scores (JSON from llmc score) for by=score">
  ];
  let statistics = [
    Statistic<"numSkipped", "skipped", "Layers removed">,
    Statistic<"numSlotsRemoved", "kv-slots-removed",
              "KV-cache slots removed">
  ];
}

def LLMObserveLinearInputsPass
    : Pass<"llm-observe-linear-inputs", "::mlir::ModuleOp"> {
  let summary = "Inserts observation points on the input of every "
                "llm.linear for calibration statistics.";
  let description = [{
    Adds `llm.observe %input {name = "linear.<weight>"}` before each
    `llm.linear`, so a host run can average each linear's input (`E[x]`)
    over calibration tokens, the statistic bias correction needs. The model
    computes the same logits.
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
}

def LLMObserveResidualsPass
    : Pass<"llm-observe-residuals", "::mlir::ModuleOp"> {
  let summary = "Inserts observation points around every residual sublayer "
                "for calibration.";
  let description = [{
    Adds `llm.observe` ops for the input and output of each
    `llm.residual`, named `<kind>.<layer>.in` and `<kind>.<layer>.out`, so a
    host run can measure how much each sublayer and layer changes the
    residual stream (`llmc score`). The model computes the same logits.
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let statistics = [
    Statistic<"numObserved", "observed", "Observation points inserted">
  ];
}

//===----------------------------------------------------------------------===//
// Pruning and low-rank factorization (weights only, no calibration)
//===----------------------------------------------------------------------===//

def LLMPruneMagnitudePass : Pass<"llm-prune-magnitude", "::mlir::ModuleOp"> {
  let summary = "Zeros the weights of smallest magnitude in each row or "
                "matrix (unstructured magnitude pruning).";
  let description = [{
    Sets the fraction `sparsity` of the entries with the smallest `|w|` of
    every selected weight matrix to zero: per output row (`scope=row`:
    every row loses `floor(sparsity * in)` entries) or over the whole
    matrix (`scope=layer`: `floor(sparsity * out * in)` entries); among
    equal magnitudes the earlier entries go first. This is the weights-only
    magnitude baseline of the pruning literature (the baseline of Wanda's
    `|W_ij| * ||X_j||` score, arXiv 2306.11695); it needs no calibration
    data.

    Selected are the 2-D weights whose name passes `only` / `skip`; norm
    vectors are never pruned, and the token embedding and the classifier
    only with `include-embeddings` (a tied classifier is the embedding
    table, so both change together).

    The zeros stay densely stored: the weight becomes f32 values in a
    `dense_resource` blob (a quantized weight is decoded first, so prune
    before `llm-quantize-weights`). The artifact is therefore as large and
    as fast as before; a sparse storage format with its kernels belongs to
    the performance work. The pass measures what the sparsity costs in
    quality.

    Before:
    ```mlir
    llm.weight @w : tensor<2x4xf32> = dense<[[0.1, -2.0, 0.3, 4.0], [-1.0, 0.2, 3.0, -0.4]]> : tensor<2x4xf32>
    ```
    After (`sparsity=0.5`; the blob holds rows `[0, -2, 0, 4]` and
    `[-1, 0, 3, 0]`):
    ```mlir
    llm.weight @w : tensor<2x4xf32> = dense_resource<w> : tensor<32xi8>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"sparsity", "sparsity", "double", "0.5",
           "Fraction of the entries to set to zero, in [0, 1)">,
    Option<"scope", "scope", "std::string", "\"row\"",
           "Where the smallest magnitudes are chosen: row (per output row) "
           "or layer (per matrix)">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: prune only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">,
    Option<"includeEmbeddings", "include-embeddings", "bool", "false",
           "Also prune the token embedding and the classifier">,
    Option<"biasCorrection", "bias-correction", "std::string", "\"\"",
           "Input means (JSON from llmc calibrate): each linear whose weight "
           "is pruned gets b += (W - W_pruned) E[x]">
  ];
  let statistics = [
    Statistic<"numPruned", "pruned", "Weights pruned">,
    Statistic<"numZeroed", "zeroed", "Entries set to zero">
  ];
}

def LLMPruneNMPass : Pass<"llm-prune-nm", "::mlir::ModuleOp"> {
  let summary = "Keeps the N largest of every M consecutive weights of a row "
                "(N:M semi-structured sparsity).";
  let description = [{
    Splits every row of each selected weight matrix into groups of `m`
    consecutive inputs and zeros all but the `n` entries of largest `|w|`
    in each group (among equal magnitudes the earlier entries go first):
    the N:M pattern of sparse tensor cores (2:4) and of the N:M results of
    SparseGPT (arXiv 2301.00774) and Wanda (arXiv 2306.11695), here with
    the weights-only magnitude score. Weights whose rows are not a multiple of
    `m` long are left as they are and counted in `skipped-shape`.

    Selection (`only`, `skip`, `include-embeddings`) and storage are as in
    `llm-prune-magnitude`: the zeros are stored densely as f32, so the
    artifact does not shrink until a sparse format and kernels exist.

    Before:
    ```mlir
    llm.weight @w : tensor<1x8xf32> = dense<[[0.1, -2.0, 0.3, 4.0, -1.0, 0.2, 3.0, -0.4]]> : tensor<1x8xf32>
    ```
    After (`n=2 m=4`; the blob holds `[0, -2, 0, 4, -1, 0, 3, 0]`):
    ```mlir
    llm.weight @w : tensor<1x8xf32> = dense_resource<w> : tensor<32xi8>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"n", "n", "int64_t", "2",
           "Entries kept in every group (1 <= n <= m)">,
    Option<"m", "m", "int64_t", "4", "Consecutive inputs per group">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: prune only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">,
    Option<"includeEmbeddings", "include-embeddings", "bool", "false",
           "Also prune the token embedding and the classifier">,
    Option<"biasCorrection", "bias-correction", "std::string", "\"\"",
           "Input means (JSON from llmc calibrate): each linear whose weight "
           "is pruned gets b += (W - W_pruned) E[x]">
  ];
  let statistics = [
    Statistic<"numPruned", "pruned", "Weights pruned">,
    Statistic<"numZeroed", "zeroed", "Entries set to zero">,
    Statistic<"numSkippedShape", "skipped-shape",
              "Weights left as they are because rows do not split into "
              "groups of m">
  ];
}

def LLMPruneFFNPass : Pass<"llm-prune-ffn", "::mlir::ModuleOp"> {
  let summary = "Removes the least important intermediate channels of every "
                "MLP (structured FFN pruning).";
  let description = [{
    For every gated MLP `down(act(gate(x)) * up(x))` (an `llm.gated_act`
    whose operands come from two `llm.linear` ops and whose result feeds
    one) and every plain MLP `down(act(up(x)))` (an `llm.act` between two
    `llm.linear` ops), removes intermediate channels: rows of the gate and
    up weights and the matching columns of the down weight. The result
    types of the gate and up linears and of the activation shrink, so the
    model stores and computes less; layers may end up with different widths.
    Biases of the gate and up linears (GPT-2, bias correction) lose the same
    entries; the down bias stays.

    `ratio` removes `floor(ratio * hidden)` channels of every layer, `count`
    a fixed number (fewer than the layer has); with `round-to=R` the kept
    width is rounded up to a multiple of R (e.g. 32, so that the down
    weight still quantizes in groups of 32).

    Channels are ranked by a training-free score computed from the weights
    alone, `s_j = ||W_gate[j,:]|| * ||W_up[j,:]|| * ||W_down[:,j]||`
    (Euclidean norms; no gate factor for a plain MLP; the lowest scores go,
    the earlier channel first among equal ones): the
    magnitude counterpart of the structured-pruning scores of LLM-Pruner
    (arXiv 2305.11627) and FLAP (arXiv 2312.11983). Calibration-based scores
    (activation norms, fluctuation) come later. The new weights are f32
    `dense_resource` blobs; a weight another op also uses is copied first.

    Before:
    ```mlir
    %g = llm.linear %n, @blk.0.ffn_gate.weight : tensor<1x64xf32> -> tensor<1x172xf32>
    %u = llm.linear %n, @blk.0.ffn_up.weight : tensor<1x64xf32> -> tensor<1x172xf32>
    %s = llm.gated_act <silu> %g, %u : tensor<1x172xf32>
    %d = llm.linear %s, @blk.0.ffn_down.weight : tensor<1x172xf32> -> tensor<1x64xf32>
    ```
    After (`count=44`; the weights become 128x64, 128x64 and 64x128):
    ```mlir
    %g = llm.linear %n, @blk.0.ffn_gate.weight : tensor<1x64xf32> -> tensor<1x128xf32>
    %u = llm.linear %n, @blk.0.ffn_up.weight : tensor<1x64xf32> -> tensor<1x128xf32>
    %s = llm.gated_act <silu> %g, %u : tensor<1x128xf32>
    %d = llm.linear %s, @blk.0.ffn_down.weight : tensor<1x128xf32> -> tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"ratio", "ratio", "double", "0.0",
           "Fraction of every layer's intermediate channels to remove, in "
           "[0, 1)">,
    Option<"count", "count", "int64_t", "0",
           "Number of intermediate channels to remove from every layer "
           "(instead of ratio)">,
    Option<"roundTo", "round-to", "int64_t", "1",
           "Keep a multiple of this many channels (removing fewer)">
  ];
  let statistics = [
    Statistic<"numLayers", "layers", "MLPs pruned">,
    Statistic<"numChannels", "channels", "Intermediate channels removed">
  ];
}

def LLMPruneHeadsPass : Pass<"llm-prune-heads", "::mlir::ModuleOp"> {
  let summary = "Removes the least important KV groups (a KV head with its "
                "query heads) of every attention layer.";
  let description = [{
    Structured attention-head pruning that keeps grouped-query attention
    valid: a KV group is one KV head and the `heads / kv_heads` query heads
    that read it, and `kv-groups` of them are removed from every
    `llm.attention` (the same number everywhere, because the
    `!llm.kv_cache` type has one `kv_heads` for all slots). The pass slices
    whole heads of `head_dim` rows out of the q, k and v weights (so the
    rotary pairs of the kept heads stay intact) and the matching columns
    out of the output weight, then updates `heads` / `kv_heads` of
    `llm.attention` and `llm.rope`, the result types, and the KV-cache type
    of the functions' signatures: the cache shrinks with the weights. Biases
    of q, k and v (Qwen2, GPT-2, bias correction) lose the same entries; the
    output bias stays. Attention without `llm.rope` is pruned the same way.

    The importance of group g is computed from the weights alone,
    `||Wq[G_q,:]||_F * ||Wk[G_kv,:]||_F * ||Wv[G_kv,:]||_F * ||Wo[:,G_q]||_F`
    with `G_q` / `G_kv` the rows of its query / KV heads; the lowest
    products go (the earlier group first among equal ones). This is the
    magnitude version of the head-importance scores of structured pruning
    (Michel et al., arXiv 1905.10650, use gradients; LLM-Pruner, arXiv
    2305.11627, removes coupled groups the same way). Removing every group
    is an error.

    Before (4 query heads, 2 KV heads of dimension 16):
    ```mlir
    %q = llm.linear %n, @wq : tensor<1x64xf32> -> tensor<1x64xf32>
    %k = llm.linear %n, @wk : tensor<1x64xf32> -> tensor<1x32xf32>
    %v = llm.linear %n, @wv : tensor<1x64xf32> -> tensor<1x32xf32>
    %o = llm.attention %q, %k, %v, %cache[0], %pos {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 16 : i64}
        : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, ...> -> tensor<1x64xf32>
    %y = llm.linear %o, @wo : tensor<1x64xf32> -> tensor<1x64xf32>
    ```
    After (`kv-groups=1`):
    ```mlir
    %q = llm.linear %n, @wq : tensor<1x64xf32> -> tensor<1x32xf32>
    %k = llm.linear %n, @wk : tensor<1x64xf32> -> tensor<1x16xf32>
    %v = llm.linear %n, @wv : tensor<1x64xf32> -> tensor<1x16xf32>
    %o = llm.attention %q, %k, %v, %cache[0], %pos {heads = 2 : i64, kv_heads = 1 : i64, head_dim = 16 : i64}
        : tensor<1x32xf32>, tensor<1x16xf32>, tensor<1x16xf32>, !llm.kv_cache<slots = 1, kv_heads = 1, ...> -> tensor<1x32xf32>
    %y = llm.linear %o, @wo : tensor<1x32xf32> -> tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"kvGroups", "kv-groups", "int64_t", "1",
           "Number of KV groups to remove from every attention layer">
  ];
  let statistics = [
    Statistic<"numLayers", "layers", "Attention layers pruned">,
    Statistic<"numGroups", "kv-groups", "KV groups removed">,
    Statistic<"numQueryHeads", "query-heads", "Query heads removed">
  ];
}

def LLMFactorizeLowRankPass
    : Pass<"llm-factorize-low-rank", "::mlir::ModuleOp"> {
  let summary = "Replaces linear weights by a product of two thinner ones "
                "(truncated SVD).";
  let description = [{
    Rewrites `llm.linear %x, @W` (W of shape [m, n]) into
    `llm.linear (llm.linear %x, @W.B), @W.A` with `W ~= A * B`, from the
    truncated singular value decomposition `W = U S V^T`: `A = U_k S_k`
    ([m, k]) and `B = V_k^T` ([k, n]), the best rank-k approximation in the
    Frobenius norm (Eckart-Young). k is `rank`, or `ratio` of the full rank
    `min(m, n)` (rounded, at least 1), or the smallest k whose singular
    values keep the fraction `energy` of `sum(s_i^2)`; give exactly one.

    A weight is only factorized when that saves storage, `k (m + n) < m n`;
    otherwise it is left as it is and counted in `skipped-no-saving`
    (full rank never saves). A weight that other ops keep using in full
    (the embedding table behind a tied classifier) never saves either.
    Selection: `only` / `skip` on weight names; the classifier only with
    `include-classifier`. The new weights are f32 `dense_resource` blobs.

    Plain SVD ignores which input directions the activations use, and is
    known to be poor for LLMs (SVD-LLM, arXiv 2403.07378: LLaMA-7B at 20%
    compression, perplexity 20061 for plain SVD vs 7.94 with whitening).
    Whitening by a Cholesky factor of the calibration activations' `X X^T`
    needs calibration and comes later; measure before using this.

    Before:
    ```mlir
    %y = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x64xf32>
    ```
    After (`rank=8`):
    ```mlir
    llm.weight @w.B : tensor<8x64xf32> = dense_resource<w.B> : tensor<2048xi8>
    llm.weight @w.A : tensor<64x8xf32> = dense_resource<w.A> : tensor<2048xi8>
    %t = llm.linear %x, @w.B : tensor<1x64xf32> -> tensor<1x8xf32>
    %y = llm.linear %t, @w.A : tensor<1x8xf32> -> tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"rank", "rank", "int64_t", "0", "Rank k of every factorization">,
    Option<"ratio", "ratio", "double", "0.0",
           "Rank as a fraction of the full rank min(m, n), in (0, 1]">,
    Option<"energy", "energy", "double", "0.0",
           "Keep the singular values holding this fraction of sum(s^2), in "
           "(0, 1]">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: factorize only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">,
    Option<"includeClassifier", "include-classifier", "bool", "false",
           "Also factorize the classifier (output) weight">
  ];
  let statistics = [
    Statistic<"numFactorized", "factorized", "Weights factorized">,
    Statistic<"numSkippedNoSaving", "skipped-no-saving",
              "Weights left as they are because the factors would not be "
              "smaller">,
    Statistic<"numParamsRemoved", "params-removed",
              "Weight entries saved: m n - k (m + n), summed">
  ];
}

def LLMDropUnusedWeightsPass
    : Pass<"llm-drop-unused-weights", "::mlir::ModuleOp"> {
  let summary = "Erases llm.weight ops that nothing references any more.";
  let description = [{
    After skipping layers or sublayers, pruning heads or factorizing a
    weight, the old weights are no longer referenced. This pass erases them
    so they are not written to the device weights file. It runs at the start
    of lowering (`llmc-lower-to-loops`).
  }];
  let statistics = [
    Statistic<"numDropped", "dropped", "Unused weights erased">
  ];
}

def LLMSliceWidthPass : Pass<"llm-slice-width", "::mlir::ModuleOp"> {
  let summary = "Slices the model (residual/embedding) width to `dim` "
                "channels, as a super-transformer is sliced.";
  let description = [{
    Structured width slicing of the residual stream, the model dimension a
    super-transformer (MLFS) slices: `dim` of the current model width's
    channels are kept, everywhere at once. The pass follows the residual
    stream from the `llm.embedding` results through `llm.layer` /
    `llm.residual` (inputs, block arguments, yields, results), `llm.rms_norm`
    and `llm.add`, and slices every weight that touches it:

    - the columns of the token embedding (and of the classifier; a tied
      classifier is the same weight, sliced once);
    - the entries of every `llm.rms_norm` weight on the stream (attention,
      FFN and output norms);
    - the input columns of the linears that read the stream (q, k, v, FFN
      gate and up, the classifier);
    - the output rows of the linears that write it (attention output, FFN
      down).

    Every activation type `tensor<T x dim x f32>` of the stream is updated
    (a stream value a function takes or returns changes its signature).
    Head dimensions, the FFN width and the KV cache are unchanged: q, k and
    v widths do not depend on the model width. A weight shared with an op
    that does not touch the stream gets its own sliced copy
    (`<name>.sliced`). New weights are f32 `dense_resource` blobs; slice
    before quantizing.

    This changes the function, not only the storage: each RMSNorm's mean of
    squares now runs over the kept channels only, and what the removed
    channels carried is lost; quality drops accordingly (measure it).

    `select=norm` (default) keeps the `dim` channels with the highest
    weights-only score `||E[:,c]||_2 * sum_g |g_c|`: the L2 norm of column
    c of the token embedding E times the magnitudes of entry c of every
    RMSNorm weight g on the stream, summed over layers (attention, FFN and
    output norms; just the column norm when there is none). Among equal
    scores the earlier channel is kept; the kept channels stay in their
    original order. `select=first` keeps channels `0 .. dim-1`, as MLFS's
    supernet slicing does.

    `dim` must be positive and smaller than the current width; a stream
    that reaches an op the pass cannot slice (e.g. `llm.rope`,
    `llm.attention`) is an error.

    Before (width 64):
    ```mlir
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x64xf32>
    %a = llm.residual <attention>(%x) : tensor<1x64xf32> {
    ^bb0(%h: tensor<1x64xf32>):
      %n = llm.rms_norm %h, @attn_norm {eps = 1.0e-05 : f32} : tensor<1x64xf32>
      %q = llm.linear %n, @wq : tensor<1x64xf32> -> tensor<1x64xf32>
      ...
      %y = llm.linear %o, @wo : tensor<1x64xf32> -> tensor<1x64xf32>
      llm.yield %y : tensor<1x64xf32>
    }
    ```
    After (`dim=48`):
    ```mlir
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x48xf32>
    %a = llm.residual <attention>(%x) : tensor<1x48xf32> {
    ^bb0(%h: tensor<1x48xf32>):
      %n = llm.rms_norm %h, @attn_norm {eps = 1.0e-05 : f32} : tensor<1x48xf32>
      %q = llm.linear %n, @wq : tensor<1x48xf32> -> tensor<1x64xf32>
      ...
      %y = llm.linear %o, @wo : tensor<1x64xf32> -> tensor<1x48xf32>
      llm.yield %y : tensor<1x48xf32>
    }
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"dim", "dim", "int64_t", "0",
           "The new model width (positive, smaller than the current one)">,
    Option<"select", "select", "std::string", "\"norm\"",
           "Which channels to keep: 'norm' (highest embedding-column norm "
           "times RMSNorm weight magnitudes) or 'first' (channels 0..dim-1)">
  ];
  let statistics = [
    Statistic<"numChannels", "channels", "Model-width channels removed">,
    Statistic<"numWeights", "weights", "Weights sliced">
  ];
}

def LLMSparsifyWeightsPass : Pass<"llm-sparsify-weights", "::mlir::ModuleOp"> {
  let summary = "Marks N:M-pruned integer weights for sparse storage and "
                "kernels that skip the zeros.";
  let description = [{
    Checks every selected linear weight for the `n:m` pattern (at most `n`
    nonzero quants in every group of `m` consecutive inputs of a row, as
    `llm-prune-nm` leaves it) and sets its `sparsity` attribute, so code
    generation stores only the kept values with 2-bit positions and the
    linear kernels gather the matching inputs instead of multiplying zeros
    (docs/compression.md, docs/artifact.md).

    Run it after quantization: the pattern is checked on the stored quants
    (a zero weight is a zero quant), and only symmetric int8/int4, q8_0 and
    q4_0 weights have a sparse layout. A selected weight in another format,
    used by something else than `llm.linear`, or with a denser group is an
    error naming the weight, row and columns. Selection is as in
    `llm-prune-nm` (`only`, `skip`, `include-embeddings`); weights still
    stored as f32/f16 (e.g. left unquantized because of their shape) stay
    dense and are counted in `skipped-float`, and a run that marks no weight
    at all is an error. Only `2:4` is supported.

    Before (every 4 inputs of each row hold at most 2 nonzero quants):
    ```mlir
    llm.weight @w : tensor<64x64xf32> format <int8, group = 32> = dense_resource<w> : tensor<4608xi8>
    ```
    After:
    ```mlir
    llm.weight @w : tensor<64x64xf32> format <int8, group = 32> sparsity <2:4> = dense_resource<w> : tensor<4608xi8>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"n", "n", "int64_t", "2",
           "Nonzeros allowed in every group (only 2:4 is supported)">,
    Option<"m", "m", "int64_t", "4", "Consecutive inputs per group">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: mark only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">,
    Option<"includeEmbeddings", "include-embeddings", "bool", "false",
           "Also mark the classifier (a tied embedding table cannot be "
           "sparse)">
  ];
  let statistics = [
    Statistic<"numSparsified", "sparsified", "Weights marked sparse">,
    Statistic<"numSkippedFloat", "skipped-float",
              "Selected weights left dense because they are stored as floats">
  ];
}

def LLMSetKVCacheElementPass
    : Pass<"llm-set-kv-cache-element", "::mlir::ModuleOp"> {
  let summary = "Stores the KV cache as f16 or int8 instead of f32.";
  let description = [{
    Sets the `element` of every `!llm.kv_cache` in the functions' signatures
    to `element` (`f32`, `f16` or `i8`). The lowering then stores each key
    and value row converted (f16, round to nearest even) or quantized (i8:
    symmetric, one f32 scale max|row|/127 per position and KV head, kept
    after the rows) and converts back inside attention; the arithmetic
    stays f32. f16 halves the cache and int8 quarters it (plus 4 bytes per
    row of `head_dim`), at a small cost in accuracy (`docs/compression.md`).
    `llmc compile --kv-cache=f16|int8` runs it.

    Before:
    ```mlir
    func.func @decode(..., %cache: !llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 64, max_seq = 512, element = f32>)
    ```
    After (`element=f16`):
    ```mlir
    func.func @decode(..., %cache: !llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 64, max_seq = 512, element = f16>)
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let options = [
    Option<"element", "element", "std::string", "\"f32\"",
           "Storage element type of the KV cache: f32, f16 or i8">
  ];
  let statistics = [
    Statistic<"numCaches", "caches", "KV-cache arguments retyped">
  ];
}

#endif // LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD
