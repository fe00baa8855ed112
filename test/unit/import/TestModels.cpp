//===- TestModels.cpp - In-memory model files for reader tests ------------===//

#include "TestModels.h"

#include <algorithm>
#include <cstring>

namespace llmc {
namespace test {

uint32_t ggmlType(TensorFormat format) {
  switch (format) {
  case TensorFormat::F32:
    return 0;
  case TensorFormat::F16:
    return 1;
  case TensorFormat::Q4_0:
    return 2;
  case TensorFormat::Q8_0:
    return 8;
  }
  return 0;
}

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i)
    s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

std::string ggufString(const std::string &s) { return le64(s.size()) + s; }

uint8_t patternByte(size_t tensorIndex, uint64_t i) {
  return static_cast<uint8_t>(tensorIndex * 31 + i * 7 + 1);
}

void GGUFTestWriter::setRaw(const std::string &key, uint32_t type,
                            const std::string &payload) {
  std::string value = le32(type) + payload;
  for (auto &kv : kvs)
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  kvs.emplace_back(key, value);
}

void GGUFTestWriter::setU32(const std::string &key, uint32_t v) {
  setRaw(key, GGUF_U32, le32(v));
}
void GGUFTestWriter::setI32(const std::string &key, int32_t v) {
  setRaw(key, GGUF_I32, le32(static_cast<uint32_t>(v)));
}
void GGUFTestWriter::setU64(const std::string &key, uint64_t v) {
  setRaw(key, GGUF_U64, le64(v));
}
void GGUFTestWriter::setF32(const std::string &key, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  setRaw(key, GGUF_F32, le32(bits));
}
void GGUFTestWriter::setBool(const std::string &key, bool v) {
  setRaw(key, GGUF_BOOL, std::string(1, v ? 1 : 0));
}
void GGUFTestWriter::setString(const std::string &key, const std::string &v) {
  setRaw(key, GGUF_STRING, ggufString(v));
}
void GGUFTestWriter::setStringArray(const std::string &key,
                                    const std::vector<std::string> &v) {
  std::string payload = le32(GGUF_STRING) + le64(v.size());
  for (const std::string &s : v)
    payload += ggufString(s);
  setRaw(key, GGUF_ARRAY, payload);
}
void GGUFTestWriter::setF32Array(const std::string &key,
                                 const std::vector<float> &v) {
  std::string payload = le32(GGUF_F32) + le64(v.size());
  for (float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    payload += le32(bits);
  }
  setRaw(key, GGUF_ARRAY, payload);
}
void GGUFTestWriter::setI32Array(const std::string &key,
                                 const std::vector<int32_t> &v) {
  std::string payload = le32(GGUF_I32) + le64(v.size());
  for (int32_t i : v)
    payload += le32(static_cast<uint32_t>(i));
  setRaw(key, GGUF_ARRAY, payload);
}
void GGUFTestWriter::remove(const std::string &key) {
  kvs.erase(std::remove_if(kvs.begin(), kvs.end(),
                           [&](const auto &kv) { return kv.first == key; }),
            kvs.end());
}
bool GGUFTestWriter::hasKey(const std::string &key) const {
  return std::any_of(kvs.begin(), kvs.end(),
                     [&](const auto &kv) { return kv.first == key; });
}

void GGUFTestWriter::addTensor(const std::string &name,
                               std::vector<int64_t> shape,
                               TensorFormat format) {
  Tensor t;
  t.name = name;
  t.ne.assign(shape.rbegin(), shape.rend());
  t.type = ggmlType(format);
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  t.dataBytes = formatBytes(format, n);
  tensors.push_back(std::move(t));
}

GGUFTestWriter::Tensor *GGUFTestWriter::tensor(const std::string &name) {
  for (Tensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

void GGUFTestWriter::removeTensor(const std::string &name) {
  tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                               [&](const Tensor &t) { return t.name == name; }),
                tensors.end());
}

std::vector<uint64_t> GGUFTestWriter::layout() const {
  std::vector<uint64_t> offsets;
  uint64_t next = 0;
  for (const Tensor &t : tensors) {
    uint64_t offset = t.offset ? *t.offset : next;
    offsets.push_back(offset);
    uint64_t end = offset + t.dataBytes;
    next = std::max(next, (end + alignment - 1) / alignment * alignment);
  }
  return offsets;
}

std::string GGUFTestWriter::build() const {
  std::string out = magic + le32(version);
  out += le64(tensorCountOverride ? *tensorCountOverride : tensors.size());
  out += le64(kvCountOverride ? *kvCountOverride : kvs.size());
  for (const auto &[key, value] : kvs)
    out += ggufString(key) + value;
  std::vector<uint64_t> offsets = layout();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &t = tensors[i];
    out += ggufString(t.name) + le32(t.ne.size());
    for (uint64_t n : t.ne)
      out += le64(n);
    out += le32(t.type) + le64(offsets[i]);
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  uint64_t dataStart = out.size();
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].writeData)
      continue;
    uint64_t begin = dataStart + offsets[i];
    if (out.size() < begin + tensors[i].dataBytes)
      out.resize(begin + tensors[i].dataBytes, '\0');
    for (uint64_t j = 0; j < tensors[i].dataBytes; ++j)
      out[begin + j] = static_cast<char>(patternByte(i, j));
  }
  return out;
}

std::vector<std::string> tinyVocab(int64_t size) {
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};
  const char hex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256 && static_cast<int64_t>(pieces.size()) < size; ++b)
    pieces.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
  for (int i = 0; static_cast<int64_t>(pieces.size()) < size; ++i)
    pieces.push_back("\xE2\x96\x81w" + std::to_string(i));
  pieces.resize(size);
  return pieces;
}

