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
    are left alone). Weights whose rows do not split into whole groups stay
    as they are and are counted in `skipped-shape`.

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
           "Target format: int8, int4, q8_0, q4_0, q4_k or f16">,
    Option<"group", "group", "int64_t", "32",
           "Elements per scale for int8/int4 (a multiple of 32; 0 = one "
           "scale per row)">,
    Option<"symmetric", "symmetric", "bool", "true",
           "Symmetric (scale only) or asymmetric (scale and offset) int8/int4">,
    Option<"only", "only", "std::string", "\"\"",
           "Regular expression: quantize only weights whose name matches">,
    Option<"skip", "skip", "std::string", "\"\"",
           "Regular expression: leave weights whose name matches">
  ];
  let statistics = [
    Statistic<"numQuantized", "quantized", "Weights quantized">,
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

#endif // LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD
