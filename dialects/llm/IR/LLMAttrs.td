//===- LLMAttrs.td - llm dialect attributes and types ------*- tablegen -*-===//
//
// Weight storage formats, external weight references, rotary conventions and
// the KV-cache type.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_LLMATTRS_TD
#define LLMC_DIALECT_LLM_IR_LLMATTRS_TD

include "llm/IR/LLMBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def LLM_FormatKind : I32EnumAttr<"FormatKind",
    "storage format family of a weight tensor", [
      I32EnumAttrCase<"f32", 0>,
      I32EnumAttrCase<"f16", 1>,
      I32EnumAttrCase<"q8_0", 2>,
      I32EnumAttrCase<"q4_0", 3>,
      I32EnumAttrCase<"q4_k", 4>,
      I32EnumAttrCase<"int8", 5>,
      I32EnumAttrCase<"int4", 6>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::llmc::llm";
}

def LLM_RopeStyle : I32EnumAttr<"RopeStyle", "rotary embedding pairing", [
      I32EnumAttrCase<"adjacent", 0>,
      I32EnumAttrCase<"halves", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::llmc::llm";
  let description = [{
    Which elements of a head are rotated together: `adjacent` pairs
    (2i, 2i+1) as in llama2.c and GGUF, or `halves` (i, i + head_dim/2) as
    in Hugging Face checkpoints.
  }];
}
def LLM_RopeStyleAttr : EnumAttr<LLM_Dialect, LLM_RopeStyle, "rope_style"> {
  let assemblyFormat = "`<` $value `>`";
}

def LLM_SublayerKind : I32EnumAttr<"SublayerKind", "kind of residual sublayer", [
      I32EnumAttrCase<"attention", 0>,
      I32EnumAttrCase<"mlp", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::llmc::llm";
}
def LLM_SublayerKindAttr : EnumAttr<LLM_Dialect, LLM_SublayerKind, "sublayer"> {
  let assemblyFormat = "`<` $value `>`";
}

def LLM_Activation : I32EnumAttr<"Activation", "feed-forward activation", [
      I32EnumAttrCase<"silu", 0>,
      I32EnumAttrCase<"gelu_erf", 1>,
      I32EnumAttrCase<"gelu_tanh", 2>,
      I32EnumAttrCase<"relu", 3>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::llmc::llm";
  let description = [{
    The activation of a feed-forward layer (`llm.act`, `llm.gated_act`):
    `silu` is `x * sigmoid(x)` (Llama, Qwen2), `gelu_erf` the exact GELU
    `0.5 x (1 + erf(x / sqrt(2)))`, `gelu_tanh` its tanh approximation
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (GPT-2's
    `gelu_new`), `relu` is `max(x, 0)`.
  }];
}
def LLM_ActivationAttr : EnumAttr<LLM_Dialect, LLM_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class LLM_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LLM_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def LLM_ExternalDataAttr : LLM_Attr<"ExternalData", "extern"> {
  let summary = "A reference to weight bytes stored in a model file.";
  let description = [{
    Weight data that stays in the model file it was imported from: `path`
    names the file, `offset` and `size` the byte range. The bytes are in the
    weight's storage format (see `#llm.format`), laid out exactly as the
    source file stores them. Nothing is copied at import time; code
    generation reads (memory-maps) the range when it writes the device's
    weights file.

    Example: `#llm.extern<"stories260K.gguf", offset = 1245184, size = 16384>`
  }];
  let parameters = (ins StringRefParameter<"file path">:$path,
                        "uint64_t":$offset, "uint64_t":$size);
  let assemblyFormat = "`<` $path `,` `offset` `=` $offset `,` `size` `=` $size `>`";
}