GGUFTestWriter GGUFTestWriter::llama(const ModelConfig &c,
                                     TensorFormat matrices, bool tied,
                                     bool tokenizer) {
  GGUFTestWriter w;
  w.setString("general.architecture", "llama");
  w.setString("general.name", "tiny");
  w.setU32("general.alignment", 32);
  w.setU32("llama.context_length", c.maxSeqLen);
  w.setU32("llama.embedding_length", c.dim);
  w.setU32("llama.feed_forward_length", c.hiddenDim);
  w.setU32("llama.block_count", c.numLayers);
  w.setU32("llama.attention.head_count", c.numHeads);
  w.setU32("llama.attention.head_count_kv", c.numKVHeads);
  w.setF32("llama.attention.layer_norm_rms_epsilon", c.rmsNormEps);
  w.setF32("llama.rope.freq_base", c.ropeTheta);
  w.setU32("llama.rope.dimension_count", c.dim / c.numHeads);
  if (tokenizer) {
    std::vector<std::string> pieces = tinyVocab(c.vocabSize);
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (size_t i = 0; i < pieces.size(); ++i) {
      scores.push_back(-static_cast<float>(i));
      types.push_back(i == 0 ? 2 : i < 3 ? 3 : pieces[i][0] == '<' ? 6 : 1);
    }
    w.setString("tokenizer.ggml.model", "llama");
    w.setStringArray("tokenizer.ggml.tokens", pieces);
    w.setF32Array("tokenizer.ggml.scores", scores);
    w.setI32Array("tokenizer.ggml.token_type", types);
    w.setU32("tokenizer.ggml.bos_token_id", 1);
    w.setU32("tokenizer.ggml.eos_token_id", 2);
  } else {
    w.setU32("llama.vocab_size", c.vocabSize);
  }

  int64_t kvDim = c.dim / c.numHeads * c.numKVHeads;
  w.addTensor("token_embd.weight", {c.vocabSize, c.dim}, matrices);
  w.addTensor("output_norm.weight", {c.dim}, TensorFormat::F32);
  if (!tied)
    w.addTensor("output.weight", {c.vocabSize, c.dim}, matrices);
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    w.addTensor(p + "attn_q.weight", {c.dim, c.dim}, matrices);
    w.addTensor(p + "attn_k.weight", {kvDim, c.dim}, matrices);
    w.addTensor(p + "attn_v.weight", {kvDim, c.dim}, matrices);
    w.addTensor(p + "attn_output.weight", {c.dim, c.dim}, matrices);
    w.addTensor(p + "attn_norm.weight", {c.dim}, TensorFormat::F32);
    w.addTensor(p + "ffn_gate.weight", {c.hiddenDim, c.dim}, matrices);
    w.addTensor(p + "ffn_down.weight", {c.dim, c.hiddenDim}, matrices);
    w.addTensor(p + "ffn_up.weight", {c.hiddenDim, c.dim}, matrices);
    w.addTensor(p + "ffn_norm.weight", {c.dim}, TensorFormat::F32);
  }
  return w;
}

ModelConfig tinyConfig() {
  ModelConfig c;
  c.dim = 64;
  c.hiddenDim = 96;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKVHeads = 2;
  c.vocabSize = 40;
  c.maxSeqLen = 128;
  return c;
}

std::string makeLlama2c(const int32_t header[7], int64_t extraBytes) {
  std::string out;
  for (int i = 0; i < 7; ++i)
    out += le32(static_cast<uint32_t>(header[i]));
  int64_t dim = header[0], hidden = header[1], layers = header[2],
          heads = header[3], kvHeads = header[4], vocab = header[5],
          seq = header[6];
  bool shared = vocab > 0;
  vocab = vocab < 0 ? -vocab : vocab;
  /// The body for a valid header; none for an invalid or huge one.
  double floats = 0;
  if (dim > 0 && hidden > 0 && layers > 0 && heads > 0 && kvHeads > 0 &&
      vocab > 0 && seq > 0) {
    double headDim = double(dim / heads), kvDim = headDim * kvHeads;
    floats = double(vocab) * dim +
             double(layers) * (2.0 * dim + 2.0 * dim * dim + 2.0 * kvDim * dim +
                               3.0 * hidden * dim) +
             dim + double(seq) * headDim + (shared ? 0.0 : double(vocab) * dim);
    if (floats > 1e8)
      floats = 0;
  }
  int64_t size = static_cast<int64_t>(out.size()) +
                 4 * static_cast<int64_t>(floats) + extraBytes;
  size_t headerSize = out.size();
  out.resize(std::max<int64_t>(size, 0), '\0');
  for (size_t i = headerSize; i < out.size(); ++i)
    out[i] = static_cast<char>(patternByte(0, i));
  return out;
}

std::string makeLlama2cTokenizer(const std::vector<std::string> &pieces,
                                 int32_t maxTokenLength) {
  if (maxTokenLength < 0) {
    maxTokenLength = 0;
    for (const std::string &p : pieces)
      maxTokenLength = std::max<int32_t>(maxTokenLength, p.size());
  }
  std::string out = le32(static_cast<uint32_t>(maxTokenLength));
  for (size_t i = 0; i < pieces.size(); ++i) {
    float score = -static_cast<float>(i);
    uint32_t bits;
    std::memcpy(&bits, &score, 4);
    out += le32(bits) + le32(pieces[i].size()) + pieces[i];
  }
  return out;
}

} // namespace test
} // namespace llmc
