//===- Llama2cReader.cpp - Reader for llama2.c checkpoints ----------------===//
//
// Parses the llama2.c "legacy" (version 0) checkpoint and tokenizer formats.
// All values little-endian.
//
// Checkpoint:
//   int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//         (vocab_size < 0: the classifier is NOT shared with the embedding)
//   f32 token_embedding [vocab, dim]
//   f32 rms_att         [L, dim]
//   f32 wq              [L, dim, dim]
//   f32 wk, wv          [L, kv_dim, dim] each
//   f32 wo              [L, dim, dim]
//   f32 rms_ffn         [L, dim]
//   f32 w1              [L, hidden, dim]
//   f32 w2              [L, dim, hidden]
//   f32 w3              [L, hidden, dim]
//   f32 rms_final       [dim]
//   f32 freq_cis_real, freq_cis_imag [seq_len, head_size / 2]  (unused)
//   f32 wcls            [vocab, dim]   only if not shared
// with kv_dim = dim / n_heads * n_kv_heads. The file must end right there.
//
// Tokenizer:
//   int32 max_token_length
//   per token: f32 score, int32 length, `length` bytes (no terminator)
// Ids 0, 1, 2 are <unk>, <s>, </s>; llama2.c's exporter writes <s> and </s>
// as "\n<s>\n" and "\n</s>\n" and replaces SentencePiece's U+2581 by a
// space. This reader undoes both so that pieces match GGUF's.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"

#include <algorithm>
#include <optional>

using namespace llvm;
using llmc::detail::ByteCursor;
using llmc::detail::makeError;

