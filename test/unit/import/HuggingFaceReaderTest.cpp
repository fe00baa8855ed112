//===- HuggingFaceReaderTest.cpp - Tests of the Hugging Face reader -------===//
//
// Builds tiny checkpoint directories (config.json, safetensors, a byte-level
// tokenizer.json) in a temporary directory and checks the ModelSource:
// GPT-2's Conv1D weights transposed and c_attn split exactly, Qwen2's
// biases, BF16 widened exactly, and the safetensors header checks.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <numeric>

using namespace llmc;

namespace {

/// One tensor to write: name, dtype, shape, values (converted to dtype).
struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
  std::string dtype = "F32";
};

/// Values 0, 1, 2, ... so that every element says where it came from.
Tensor iota(const std::string &name, std::vector<int64_t> shape,
            float start = 0) {
  int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                              std::multiplies<int64_t>());
  std::vector<float> values(n);
  std::iota(values.begin(), values.end(), start);
  return {name, std::move(shape), std::move(values)};
}

std::string safetensors(const std::vector<Tensor> &tensors) {
  llvm::json::Object header;
  std::string data;
  for (const Tensor &t : tensors) {
    size_t begin = data.size();
    for (float v : t.values) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      char bytes[4];
      if (t.dtype == "BF16") {
        llvm::support::endian::write16le(bytes, bits >> 16);
        data.append(bytes, 2);
      } else {
        llvm::support::endian::write32le(bytes, bits);
        data.append(bytes, 4);
      }
    }
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.name] = llvm::json::Object{
        {"dtype", t.dtype},
        {"shape", std::move(shape)},
        {"data_offsets",
         llvm::json::Array{int64_t(begin), int64_t(data.size())}}};
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  char length[8];
  llvm::support::endian::write64le(length, text.size());
  return std::string(length, 8) + text + data;
}

class HuggingFaceReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("hf-reader", path));
    dir = std::string(path);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  void write(const std::string &name, const std::string &text) {
    std::error_code ec;
    llvm::raw_fd_ostream os(dir + "/" + name, ec);
    ASSERT_FALSE(ec);
    os << text;
  }
  /// A byte-level tokenizer: the 256 bytes (GPT-2 alphabet), one merge.
  void writeTokenizer() {
    llvm::json::Object pieces;
    int n = 0;
    std::vector<std::string> spelled(256);
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      uint32_t cp = printable ? b : 256 + n++;
      std::string utf8;
      if (cp < 0x80) {
        utf8 = char(cp);
      } else {
        utf8 += char(0xC0 | (cp >> 6));
        utf8 += char(0x80 | (cp & 0x3F));
      }
      pieces[utf8] = b;
      spelled[b] = utf8;
    }
    pieces[spelled[' '] + "a"] = 256; // "Ġa"
    llvm::json::Object model{
        {"type", "BPE"},
        {"vocab", std::move(pieces)},
        {"merges", llvm::json::Array{spelled[' '] + " a"}}};
    llvm::json::Object root{
        {"added_tokens", llvm::json::Array{}},
        {"pre_tokenizer", llvm::json::Object{{"type", "ByteLevel"},
                                             {"add_prefix_space", false}}},
        {"model", std::move(model)}};
    std::string text;
    llvm::raw_string_ostream(text) << llvm::json::Value(std::move(root));
    write("tokenizer.json", text);
  }

  std::string dir;
};

// GPT-2: dim 4, 2 heads, 1 layer, inner 8, 6 positions, vocab 257.
constexpr int64_t kDim = 4, kInner = 8, kPos = 6, kVocab = 257;

std::vector<Tensor> gpt2Tensors() {
  return {iota("wte.weight", {kVocab, kDim}),
          iota("wpe.weight", {kPos, kDim}),
          iota("h.0.ln_1.weight", {kDim}),
          iota("h.0.ln_1.bias", {kDim}),
          iota("h.0.attn.c_attn.weight", {kDim, 3 * kDim}),
          iota("h.0.attn.c_attn.bias", {3 * kDim}, 100),
          iota("h.0.attn.c_proj.weight", {kDim, kDim}),
          iota("h.0.attn.c_proj.bias", {kDim}),
          iota("h.0.attn.bias", {1, 1, kPos, kPos}), // causal mask buffer
          iota("h.0.ln_2.weight", {kDim}),
          iota("h.0.ln_2.bias", {kDim}),
          iota("h.0.mlp.c_fc.weight", {kDim, kInner}),
          iota("h.0.mlp.c_fc.bias", {kInner}),
          iota("h.0.mlp.c_proj.weight", {kInner, kDim}),
          iota("h.0.mlp.c_proj.bias", {kDim}),
          iota("ln_f.weight", {kDim}),
          iota("ln_f.bias", {kDim})};
}

const char kGPT2Config[] =
    R"({"model_type": "gpt2", "n_embd": 4, "n_layer": 1, "n_head": 2,
        "n_inner": 8, "n_positions": 6, "vocab_size": 257,
        "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
        "bos_token_id": 256, "eos_token_id": 256})";

/// Element (r, c) of an F32 tensor of the source.
float at(const ModelSource &source, const std::string &name, int64_t r,
         int64_t c) {
  const TensorRef *t = source.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t || !t->data)
    return -1;
  float v;
  std::memcpy(&v, t->data->data() + 4 * (r * t->shape.back() + c), 4);
  return v;
}

TEST_F(HuggingFaceReaderTest, GPT2ConvWeightsAreTransposedAndSplit) {
  write("config.json", kGPT2Config);
  writeTokenizer();
  write("model.safetensors", safetensors(gpt2Tensors()));
  llvm::Expected<ModelSource> source = readHuggingFace(dir);
  ASSERT_TRUE(static_cast<bool>(source)) << llvm::toString(source.takeError());
  const ModelConfig &c = source->config;
  EXPECT_EQ(c.architecture, "gpt2");
  EXPECT_EQ(c.norm, NormKind::Layer);
  EXPECT_FALSE(c.gatedMLP);
  EXPECT_EQ(c.activation, ActivationKind::GELUTanh);
  EXPECT_EQ(c.rope, RopeKind::None);
  EXPECT_TRUE(c.learnedPositions);
  EXPECT_TRUE(c.tiedClassifier);
  EXPECT_EQ(c.hiddenDim, kInner);
  EXPECT_EQ(c.maxSeqLen, kPos);
  // c_attn {in 4, out 12} = i * 12 + o: Q rows o in [0,4), K [4,8), V [8,12).
  for (int64_t r = 0; r < kDim; ++r)
    for (int64_t i = 0; i < kDim; ++i) {
      EXPECT_EQ(at(*source, "blk.0.attn_q.weight", r, i), i * 12 + r);
      EXPECT_EQ(at(*source, "blk.0.attn_k.weight", r, i), i * 12 + 4 + r);
      EXPECT_EQ(at(*source, "blk.0.attn_v.weight", r, i), i * 12 + 8 + r);
    }
  EXPECT_EQ(at(*source, "blk.0.attn_k.bias", 0, 1), 100 + 4 + 1);
  EXPECT_EQ(at(*source, "blk.0.attn_v.bias", 0, 3), 100 + 8 + 3);
  // c_fc {in 4, out 8} -> ffn_up {8, 4}; c_proj {8, 4} -> ffn_down {4, 8}.
  const TensorRef *up = source->find("blk.0.ffn_up.weight");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->shape, (std::vector<int64_t>{kInner, kDim}));
  EXPECT_EQ(at(*source, "blk.0.ffn_up.weight", 5, 2), 2 * kInner + 5);
  EXPECT_EQ(at(*source, "blk.0.ffn_down.weight", 3, 6), 6 * kDim + 3);
  // In-place tensors name their shard; biases and norms keep their shape.
  const TensorRef *wpe = source->find("position_embd.weight");
  ASSERT_NE(wpe, nullptr);
  EXPECT_EQ(wpe->data, nullptr);
  EXPECT_NE(wpe->file.find("model.safetensors"), std::string::npos);
  EXPECT_NE(source->find("output_norm.bias"), nullptr);
  EXPECT_EQ(source->find("output.weight"), nullptr);
  // The tokenizer is byte-level with the "Ġa" merge, pieces decoded.
  EXPECT_TRUE(source->tokenizer.byteLevel);
  EXPECT_EQ(source->tokenizer.pieces[256], " a");
  EXPECT_EQ(source->tokenizer.merges,
            (std::vector<std::pair<int32_t, int32_t>>{{' ', 'a'}}));
}

