//===- ModelSource.h - Neutral description of a model file ------*- C++ -*-===//
//
// The model-file readers of llmc: they parse a GGUF file, a llama2.c
// checkpoint, an ONNX graph or a Hugging Face checkpoint into a ModelSource, a
// format-neutral description of a decoder-only transformer (Llama, Qwen2 and
// GPT-2 families), without copying weight bytes where the file's layout is
// already llmc's. The importer turns a ModelSource into MLIR; the GGUF and
// llama2.c readers depend only on LLVM Support.
//
// Conventions shared by every reader:
//  - Tensor names are the canonical GGUF names of the llama architecture
//    ("token_embd.weight", "blk.N.attn_q.weight", ...), whatever the file
//    calls them.
//  - Shapes are logical and outermost first: a matrix is {out, in}, stored
//    row-major (each of the `out` rows holds `in` contiguous elements). GGUF
//    lists dimensions innermost first, so its ne[] is reversed here.
//  - ModelConfig::rope says how the Q and K projections pair their elements:
//    llama GGUF files and llama2.c use adjacent pairs (2i, 2i+1); Hugging
//    Face, qwen2 GGUF files and most ONNX exports rotate the two halves of
//    each head (i, i + headDim/2). A reader records the convention of its
//    file instead of permuting weights.
//  - Tensor data is referenced by absolute byte offset into the model file
//    (or into TensorRef::file), or owned by the TensorRef when the reader had
//    to convert it (transpose, split a fused matrix, repack quants); the
//    caller keeps the file's buffer alive (see readModelFile).
//  - Fused matrices of the file (GPT-2's c_attn, ONNX's packed QKV) are split
//    into attn_q/attn_k/attn_v by the reader: the llm dialect sees one linear
//    per projection.
//  - Tokenizer pieces use the SentencePiece/GGUF spelling: a word-initial
//    space is U+2581 ("▁"), control tokens are "<s>", "</s>", bytes are
//    "<0xXX>". The llama2.c tokenizer reader converts to this spelling.
//    Byte-level BPE vocabularies (TokenizerData::byteLevel) hold raw bytes.
//  - Every error is an llvm::Error whose message starts with "<path>: " and
//    says what is wrong and where.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_IMPORT_MODELSOURCE_H
#define LLMC_IMPORT_MODELSOURCE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llmc {

/// Storage format of a tensor as it is in the file. The block formats are
/// those of ggml, each block covering 32 consecutive elements of a row:
///  - Q8_0: 34 bytes = fp16 scale d, then 32 int8 q; w = d * q.
///  - Q4_0: 18 bytes = fp16 scale d, then 16 bytes; byte j holds element j in
///    its low nibble and element j + 16 in its high nibble; w = d * (q - 8).
///  - Int8, Int4: llmc's group-wise formats, in the byte layout of
///    `#llm.format<int8|int4, group = TensorRef::group[, asymmetric]>`
///    (dialects/llm/IR/WeightData.h); used for pre-quantized weights such as
///    ONNX MatMulNBits. Their size depends on the group, so formatBytes and
///    formatBlockBytes do not apply to them.
enum class TensorFormat { F32, F16, Q8_0, Q4_0, Int8, Int4 };

/// Number of elements covered by one block of a block format (1 for F32/F16).
int64_t formatBlockElements(TensorFormat format);

/// Bytes of one block of \p format (4 for F32, 2 for F16).
uint64_t formatBlockBytes(TensorFormat format);

/// Lower-case name of \p format as used by ggml ("f32", "f16", "q8_0",
/// "q4_0") and llmc ("int8", "int4").
llvm::StringRef formatName(TensorFormat format);

/// Exact storage size in bytes of \p numElements elements of \p format. For
/// block formats \p numElements must be a multiple of 32 (the readers check
/// this, per row, before calling).
uint64_t formatBytes(TensorFormat format, int64_t numElements);

/// One weight tensor of the model, referenced in place in the file.
struct TensorRef {
  /// Canonical GGUF name: "token_embd.weight", "blk.3.attn_q.weight",
  /// "blk.3.attn_k.weight", "blk.3.attn_v.weight", "blk.3.attn_output.weight",
  /// "blk.3.attn_norm.weight", "blk.3.ffn_norm.weight",
  /// "blk.3.ffn_gate.weight" (llama2.c w1), "blk.3.ffn_down.weight" (w2),
  /// "blk.3.ffn_up.weight" (w3), "output_norm.weight", "output.weight" (only
  /// when the classifier is not tied).
  std::string name;
  /// Logical shape, outermost first: matrices are {out, in} row-major; norms
  /// are {dim}.
  std::vector<int64_t> shape;
  TensorFormat format = TensorFormat::F32;
  /// Absolute byte offset of the tensor data in the file.
  uint64_t offset = 0;
  /// Bytes of the tensor data in the file.
  uint64_t size = 0;
  /// The file holding the data when it is not the model file itself (ONNX
  /// external data, a safetensors shard); empty means ModelSource::path.
  std::string file;
  /// Bytes the reader produced itself (a transposed or split matrix,
  /// repacked quants). When set, `offset` and `file` are unused and
  /// `data->size() == size`.
  std::shared_ptr<const std::vector<char>> data;
  /// Int8/Int4 only: elements per quantization group along a row, and
  /// whether each group has an offset besides its scale.
  int64_t group = 0;
  bool asymmetric = false;

  /// Product of the shape.
  int64_t numElements() const;
};

/// How byte-level BPE splits text before merging (the numbering of
/// llmc_pre_tokenizer_t in runtime/include/llmc/format.h).
enum class PreTokenizerKind : uint32_t {
  None = 0,   ///< the whole text is one chunk
  GPT2 = 1,   ///< GPT-2's regex
  Llama3 = 2, ///< Llama-3's regex (digits in groups of up to three)
  Qwen2 = 3,  ///< Qwen2's regex (single digits)
};

/// A tokenizer vocabulary: SentencePiece-style BPE (llama; merges by piece
/// score) or byte-level BPE (GPT-2, Llama-3, Qwen2; merges by rank).
struct TokenizerData {
  /// Token pieces, indexed by token id.
  std::vector<std::string> pieces;
  /// Merge scores, one per piece (higher merges first).
  std::vector<float> scores;
  /// Token types, one per piece: 1 normal, 2 unknown, 3 control,
  /// 4 user-defined, 5 unused, 6 byte (GGUF/SentencePiece numbering).
  std::vector<uint32_t> types;
  int32_t bosId = -1, eosId = -1;
  /// Whether encoding prepends a space to the text (SentencePiece
  /// add_dummy_prefix; GGUF tokenizer.ggml.add_space_prefix).
  bool addDummyPrefix = true;
  /// Length in bytes of the longest piece.
  unsigned maxTokenLength = 0;
  /// Byte-level BPE: pieces hold the raw bytes a token stands for (GPT-2's
  /// printable byte alphabet already decoded), encoding splits the text with
  /// preTokenizer and applies `merges`; scores are unused.
  bool byteLevel = false;
  PreTokenizerKind preTokenizer = PreTokenizerKind::None;
  /// Byte-level BPE: the merges as (left, right) token ids, lowest rank
  /// (merged first) first; the concatenation of the two pieces is a piece.
  std::vector<std::pair<int32_t, int32_t>> merges;
};

/// Token type numbers of TokenizerData::types.
enum TokenType : uint32_t {
  TokenNormal = 1,
  TokenUnknown = 2,
  TokenControl = 3,
  TokenUserDefined = 4,
  TokenUnused = 5,
  TokenByte = 6,
};

/// Normalization layers of the decoder.
enum class NormKind {
  RMS,   ///< x / rms(x) * weight
  Layer, ///< (x - mean) / std(x) * weight + bias (bias tensor optional)
};

/// Activation of the feed-forward layer.
enum class ActivationKind {
  SiLU,     ///< x * sigmoid(x)
  GELUTanh, ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (gelu_new)
  GELUErf,  ///< 0.5 x (1 + erf(x / sqrt 2))
  ReLU,     ///< max(x, 0)
};

/// How rotary position embedding pairs the elements of a head.
enum class RopeKind {
  Adjacent, ///< (2i, 2i+1): llama GGUF, llama2.c
  Halves,   ///< (i, i + headDim/2): Hugging Face, qwen2 GGUF, most ONNX
  None,     ///< no rotary embedding (learned or no positions)
};

