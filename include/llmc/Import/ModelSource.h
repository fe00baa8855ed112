//===- ModelSource.h - Neutral description of a model file ------*- C++ -*-===//
//
// The model-file readers of llmc: they parse a GGUF file or a llama2.c
// checkpoint into a ModelSource, a format-neutral description of a
// Llama-architecture model, without copying weight bytes. The importer turns a
// ModelSource into MLIR; the readers themselves depend only on LLVM Support.
//
// Conventions shared by every reader:
//  - Tensor names are the canonical GGUF names of the llama architecture
//    ("token_embd.weight", "blk.N.attn_q.weight", ...), whatever the file
//    calls them.
//  - Shapes are logical and outermost first: a matrix is {out, in}, stored
//    row-major (each of the `out` rows holds `in` contiguous elements). GGUF
//    lists dimensions innermost first, so its ne[] is reversed here.
//  - Q and K projections use the interleaved-pair RoPE convention of llama2.c
//    and ggml's "normal" rope mode (rotate elements 2i and 2i+1 together);
//    both file formats store them that way.
//  - Tensor data is referenced by absolute byte offset into the model file;
//    the caller keeps the file's buffer alive (see readModelFile).
//  - Tokenizer pieces use the SentencePiece/GGUF spelling: a word-initial
//    space is U+2581 ("▁"), control tokens are "<s>", "</s>", bytes are
//    "<0xXX>". The llama2.c tokenizer reader converts to this spelling.
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
#include <vector>

namespace llmc {

/// Storage format of a tensor as it is in the file. The block formats are
/// those of ggml, each block covering 32 consecutive elements of a row:
///  - Q8_0: 34 bytes = fp16 scale d, then 32 int8 q; w = d * q.
///  - Q4_0: 18 bytes = fp16 scale d, then 16 bytes; byte j holds element j in
///    its low nibble and element j + 16 in its high nibble; w = d * (q - 8).
enum class TensorFormat { F32, F16, Q8_0, Q4_0 };

/// Number of elements covered by one block of a block format (1 for F32/F16).
int64_t formatBlockElements(TensorFormat format);

/// Bytes of one block of \p format (4 for F32, 2 for F16).
uint64_t formatBlockBytes(TensorFormat format);

/// Lower-case name of \p format as used by ggml ("f32", "f16", "q8_0",
/// "q4_0").
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

  /// Product of the shape.
  int64_t numElements() const;
};

/// A SentencePiece-style (llama) tokenizer vocabulary.
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

/// Hyper-parameters of a Llama-architecture decoder.
struct ModelConfig {
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

  int64_t headDim() const { return numHeads ? dim / numHeads : 0; }
  int64_t kvDim() const { return headDim() * numKVHeads; }
};

/// The file format a ModelSource was read from.
enum class SourceFormat { GGUF, Llama2c };

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

/// Reads a GGUF file (version 2 or 3, little-endian) of architecture "llama"
/// whose tensors are F32, F16, Q8_0 or Q4_0. \p path is used in messages.
/// Validates the metadata, every tensor's placement and size, and that the
/// tensors are exactly those of the configured llama model.
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

/// Opens \p path and reads it as GGUF if it starts with "GGUF" or ends in
/// ".gguf", else as a llama2.c checkpoint. For a llama2.c checkpoint the
/// tokenizer is \p tokenizerPath if non-empty, else "tok<vocab>.bin" or
/// "tokenizer.bin" next to the model if one exists (otherwise the result has
/// no tokenizer); a GGUF file carries its own, so a \p tokenizerPath is an
/// error there. On success \p outBuffer holds the (memory-mapped) model
/// file, which the TensorRef offsets point into.
llvm::Expected<ModelSource>
readModelFile(llvm::StringRef path, llvm::StringRef tokenizerPath,
              std::unique_ptr<llvm::MemoryBuffer> &outBuffer);

/// Checks that \p config is a llama configuration llmc can compile: every
/// size positive and within sane bounds, dim divisible by n_heads, n_heads by
/// n_kv_heads, an even head dimension, finite epsilon and RoPE theta.
/// Messages start with \p path and use llama2.c's field names.
llvm::Error validateModelConfig(llvm::StringRef path,
                                const ModelConfig &config);

/// Checks that \p source.config is a consistent llama configuration and that
/// \p source.tensors are exactly the tensors it implies, each with the
/// expected shape and a size matching its format. Sets
/// config.tiedClassifier from the presence of output.weight. Both readers
/// call this; it is exposed for tools that build a ModelSource themselves.
llvm::Error validateModelSource(ModelSource &source);

} // namespace llmc

#endif // LLMC_IMPORT_MODELSOURCE_H