def LLM_FormatAttr : LLM_Attr<"Format", "format"> {
  let summary = "How a weight's elements are stored.";
  let description = [{
    `kind` is the format family:

    - `f32`, `f16`: dense IEEE floats.
    - `q8_0`, `q4_0`, `q4_k`: the GGUF block formats, stored exactly as
      ggml lays them out (so GGUF files import without conversion): blocks
      of 32 elements with an fp16 scale, `w = d * q` (8-bit) or
      `w = d * (q - 8)` (4-bit); `q4_k` super-blocks of 256 elements with
      6-bit sub-block scales and mins.
    - `int8`, `int4`: llmc's group-wise integer formats, produced by
      `llm-quantize-weights`. Each group of `group` consecutive elements of
      a row (`per_channel`: the whole row) stores an f32 scale `s`, for
      `asymmetric` also an f32 offset `m`, then the quants: symmetric
      `w = s * q` with signed `q` (int4 stored as `q + 8` in a nibble),
      asymmetric `w = s * q + m` with unsigned `q`. int4 nibbles follow
      ggml's order within every 32 elements (byte j holds elements j and
      j + 16). Groups are multiples of 32.

    Examples: `#llm.format<q4_0>`, `#llm.format<int4, group = 128>`,
    `#llm.format<int8, per_channel, asymmetric>`.
  }];
  let parameters = (ins EnumParameter<LLM_FormatKind>:$kind,
                        DefaultValuedParameter<"int64_t", "0">:$group,
                        DefaultValuedParameter<"bool", "true">:$symmetric);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::llmc::llm::FormatKind":$kind), [{
      return $_get($_ctxt, kind, 0, true);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Whether the elements are dense floats (f32 or f16).
    bool isDense() const;
    /// Elements a row length must be a multiple of (1, 32 or 256).
    int64_t getRowMultiple() const;
    /// Elements sharing one scale in a row of `cols` elements (1 for dense).
    int64_t getGroupSize(int64_t cols) const;
    /// Bits per quantized element (32, 16, 8 or 4).
    int64_t getBits() const;
    /// Bytes of `rows` x `cols` elements in this format, 0 if the shape
    /// does not fit the format.
    uint64_t getStorageBytes(int64_t rows, int64_t cols) const;
  }];
}

def LLM_SparsityAttr : LLM_Attr<"Sparsity", "sparsity"> {
  let summary = "N:M structured sparsity of a weight's rows.";
  let description = [{
    Marks a weight matrix whose every group of `m` consecutive inputs (along
    a row, the input dimension) holds at most `n` nonzero values. The stored
    bytes in the IR stay in the weight's dense format (the zeros included);
    code generation stores only the kept values and their positions and
    runs kernels that skip the zeros (docs/artifact.md, "2:4 sparse
    weights"). `llm-sparsify-weights` sets it after checking the pattern.
    Only `2:4` is supported, on symmetric int8/int4, q8_0 and q4_0 weights.

    Example: `llm.weight @w : tensor<64x64xf32> format <int8, group = 32> sparsity <2:4> = ...`
  }];
  let parameters = (ins "int64_t":$n, "int64_t":$m);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def LLM_KVCacheType : TypeDef<LLM_Dialect, "KVCache"> {
  let mnemonic = "kv_cache";
  let summary = "The key/value cache of a decoder.";
  let description = [{
    Keys and values of past positions for every attention sublayer that has
    one. `slots` is the number of attention sublayers backed by the cache
    (skipping an attention sublayer removes its slot), `kv_heads` and
    `head_dim` the per-slot shape, `max_seq` the longest context, and
    `element` the storage element type: `f32`, `f16`, or `i8` (symmetric
    int8 with one f32 scale per position and KV head).

    Layout in bytes: the rows `[slot][k|v][kv_head][max_seq][head_dim]` of
    `element`; for `i8` then, from the next multiple of 64, the scales
    `[slot][k|v][kv_head][max_seq]` as f32.

    Example: `!llm.kv_cache<slots = 5, kv_heads = 4, head_dim = 8, max_seq = 512, element = f32>`
  }];
  let parameters = (ins "int64_t":$slots, "int64_t":$kv_heads,
                        "int64_t":$head_dim, "int64_t":$max_seq,
                        "::mlir::Type":$element);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bytes of the rows of all slots (keys and values).
    int64_t getRowsBytes() const;
    /// Byte offset of the i8 scales (the rows' bytes rounded up to 64).
    int64_t getScalesOffset() const;
    /// Bytes of the whole cache (rows, and scales for i8).
    int64_t getTotalBytes() const;
  }];
}

#endif // LLMC_DIALECT_LLM_IR_LLMATTRS_TD