TEST_F(HuggingFaceReaderTest, GPT2FusedQKVWithWrongShape) {
  write("config.json", kGPT2Config);
  writeTokenizer();
  std::vector<Tensor> tensors = gpt2Tensors();
  tensors[4] = iota("h.0.attn.c_attn.weight", {kDim, 3 * kDim - 1});
  write("model.safetensors", safetensors(tensors));
  llvm::Expected<ModelSource> source = readHuggingFace(dir);
  ASSERT_FALSE(static_cast<bool>(source));
  EXPECT_EQ(llvm::toString(source.takeError()),
            dir + "/model.safetensors: tensor 'h.0.attn.c_attn.weight' has "
                  "shape [4, 11], expected [4, 12] (n_embd 4)");
}

TEST_F(HuggingFaceReaderTest, Qwen2NeedsQKVBiasesAndWidensBF16) {
  write("config.json",
        R"({"model_type": "qwen2", "hidden_size": 4, "intermediate_size": 8,
            "num_hidden_layers": 1, "num_attention_heads": 2,
            "num_key_value_heads": 1, "vocab_size": 260,
            "max_position_embeddings": 16, "rms_norm_eps": 1e-6,
            "rope_theta": 1000000.0, "tie_word_embeddings": true})");
  writeTokenizer();
  std::vector<Tensor> tensors = {
      iota("model.embed_tokens.weight", {260, 4}),
      iota("model.layers.0.input_layernorm.weight", {4}),
      iota("model.layers.0.self_attn.q_proj.weight", {4, 4}),
      iota("model.layers.0.self_attn.q_proj.bias", {4}),
      iota("model.layers.0.self_attn.k_proj.weight", {2, 4}),
      iota("model.layers.0.self_attn.k_proj.bias", {2}),
      iota("model.layers.0.self_attn.v_proj.weight", {2, 4}),
      iota("model.layers.0.self_attn.o_proj.weight", {4, 4}),
      iota("model.layers.0.post_attention_layernorm.weight", {4}),
      iota("model.layers.0.mlp.gate_proj.weight", {8, 4}),
      iota("model.layers.0.mlp.up_proj.weight", {8, 4}),
      iota("model.layers.0.mlp.down_proj.weight", {4, 8}),
      iota("model.norm.weight", {4})};
  for (Tensor &t : tensors)
    t.dtype = "BF16";
  write("model.safetensors", safetensors(tensors));
  llvm::Expected<ModelSource> missing = readHuggingFace(dir);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            dir + ": missing tensor 'layers.0.self_attn.v_proj.bias'");

  tensors.push_back(iota("model.layers.0.self_attn.v_proj.bias", {2}, 1.5f));
  tensors.back().dtype = "BF16";
  write("model.safetensors", safetensors(tensors));
  llvm::Expected<ModelSource> source = readHuggingFace(dir);
  ASSERT_TRUE(static_cast<bool>(source)) << llvm::toString(source.takeError());
  EXPECT_EQ(source->config.rope, RopeKind::Halves);
  EXPECT_EQ(source->config.ropeTheta, 1e6f);
  const TensorRef *bias = source->find("blk.0.attn_v.bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->format, TensorFormat::F32);
  EXPECT_EQ(at(*source, "blk.0.attn_v.bias", 0, 1), 2.5f); // exact in BF16
  EXPECT_EQ(at(*source, "blk.0.ffn_down.weight", 3, 7), 31.0f);
}

TEST(SafeTensorsTest, RejectsOverlapAndSizeMismatch) {
  auto parse = [](const std::string &header, size_t dataBytes) {
    std::string file(8, '\0');
    llvm::support::endian::write64le(file.data(), header.size());
    file += header + std::string(dataBytes, '\0');
    llvm::Expected<std::vector<SafeTensorInfo>> tensors = readSafeTensors(
        "t.safetensors", llvm::MemoryBufferRef(file, "t.safetensors"));
    return tensors ? std::string("ok") : llvm::toString(tensors.takeError());
  };
  EXPECT_EQ(
      parse(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8),
      "ok");
  EXPECT_EQ(parse(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F16","shape":[2],"data_offsets":[6,10]}})",
                  10),
            "t.safetensors: tensor 'b' overlaps the data of tensor 'a'");
  EXPECT_EQ(
      parse(R"({"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}})", 8),
      "t.safetensors: tensor 'a': data_offsets [0, 8] span 8 bytes, "
      "but BF16 with 3 elements needs 6");
  EXPECT_EQ(
      parse(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0),
      "t.safetensors: tensor 'a': shape holds a value that is not a "
      "non-negative integer");
  EXPECT_EQ(parse(R"([1, 2])", 0),
            "t.safetensors: the JSON header is not an object");
}

} // namespace