/// Hyper-parameters of a decoder-only transformer. The defaults describe a
/// Llama model; the other fields describe its relatives:
///  - Llama / Qwen2: RMS norms, gated SiLU feed-forward (ffn_gate, ffn_up,
///    ffn_down), RoPE; Qwen2 adds attn_q/k/v biases.
///  - GPT-2: LayerNorm with biases, learned positions (position_embd.weight
///    {maxSeqLen, dim} added to the token embedding), no RoPE, plain GELU
///    feed-forward (ffn_up, ffn_down, no ffn_gate), biases on every linear.
/// Optional tensors (biases) are recognised by name; see
/// validateModelSource for the full list.
struct ModelConfig {
  /// Descriptive name ("llama", "qwen2", "gpt2", or what an ONNX graph was
  /// recognised as); the fields below, not the name, define the layers.
  std::string architecture = "llama";
  int64_t dim = 0;        ///< Model (embedding) width.
  int64_t hiddenDim = 0;  ///< Width of the SwiGLU feed-forward layer.
  int64_t numLayers = 0;  ///< Number of decoder blocks.
  int64_t numHeads = 0;   ///< Query heads.
  int64_t numKVHeads = 0; ///< Key/value heads (grouped-query attention).
  int64_t vocabSize = 0;
  int64_t maxSeqLen = 0; ///< Context length the model was trained for.
  float rmsNormEps = 1e-5f, ropeTheta = 10000.0f;
  /// The classifier shares the token_embd.weight matrix (no output.weight).
  bool tiedClassifier = false;
  NormKind norm = NormKind::RMS; ///< rmsNormEps is the epsilon of either kind
  /// The feed-forward layer is act(ffn_gate x) * (ffn_up x); else act(ffn_up
  /// x) and there is no ffn_gate tensor.
  bool gatedMLP = true;
  ActivationKind activation = ActivationKind::SiLU;
  RopeKind rope = RopeKind::Adjacent;
  /// position_embd.weight {maxSeqLen, dim} is added to the token embedding.
  bool learnedPositions = false;
  /// Scale of the attention scores; 0 means 1 / sqrt(headDim).
  float attentionScale = 0.0f;
  /// Sliding-window attention: a query at position p attends to positions
  /// p - slidingWindow + 1 ..= p; 0 means the whole causal prefix.
  int64_t slidingWindow = 0;

  int64_t headDim() const { return numHeads ? dim / numHeads : 0; }
  int64_t kvDim() const { return headDim() * numKVHeads; }
};

/// The file format a ModelSource was read from.
enum class SourceFormat { GGUF, Llama2c, ONNX, SafeTensors };

/// Everything the importer needs to know about a model file.
struct ModelSource {
  std::string path;
  SourceFormat sourceFormat = SourceFormat::GGUF;
  ModelConfig config;
  /// All weight tensors, in file order.
  std::vector<TensorRef> tensors;
  TokenizerData tokenizer;
  bool hasTokenizer = false;

  /// The tensor called \p name, or null.
  const TensorRef *find(llvm::StringRef name) const;
};

/// Reads a GGUF file (version 2 or 3, little-endian) of architecture
/// "llama", "qwen2" or "gpt2" whose tensors are F32, F16, Q8_0 or Q4_0.
/// \p path is used in messages. Validates the metadata, every tensor's
/// placement and size, and that the tensors are exactly those of the
/// configured model; a fused blk.N.attn_qkv (gpt2) is split into
/// attn_q/k/v. A "gpt2" BPE vocabulary is skipped (no tokenizer).
llvm::Expected<ModelSource> readGGUF(llvm::StringRef path,
                                     llvm::MemoryBufferRef buffer);

/// Reads a llama2.c legacy (version 0) checkpoint: a header of 7 int32 then
/// f32 weights. If \p tokenizer is non-null it is parsed with
/// readLlama2cTokenizer (its buffer identifier is used as its path).
llvm::Expected<ModelSource> readLlama2c(llvm::StringRef path,
                                        llvm::MemoryBufferRef buffer,
                                        const llvm::MemoryBuffer *tokenizer);

/// Reads a llama2.c tokenizer file (int32 max_token_length, then per token:
/// f32 score, int32 length, bytes) that must hold exactly \p vocabSize
/// tokens.
llvm::Expected<TokenizerData> readLlama2cTokenizer(llvm::StringRef path,
                                                   llvm::MemoryBufferRef buffer,
                                                   int64_t vocabSize);

/// One tensor entry of a safetensors header.
struct SafeTensorInfo {
  std::string name;
  /// The safetensors dtype name ("F32", "F16", "BF16", "I8", ...).
  std::string dtype;
  /// Shape, outermost first (as the file lists it).
  std::vector<int64_t> shape;
  /// Absolute byte offset of the data in the file, and its size.
  uint64_t offset = 0, size = 0;
};