namespace llmc {
namespace {

constexpr uint64_t kHeaderBytes = 7 * 4;
/// Magic of llama2.c's newer export formats (version 1 and 2): "ak42".
constexpr uint32_t kExportMagic = 0x616b3432;
constexpr int32_t kMaxTokenLengthLimit = 1 << 16;

/// One f32 array of the checkpoint; null name for the skipped RoPE tables.
struct WeightArray {
  const char *name;
  std::vector<int64_t> shape; ///< Shape of one layer's slice.
  bool perLayer;
};

std::string headerString(ArrayRef<int32_t> h) {
  return "dim " + std::to_string(h[0]) + ", hidden_dim " +
         std::to_string(h[1]) + ", n_layers " + std::to_string(h[2]) +
         ", n_heads " + std::to_string(h[3]) + ", n_kv_heads " +
         std::to_string(h[4]) + ", vocab_size " + std::to_string(h[5]) +
         ", seq_len " + std::to_string(h[6]);
}

bool isBytePiece(StringRef piece) {
  return piece.size() == 6 && piece.starts_with("<0x") &&
         piece.ends_with(">") && isHexDigit(piece[3]) && isHexDigit(piece[4]);
}

std::string toSentencePieceSpelling(StringRef piece) {
  std::string out;
  out.reserve(piece.size());
  for (char ch : piece) {
    if (ch == ' ')
      out += "\xE2\x96\x81"; // U+2581 LOWER ONE EIGHTH BLOCK
    else
      out += ch;
  }
  return out;
}

} // namespace

Expected<TokenizerData> readLlama2cTokenizer(StringRef path,
                                             MemoryBufferRef buffer,
                                             int64_t vocabSize) {
  StringRef data = buffer.getBuffer();
  ByteCursor cur(path, data);
  int32_t maxLength;
  if (Error err = cur.read(maxLength, "max_token_length"))
    return std::move(err);
  if (maxLength < 1 || maxLength > kMaxTokenLengthLimit)
    return cur.errorAt(0, "max_token_length " + Twine(maxLength) +
                              " is outside [1, " + Twine(kMaxTokenLengthLimit) +
                              "]");
  if (vocabSize < 1 || uint64_t(vocabSize) > cur.remaining() / 8)
    return makeError(path, "file of " + Twine(data.size()) +
                               " bytes cannot hold the model's " +
                               Twine(vocabSize) +
                               " tokens (8 bytes or more each)");

  TokenizerData tok;
  tok.pieces.reserve(vocabSize);
  tok.scores.reserve(vocabSize);
  tok.types.reserve(vocabSize);
  for (int64_t id = 0; id < vocabSize; ++id) {
    uint64_t start = cur.offset();
    float score;
    int32_t length;
    StringRef bytes;
    if (Error err = cur.read(score, "score of token " + Twine(id)))
      return std::move(err);
    if (Error err = cur.read(length, "length of token " + Twine(id)))
      return std::move(err);
    if (length < 0 || length > maxLength)
      return cur.errorAt(start, "token " + Twine(id) + " has length " +
                                    Twine(length) + ", outside [0, " +
                                    Twine(maxLength) + "] (max_token_length)");
    if (Error err = cur.readBytes(length, bytes, "token " + Twine(id)))
      return std::move(err);

    /// Undo the exporter's rewriting, then classify.
    uint32_t type = TokenNormal;
    if (id == 0) {
      type = TokenUnknown;
    } else if (id == 1 || id == 2) {
      type = TokenControl;
      bytes = bytes.trim('\n');
    } else if (isBytePiece(bytes)) {
      type = TokenByte;
    }
    std::string piece = toSentencePieceSpelling(bytes);
    tok.maxTokenLength =
        std::max(tok.maxTokenLength, static_cast<unsigned>(piece.size()));
    tok.pieces.push_back(std::move(piece));
    tok.scores.push_back(score);
    tok.types.push_back(type);
  }
  if (cur.remaining() != 0)
    return cur.errorAt(cur.offset(),
                       Twine(cur.remaining()) + " trailing bytes after the " +
                           Twine(vocabSize) +
                           " tokens of the model's vocabulary (tokenizer "
                           "for another model?)");
  tok.bosId = vocabSize > 1 ? 1 : -1;
  tok.eosId = vocabSize > 2 ? 2 : -1;
  tok.addDummyPrefix = true;
  return std::move(tok);
}

Expected<ModelSource> readLlama2c(StringRef path, MemoryBufferRef buffer,
                                  const MemoryBuffer *tokenizer) {
  StringRef data = buffer.getBuffer();
  ByteCursor cur(path, data);

  /// Recognize the formats this is not, for a clearer message.
  if (data.starts_with("GGUF"))
    return makeError(path, "file is GGUF, not a llama2.c checkpoint");
  if (data.size() >= 8 &&
      support::endian::read32le(data.data()) == kExportMagic) {
    int32_t version =
        static_cast<int32_t>(support::endian::read32le(data.data() + 4));
    return makeError(path, "llama2.c export version " + Twine(version) +
                               " (magic 'ak42') is not supported; only the "
                               "legacy version-0 checkpoint is");
  }

  /// Header.
  int32_t h[7];
  for (int i = 0; i < 7; ++i)
    if (Error err = cur.read(h[i], "the llama2.c header (7 int32)"))
      return std::move(err);
  ModelSource source;
  source.path = path.str();
  source.sourceFormat = SourceFormat::Llama2c;
  ModelConfig &c = source.config;
  c.dim = h[0];
  c.hiddenDim = h[1];
  c.numLayers = h[2];
  c.numHeads = h[3];
  c.numKVHeads = h[4];
  c.vocabSize = h[5] < 0 ? -int64_t(h[5]) : int64_t(h[5]);
  c.maxSeqLen = h[6];
  c.tiedClassifier = h[5] > 0;
  if (Error err = validateModelConfig(path, c))
    return std::move(err);

  /// The arrays in file order; sizes are bounded by the config checks but
  /// their sum is still computed with overflow checks.
  int64_t kvDim = c.kvDim(), L = c.numLayers;
  std::vector<WeightArray> arrays = {
      {"token_embd.weight", {c.vocabSize, c.dim}, false},
      {"attn_norm.weight", {c.dim}, true},
      {"attn_q.weight", {c.dim, c.dim}, true},
      {"attn_k.weight", {kvDim, c.dim}, true},
      {"attn_v.weight", {kvDim, c.dim}, true},
      {"attn_output.weight", {c.dim, c.dim}, true},
      {"ffn_norm.weight", {c.dim}, true},
      {"ffn_gate.weight", {c.hiddenDim, c.dim}, true},
      {"ffn_down.weight", {c.dim, c.hiddenDim}, true},
      {"ffn_up.weight", {c.hiddenDim, c.dim}, true},
      {"output_norm.weight", {c.dim}, false},
      {nullptr, {c.maxSeqLen, c.headDim() / 2}, false},
      {nullptr, {c.maxSeqLen, c.headDim() / 2}, false}};
  if (!c.tiedClassifier)
    arrays.push_back({"output.weight", {c.vocabSize, c.dim}, false});

  uint64_t offset = kHeaderBytes;
  bool overflow = false;
  auto mul = [&](uint64_t a, uint64_t b) {
    std::optional<uint64_t> r = checkedMulUnsigned(a, b);
    overflow |= !r;
    return r.value_or(0);
  };
  for (const WeightArray &array : arrays) {
    uint64_t sliceBytes = 4;
    for (int64_t d : array.shape)
      sliceBytes = mul(sliceBytes, d);
    int64_t copies = array.perLayer ? L : 1;
    for (int64_t l = 0; l < copies && array.name; ++l) {
      TensorRef t;
      t.name = array.perLayer ? "blk." + std::to_string(l) + "." + array.name
                              : std::string(array.name);
      t.shape = array.shape;
      t.format = TensorFormat::F32;
      t.offset = offset + mul(l, sliceBytes);
      t.size = sliceBytes;
      source.tensors.push_back(std::move(t));
    }
    std::optional<uint64_t> next =
        checkedAddUnsigned(offset, mul(copies, sliceBytes));
    overflow |= !next;
    offset = next.value_or(0);
  }
  if (overflow)
    return makeError(path, "header (" + headerString(h) +
                               ") implies a file larger than 2^64 bytes");

  /// The file must hold exactly those arrays.
  if (data.size() != offset) {
    std::string problem = data.size() < offset
                              ? std::string("the file is truncated")
                              : "there are " +
                                    std::to_string(data.size() - offset) +
                                    " unexpected trailing bytes";
    return makeError(path, "file has " + Twine(data.size()) +
                               " bytes but its header (" + headerString(h) +
                               ") implies " + Twine(offset) + " bytes; " +
                               problem);
  }

  if (tokenizer) {
    Expected<TokenizerData> tok =
        readLlama2cTokenizer(tokenizer->getBufferIdentifier(),
                             tokenizer->getMemBufferRef(), c.vocabSize);
    if (!tok)
      return tok.takeError();
    source.tokenizer = std::move(*tok);
    source.hasTokenizer = true;
  }
  if (Error err = validateModelSource(source))
    return std::move(err);
  return std::move(source);
}

} // namespace llmc
