//===- ModelSource.cpp - Tensor formats and model validation --------------===//
//
// The format-independent part of the readers: storage sizes of the tensor
// formats, and the check that a ModelSource describes a well-formed llama
// model (consistent config, exactly the expected tensors with the expected
// shapes, a tokenizer matching the vocabulary).
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cmath>

using namespace llvm;

namespace llmc {

//===----------------------------------------------------------------------===//
// Tensor formats
//===----------------------------------------------------------------------===//

int64_t formatBlockElements(TensorFormat format) {
  switch (format) {
  case TensorFormat::F32:
  case TensorFormat::F16:
    return 1;
  case TensorFormat::Q8_0:
  case TensorFormat::Q4_0:
    return 32;
  case TensorFormat::Int8:
  case TensorFormat::Int4:
    break;
  }
  llvm_unreachable("group-wise formats have no fixed block");
}

uint64_t formatBlockBytes(TensorFormat format) {
  switch (format) {
  case TensorFormat::F32:
    return 4;
  case TensorFormat::F16:
    return 2;
  case TensorFormat::Q8_0:
    return 2 + 32;
  case TensorFormat::Q4_0:
    return 2 + 16;
  case TensorFormat::Int8:
  case TensorFormat::Int4:
    break;
  }
  llvm_unreachable("group-wise formats have no fixed block");
}

StringRef formatName(TensorFormat format) {
  switch (format) {
  case TensorFormat::F32:
    return "f32";
  case TensorFormat::F16:
    return "f16";
  case TensorFormat::Q8_0:
    return "q8_0";
  case TensorFormat::Q4_0:
    return "q4_0";
  case TensorFormat::Int8:
    return "int8";
  case TensorFormat::Int4:
    return "int4";
  }
  llvm_unreachable("unknown tensor format");
}

uint64_t formatBytes(TensorFormat format, int64_t numElements) {
  assert(numElements >= 0 && "negative element count");
  int64_t block = formatBlockElements(format);
  assert(numElements % block == 0 && "partial block");
  return static_cast<uint64_t>(numElements / block) * formatBlockBytes(format);
}

int64_t TensorRef::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const TensorRef *ModelSource::find(StringRef name) const {
  for (const TensorRef &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

namespace {
/// Upper bounds on the hyper-parameters: far above any model llmc targets,
/// low enough that products of a few of them cannot overflow int64.
constexpr int64_t kMaxWidth = int64_t(1) << 24; // dim, hidden, vocab, seq
constexpr int64_t kMaxLayers = 4096;

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  raw_string_ostream os(s);
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << ']';
  return s;
}

std::string configString(const ModelConfig &c) {
  std::string s;
  raw_string_ostream os(s);
  os << "dim " << c.dim << ", hidden " << c.hiddenDim << ", heads "
     << c.numHeads << ", kv heads " << c.numKVHeads << ", vocab "
     << c.vocabSize;
  return s;
}

Error checkRange(StringRef path, StringRef what, int64_t value, int64_t max) {
  if (value >= 1 && value <= max)
    return Error::success();
  return detail::makeError(path, Twine(what) + " is " + Twine(value) +
                                     ", expected a value in [1, " + Twine(max) +
                                     "]");
}
} // namespace

Error validateModelConfig(StringRef path, const ModelConfig &c) {
  // The architecture name is descriptive (the readers check the names their
  // format knows); the variant fields of the config define the layers.
  if (c.architecture.empty())
    return detail::makeError(path, "the model has no architecture name");
  struct Field {
    StringRef name;
    int64_t value, max;
  } fields[] = {{"dim", c.dim, kMaxWidth},
                {"hidden_dim", c.hiddenDim, kMaxWidth},
                {"n_layers", c.numLayers, kMaxLayers},
                {"n_heads", c.numHeads, kMaxWidth},
                {"n_kv_heads", c.numKVHeads, kMaxWidth},
                {"vocab_size", c.vocabSize, kMaxWidth},
                {"seq_len", c.maxSeqLen, kMaxWidth}};
  for (const Field &f : fields)
    if (Error err = checkRange(path, f.name, f.value, f.max))
      return err;
  if (c.dim % c.numHeads != 0)
    return detail::makeError(path, "dim " + Twine(c.dim) +
                                       " is not a multiple of n_heads " +
                                       Twine(c.numHeads));
  if (c.numHeads % c.numKVHeads != 0)
    return detail::makeError(path, "n_heads " + Twine(c.numHeads) +
                                       " is not a multiple of n_kv_heads " +
                                       Twine(c.numKVHeads));
  if (c.rope != RopeKind::None && c.headDim() % 2 != 0)
    return detail::makeError(path, "head dimension " + Twine(c.headDim()) +
                                       " (dim / n_heads) is odd; RoPE needs "
                                       "pairs");
  if (!std::isfinite(c.rmsNormEps) || c.rmsNormEps < 0)
    return detail::makeError(path, "RMSNorm epsilon " +
                                       std::to_string(c.rmsNormEps) +
                                       " is not a finite non-negative number");
  if (!std::isfinite(c.ropeTheta) || c.ropeTheta <= 0)
    return detail::makeError(path, "RoPE theta " + std::to_string(c.ropeTheta) +
                                       " is not a finite positive number");
  if (!std::isfinite(c.attentionScale) || c.attentionScale < 0)
    return detail::makeError(path, "attention scale " +
                                       std::to_string(c.attentionScale) +
                                       " is not a finite non-negative number");
  return Error::success();
}

static Error validateTokenizer(StringRef path, const ModelConfig &c,
                               const TokenizerData &tok) {
  int64_t n = static_cast<int64_t>(tok.pieces.size());
  if (n != c.vocabSize)
    return detail::makeError(path, "tokenizer has " + Twine(n) +
                                       " tokens but the model's vocabulary "
                                       "size is " +
                                       Twine(c.vocabSize));
  if (tok.scores.size() != tok.pieces.size() ||
      tok.types.size() != tok.pieces.size())
    return detail::makeError(path, "tokenizer has " + Twine(n) + " pieces, " +
                                       Twine(tok.scores.size()) +
                                       " scores and " +
                                       Twine(tok.types.size()) + " types");
  for (auto [what, id] :
       {std::pair<StringRef, int32_t>{"BOS", tok.bosId}, {"EOS", tok.eosId}})
    if (id < -1 || id >= n)
      return detail::makeError(path, Twine(what) + " token id " + Twine(id) +
                                         " is outside the vocabulary of " +
                                         Twine(n) + " tokens");
  return Error::success();
}

Error validateModelSource(ModelSource &source) {
  StringRef path = source.path;
  ModelConfig &c = source.config;
  if (Error err = validateModelConfig(path, c))
    return err;
  if (source.hasTokenizer)
    if (Error err = validateTokenizer(path, c, source.tokenizer))
      return err;

  /// Every tensor the configuration implies, with its shape, in canonical
  /// order (so that a missing tensor is reported deterministically), and
  /// the optional ones (biases, the untied classifier).
  int64_t kvDim = c.kvDim();
  std::vector<std::pair<std::string, std::vector<int64_t>>> expectedList;
  StringMap<std::vector<int64_t>> optional;
  auto norm = [&](const std::string &name) {
    expectedList.push_back({name + ".weight", {c.dim}});
    if (c.norm == NormKind::Layer)
      optional[name + ".bias"] = {c.dim};
  };
  auto linear = [&](const std::string &name, int64_t out, int64_t in) {
    expectedList.push_back({name + ".weight", {out, in}});
    optional[name + ".bias"] = {out};
  };
  expectedList.push_back({"token_embd.weight", {c.vocabSize, c.dim}});
  if (c.learnedPositions)
    expectedList.push_back({"position_embd.weight", {c.maxSeqLen, c.dim}});
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string prefix = "blk." + std::to_string(l) + ".";
    norm(prefix + "attn_norm");
    linear(prefix + "attn_q", c.dim, c.dim);
    linear(prefix + "attn_k", kvDim, c.dim);
    linear(prefix + "attn_v", kvDim, c.dim);
    linear(prefix + "attn_output", c.dim, c.dim);
    norm(prefix + "ffn_norm");
    if (c.gatedMLP)
      linear(prefix + "ffn_gate", c.hiddenDim, c.dim);
    linear(prefix + "ffn_down", c.dim, c.hiddenDim);
    linear(prefix + "ffn_up", c.hiddenDim, c.dim);
  }
  norm("output_norm");
  optional["output.weight"] = {c.vocabSize, c.dim};
  optional["output.bias"] = {c.vocabSize};
  StringMap<size_t> expected;
  for (size_t i = 0; i < expectedList.size(); ++i)
    expected[expectedList[i].first] = i;
  const char *outputName = "output.weight";

  /// Each present tensor must be expected (or the optional classifier), seen
  /// once, with the expected shape and a size that matches its format.
  StringMap<bool> seen;
  for (const TensorRef &t : source.tensors) {
    if (!seen.try_emplace(t.name, true).second)
      return detail::makeError(path, "duplicate tensor '" + t.name + "'");
    std::vector<int64_t> want;
    auto it = expected.find(t.name);
    if (it != expected.end())
      want = expectedList[it->second].second;
    else if (auto opt = optional.find(t.name); opt != optional.end())
      want = opt->second;
    else
      return detail::makeError(path, "unexpected tensor '" + t.name +
                                         "' (not part of a " + c.architecture +
                                         " model with " + Twine(c.numLayers) +
                                         " layers)");
    if (t.shape != want)
      return detail::makeError(path, "tensor '" + t.name + "' has shape " +
                                         shapeString(t.shape) + ", expected " +
                                         shapeString(want) + " (" +
                                         configString(c) + ")");
    int64_t rowLength = t.shape.back();
    if (t.format == TensorFormat::Int8 || t.format == TensorFormat::Int4) {
      // The group-wise layouts are sized by the importer's format code.
      if (t.group <= 0 || rowLength % t.group != 0)
        return detail::makeError(
            path, "tensor '" + t.name + "' of format " + formatName(t.format) +
                      " has rows of " + Twine(rowLength) +
                      " elements, not a multiple of its group size " +
                      Twine(t.group));
      if (t.data && t.data->size() != t.size)
        return detail::makeError(
            path, "tensor '" + t.name + "' holds " + Twine(t.data->size()) +
                      " bytes but claims " + Twine(t.size));
      continue;
    }
    if (rowLength % formatBlockElements(t.format) != 0)
      return detail::makeError(
          path, "tensor '" + t.name + "' of format " + formatName(t.format) +
                    " has rows of " + Twine(rowLength) +
                    " elements, not a multiple of the block size " +
                    Twine(formatBlockElements(t.format)));
    uint64_t size = formatBytes(t.format, t.numElements());
    if (t.data && t.data->size() != t.size)
      return detail::makeError(path, "tensor '" + t.name + "' holds " +
                                         Twine(t.data->size()) +
                                         " bytes but claims " + Twine(t.size));
    if (t.size != size)
      return detail::makeError(
          path, "tensor '" + t.name + "' has " + Twine(t.size) +
                    " bytes, expected " + Twine(size) + " for " +
                    shapeString(t.shape) + " " + formatName(t.format));
  }
  for (const auto &[name, shape] : expectedList)
    if (!seen.count(name))
      return detail::makeError(path, "missing tensor '" + name +
                                         "' (expected shape " +
                                         shapeString(shape) + ")");
  c.tiedClassifier = !seen.count(outputName);
  return Error::success();
}

} // namespace llmc