/// Bytes per element of the safetensors dtype \p dtype, 0 if unknown.
uint64_t safeTensorsDTypeBytes(llvm::StringRef dtype);

/// Parses the header of a safetensors file (uint64 header length, JSON
/// header, data) and checks every entry: a known dtype, a shape, and
/// data_offsets that lie within the file, match dtype x shape and do not
/// overlap. Entries are returned in data order. \p path is used in messages.
llvm::Expected<std::vector<SafeTensorInfo>>
readSafeTensors(llvm::StringRef path, llvm::MemoryBufferRef buffer);

/// Reads a Hugging Face checkpoint directory: config.json (model_type
/// "llama", "qwen2" or "gpt2"), model.safetensors or the shards listed by
/// model.safetensors.index.json (tensors F32, F16 or BF16, the last
/// converted to F32), and tokenizer.json (see readHFTokenizer). Tensors are
/// renamed to the canonical names; F32/F16 data is referenced in place
/// through TensorRef::file, converted tensors (BF16, GPT-2's transposed
/// Conv1D weights and its fused c_attn split into Q/K/V) own their bytes.
/// Llama and Qwen2 checkpoints rotate halves (RopeKind::Halves).
llvm::Expected<ModelSource> readHuggingFace(llvm::StringRef dir);

/// Reads a Hugging Face tokenizer.json whose model is BPE, in either form:
/// the SentencePiece form Llama-2 conversions write (metaspace "▁" spelling,
/// byte fallback; pieces keep their spelling, the merge ranks become piece
/// scores, the first merge producing a piece giving it the highest score) or
/// byte-level BPE (GPT-2, Llama-3, Qwen2; TokenizerData::byteLevel with raw
/// byte pieces, rank-ordered merges and the pre-tokenizer recognised from its
/// regex). Added special tokens become control tokens. The vocabulary is
/// padded with unused pieces up to \p vocabSize (a config's vocab_size may
/// exceed the tokenizer's). \p bosId and \p eosId come from config.json.
llvm::Expected<TokenizerData> readHFTokenizer(llvm::StringRef path,
                                              llvm::StringRef json,
                                              int64_t vocabSize, int32_t bosId,
                                              int32_t eosId);

/// Opens \p path and reads it as a Hugging Face checkpoint if it is a
/// directory (readHuggingFace; \p outBuffer stays empty since every tensor
/// names its shard file or owns its bytes), as GGUF if it starts with "GGUF"
/// or ends in ".gguf", else as a llama2.c checkpoint. For a llama2.c checkpoint
/// the tokenizer is \p tokenizerPath if non-empty, else "tok<vocab>.bin" or
/// "tokenizer.bin" next to the model if one exists (otherwise the result has
/// no tokenizer); a GGUF file carries its own, so a \p tokenizerPath is an
/// error there. On success \p outBuffer holds the (memory-mapped) model
/// file, which the TensorRef offsets point into.
llvm::Expected<ModelSource>
readModelFile(llvm::StringRef path, llvm::StringRef tokenizerPath,
              std::unique_ptr<llvm::MemoryBuffer> &outBuffer);

/// Checks that \p config is a decoder configuration llmc can compile: every
/// size positive and within sane bounds, dim divisible by n_heads, n_heads by
/// n_kv_heads, an even head dimension when RoPE is used, finite epsilon and
/// RoPE theta, a finite non-negative attention scale.
/// Messages start with \p path and use llama2.c's field names.
llvm::Error validateModelConfig(llvm::StringRef path,
                                const ModelConfig &config);

/// Checks that \p source.config is a consistent configuration and that
/// \p source.tensors are exactly the tensors it implies, each with the
/// expected shape and a size matching its format. Required: token_embd,
/// per block attn_norm, attn_q/k/v/output, ffn_norm, ffn_up, ffn_down (and
/// ffn_gate iff gatedMLP), output_norm, position_embd iff learnedPositions.
/// Optional: output.weight (else the classifier is tied), the ".bias" of
/// every norm (LayerNorm only) and of attn_q/k/v/output and
/// ffn_gate/up/down (shape {out}), output.bias. Sets config.tiedClassifier
/// from the presence of output.weight. Every reader calls this; it is
/// exposed for tools that build a ModelSource themselves.
llvm::Error validateModelSource(ModelSource &source);

} // namespace llmc

#endif // LLMC_IMPORT_MODELSOURCE_H
