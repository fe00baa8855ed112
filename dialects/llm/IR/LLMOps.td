//===- LLMOps.td - llm dialect operations ------------------*- tablegen -*-===//
//
// Weights, tokenizer, the compute ops of Llama-family decoders (Llama, Qwen2,
// GPT-2), and the layer/sublayer structure ops that compression passes
// rewrite.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_LLMOPS_TD
#define LLMC_DIALECT_LLM_IR_LLMOPS_TD

include "llm/IR/LLMBase.td"
include "llm/IR/LLMAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def LLM_F32Tensor2D : 2DTensorOf<[F32]>;
def LLM_TokenTensor : 1DTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Module-level data
//===----------------------------------------------------------------------===//

def LLM_WeightOp : LLM_Op<"weight", [Symbol]> {
  let summary = "A named weight tensor whose bytes live outside the IR text.";
  let description = [{
    Declares a weight. `type` is the logical shape with `f32` elements
    (matrices are `[out, in]`, row-major); `format` is how the elements are
    stored (`#llm.format`, `f32` when absent). `data` holds or
    references the stored bytes:

    - `#llm.extern<"file", offset = O, size = S>`: a byte range of a model
      file, in the storage format (what the importers produce; nothing is
      copied);
    - an elements attribute with the logical type (`dense<...>` f32 values,
      only for `f32` storage, handy for tests);
    - a 1-D `i8` elements attribute (typically `dense_resource`) holding the
      stored bytes, which is what passes that compute new weights create.

    A weight without `data` is a declaration: the IR verifies and transforms,
    but code generation refuses it.

    `sparsity` (`#llm.sparsity<2:4>`, set by `llm-sparsify-weights`) says
    that every 4 consecutive inputs of a row hold at most 2 nonzeros, so code
    generation stores the weight compressed and skips the zeros.

    Example:
    ```mlir
    llm.weight @blk.0.attn_q.weight : tensor<64x64xf32> format <q8_0>
        = #llm.extern<"m.gguf", offset = 4096, size = 4352>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyStaticShapeTensor>:$type,
                       OptionalAttr<LLM_FormatAttr>:$format,
                       OptionalAttr<AnyAttr>:$data,
                       OptionalAttr<LLM_SparsityAttr>:$sparsity);
  let assemblyFormat = [{
    $sym_name `:` $type (`format` $format^)? (`sparsity` $sparsity^)?
    (`=` $data^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The logical tensor type.
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// The storage format (f32 when the attribute is absent).
    ::llmc::llm::FormatAttr getFormatOrDefault();
    /// Rows and columns (a rank-1 weight is one row).
    int64_t getRows();
    int64_t getCols();
    /// Number of bytes the weight occupies in its storage format.
    uint64_t getStorageBytes();
  }];
}

def LLM_TokenizerOp : LLM_Op<"tokenizer", []> {
  let summary = "The model's tokenizer vocabulary.";
  let description = [{
    The vocabulary that travels with the model to the device. `data` is the
    tokenizer section of the device weights file (the LLMT format documented
    in `runtime/include/llmc/format.h`: pieces, scores, token types, flags),
    as a 1-D `i8` elements attribute, usually a `dense_resource` blob.

    Example:
    ```mlir
    llm.tokenizer vocab = 512, bos = 1, eos = 2, data = dense_resource<tok> : tensor<6300xi8>
    ```
  }];
  let arguments = (ins I64Attr:$vocab, I64Attr:$bos, I64Attr:$eos,
                       ElementsAttr:$data);
  let assemblyFormat = [{
    `vocab` `=` $vocab `,` `bos` `=` $bos `,` `eos` `=` $eos `,` `data` `=` $data attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute ops
//===----------------------------------------------------------------------===//

class LLM_WeightUserOp<string mnemonic, list<Trait> traits = []>
    : LLM_Op<mnemonic, !listconcat(traits,
          [DeclareOpInterfaceMethods<SymbolUserOpInterface>])>;

def LLM_EmbeddingOp : LLM_WeightUserOp<"embedding", [Pure]> {
  let summary = "Looks up the embedding rows of a sequence of tokens.";
  let description = [{
    `result[t, :] = table[tokens[t], :]` for a `[vocab, dim]` table. Token
    ids outside `[0, vocab)` are clamped to the range by the lowering.

    Example:
    ```mlir
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_TokenTensor:$tokens, FlatSymbolRefAttr:$table);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = [{
    $tokens `,` $table attr-dict `:` type($tokens) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_PositionEmbeddingOp : LLM_WeightUserOp<"position_embedding",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Adds learned position embeddings to each row.";
  let description = [{
    `result[t, :] = input[t, :] + table[pos + t, :]` for a `[positions, dim]`
    table: the learned absolute positions of GPT-2-style models, added to
    the token embedding. Positions past the table's last row read that row
    (the importer never makes the KV cache longer than the table, so a
    compiled model does not reach them).

    Example:
    ```mlir
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x64xf32>
    %xp = llm.position_embedding %x, %pos, @position_embd.weight : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, Index:$pos,
                       FlatSymbolRefAttr:$table);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = [{
    $input `,` $pos `,` $table attr-dict `:` type($result)
  }];
}

def LLM_RMSNormOp : LLM_WeightUserOp<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalization with a learned scale.";
  let description = [{
    For each row `x` of the input: `y = w * x / sqrt(mean(x^2) + eps)`,
    with `w` a `[dim]` weight.

    Example:
    ```mlir
    %n = llm.rms_norm %x, @blk.0.attn_norm.weight {eps = 1.0e-05 : f32} : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, FlatSymbolRefAttr:$weight,
                       F32Attr:$eps);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def LLM_LayerNormOp : LLM_WeightUserOp<"layer_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization with a learned scale and optional shift.";
  let description = [{
    For each row `x` of the input:
    `y = (x - mean(x)) / sqrt(var(x) + eps) * w (+ b)`, where `var` is the
    biased variance `mean((x - mean(x))^2)`, `w` a `[dim]` weight and `b`
    an optional `[dim]` bias (GPT-2 has one on every norm).

    Example:
    ```mlir
    %n = llm.layer_norm %x, @blk.0.attn_norm.weight bias @blk.0.attn_norm.bias
        {eps = 1.0e-05 : f32} : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, FlatSymbolRefAttr:$weight,
                       OptionalAttr<FlatSymbolRefAttr>:$bias, F32Attr:$eps);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_LinearOp : LLM_WeightUserOp<"linear", [Pure]> {
  let summary = "Multiplies each row by the transpose of a weight matrix.";
  let description = [{
    `result[t, n] = sum_k input[t, k] * weight[n, k] (+ bias[n])` for a
    `[out, in]` weight in any storage format and an optional `[out]` bias
    (GPT-2-style models have them; bias correction after quantization adds
    one). This is the op quantization, pruning and low-rank passes rewrite;
    the classifier is a linear too (tied to the token embedding when it
    references the same weight).

    Example:
    ```mlir
    %q = llm.linear %n, @blk.0.attn_q.weight : tensor<1x64xf32> -> tensor<1x64xf32>
    %y = llm.linear %n, @w bias @b : tensor<1x64xf32> -> tensor<1x16xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, FlatSymbolRefAttr:$weight,
                       OptionalAttr<FlatSymbolRefAttr>:$bias);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def LLM_RopeOp : LLM_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding of the heads of each row.";
  let description = [{
    Row `t` of the input holds `heads` heads of `head_dim` elements at
    position `pos + t`. Each pair `(a, b)` of a head (chosen by `style`) with
    pair index `i` is rotated by the angle
    `(pos + t) * theta^(-2i / head_dim)`.

    Example:
    ```mlir
    %qr = llm.rope %q, %pos {heads = 8 : i64, head_dim = 8 : i64,
        theta = 1.0e+04 : f32, style = #llm.rope_style<adjacent>} : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, Index:$pos,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F32Attr:$theta, LLM_RopeStyleAttr:$style);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = "$input `,` $pos attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def LLM_AttentionOp : LLM_Op<"attention",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Causal grouped-query attention over a KV cache.";
  let description = [{
    Row `t` of `q`, `k`, `v` belongs to position `pos + t`. The op first
    stores `k` and `v` rows into slot `slot` of the cache at those positions,
    then each of the `heads` query heads attends, causally, to positions
    `0 ..= pos + t` of its KV head (`kv_heads` divides `heads`; query head
    `h` reads KV head `h / (heads / kv_heads)`), with scores scaled and a
    softmax. The scores `q . k` are divided by `sqrt(head_dim)`, or, when the
    optional `scale` attribute is given, multiplied by `scale` (models
    trained with another scale). Rotary embedding, if the model has one, is
    applied before (`llm.rope`); without it the op attends over plain keys
    (learned or no positions). The result has one row of
    `heads * head_dim` per position.
    With `window = W` (sliding-window attention, as in Mistral or ONNX
    models whose mask limits the look-back), position `p` attends only to
    positions `max(0, p - W + 1) ..= p`.

    Example:
    ```mlir
    %o = llm.attention %q, %k, %v, %cache[0], %pos
        {heads = 8 : i64, kv_heads = 4 : i64, head_dim = 8 : i64}
        : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>,
          !llm.kv_cache<slots = 5, kv_heads = 4, head_dim = 8, max_seq = 512, element = f32>
        -> tensor<1x64xf32>
    %o2 = llm.attention %q, %k, %v, %cache[1], %pos
        {heads = 8 : i64, kv_heads = 4 : i64, head_dim = 8 : i64, scale = 0.25 : f32}
        : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>,
          !llm.kv_cache<slots = 5, kv_heads = 4, head_dim = 8, max_seq = 512, element = f32>
        -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$q, LLM_F32Tensor2D:$k,
                       LLM_F32Tensor2D:$v, LLM_KVCacheType:$cache,
                       I64Attr:$slot, Index:$pos,
                       ConfinedAttr<I64Attr, [IntPositive]>:$heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$kv_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$window);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $cache `[` $slot `]` `,` $pos attr-dict `:`
    type($q) `,` type($k) `,` type($v) `,` type($cache) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_ActOp : LLM_Op<"act", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Elementwise activation: act(input).";
  let description = [{
    Elementwise `act(input)` (see `#llm.activation`), the middle of a
    non-gated MLP `down(act(up(x)))` such as GPT-2's (`gelu_tanh`).

    Example:
    ```mlir
    %h = llm.act <gelu_tanh> %u : tensor<1x256xf32>
    ```
  }];
  let arguments = (ins LLM_ActivationAttr:$activation,
                       LLM_F32Tensor2D:$input);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = "$activation $input attr-dict `:` type($result)";
}

def LLM_GatedActOp : LLM_Op<"gated_act",
    [Pure, AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "Gated activation: act(gate) * up.";
  let description = [{
    Elementwise `act(gate) * up`, the middle of a gated MLP
    `down(act(gate(x)) * up(x))` (SwiGLU with `silu`, GeGLU with
    `gelu_erf` or `gelu_tanh`, ReGLU with `relu`).

    Example:
    ```mlir
    %h = llm.gated_act <silu> %g, %u : tensor<1x172xf32>
    ```
  }];
  let arguments = (ins LLM_ActivationAttr:$activation, LLM_F32Tensor2D:$gate,
                       LLM_F32Tensor2D:$up);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = "$activation $gate `,` $up attr-dict `:` type($result)";
}

def LLM_AddOp : LLM_Op<"add",
    [Pure, Commutative, AllTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "Elementwise addition (an explicit residual connection).";
  let description = [{
    Example:
    ```mlir
    %y = llm.add %x, %f : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$lhs, LLM_F32Tensor2D:$rhs);
  let results = (outs LLM_F32Tensor2D:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def LLM_ObserveOp : LLM_Op<"observe", [MemoryEffects<[MemWrite]>]> {
  let summary = "Records an activation for calibration.";
  let description = [{
    Makes the value of `input` at every forward step available to the host
    that runs the model: the lowering copies it into a dedicated region of
    the activation arena and lists the region in the module's
    `llm.observations` attribute (name, arena offset, shape). Calibration
    (importance scores for skipping, activation statistics) reads the region
    after each step. Inserted by `llm-observe-residuals`; code compiled for a
    device should not contain it.

    Example:
    ```mlir
    llm.observe %x {name = "attention.3.in"} : tensor<1x64xf32>
    ```
  }];
  let arguments = (ins LLM_F32Tensor2D:$input, StrAttr:$name);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def LLM_LayerOp : LLM_Op<"layer", [
    AllTypesMatch<["input", "result"]>,
    SingleBlock]> {
  let summary = "One decoder layer, as a region.";
  let description = [{
    The body maps the layer's input (its block argument) to its output (the
    yielded value). `index` is the layer's position in the original model,
    kept when layers are removed so that importance scores, options and
    diagnostics refer to stable numbers. Skipping a layer replaces the op by
    its input.

    Example:
    ```mlir
    %y = llm.layer 0 (%x) : tensor<1x64xf32> {
    ^bb0(%a: tensor<1x64xf32>):
      ...
      llm.yield %m : tensor<1x64xf32>
    }
    ```
  }];
  let arguments = (ins I64Attr:$index, LLM_F32Tensor2D:$input);
  let results = (outs LLM_F32Tensor2D:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $index `(` $input `)` `:` type($input) attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def LLM_ResidualOp : LLM_Op<"residual", [
    AllTypesMatch<["input", "result"]>,
    SingleBlock]> {
  let summary = "A residual sublayer: result = input + body(input).";
  let description = [{
    An attention or MLP sublayer with its skip connection. The body computes
    `F(x)` from its block argument `x`; the op's result is `x + F(x)`.
    Skipping the sublayer replaces the op by its input.

    Example:
    ```mlir
    %a = llm.residual <attention> (%x) : tensor<1x64xf32> {
    ^bb0(%in: tensor<1x64xf32>):
      ...
      llm.yield %o : tensor<1x64xf32>
    }
    ```
  }];
  let arguments = (ins LLM_SublayerKindAttr:$kind, LLM_F32Tensor2D:$input);
  let results = (outs LLM_F32Tensor2D:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $input `)` `:` type($input) attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def LLM_YieldOp : LLM_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["LayerOp", "ResidualOp"]>]> {
  let summary = "Yields the value of a layer or sublayer body.";
  let arguments = (ins LLM_F32Tensor2D:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // LLMC_DIALECT_LLM_IR_LLMOPS_TD
