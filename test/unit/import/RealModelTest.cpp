//===- RealModelTest.cpp - Readers on real and generated model files ------===//
//
// Reads the trained stories260K model in both formats (shared/models) and
// checks that the GGUF and llama2.c readers agree byte for byte, then reads
// the small files of test/Import/Inputs written by utils/make-test-model.py
// and checks that their quantized tensors decode to the f32 weights. The
// shared model directory can be overridden with $LLMC_TEST_MODELS_DIR.
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "llmc/Import/ModelSource.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace llmc;
using namespace llmc::test;

namespace {

std::string modelsDir() {
  if (const char *dir = std::getenv("LLMC_TEST_MODELS_DIR"))
    return dir;
  return LLMC_TEST_MODELS_DIR;
}

std::string storiesPath(const char *file) {
  return modelsDir() + "/stories260K/" + file;
}

std::string inputPath(const char *file) {
  return std::string(LLMC_IMPORT_TEST_INPUTS) + "/" + file;
}

/// A model read with readModelFile, kept with its buffer.
struct LoadedModel {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  ModelSource source;

  llvm::StringRef bytes(const TensorRef &t) const {
    return buffer->getBuffer().substr(t.offset, t.size);
  }
};

LoadedModel load(const std::string &path, const std::string &tokenizer = "") {
  LoadedModel model;
  llvm::Expected<ModelSource> source =
      readModelFile(path, tokenizer, model.buffer);
  if (!source) {
    ADD_FAILURE() << llvm::toString(source.takeError());
    return model;
  }
  model.source = std::move(*source);
  return model;
}

class StoriesTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!llvm::sys::fs::exists(storiesPath("stories260K.gguf")))
      GTEST_SKIP() << "stories260K not found in " << modelsDir()
                   << " (set LLMC_TEST_MODELS_DIR)";
  }
};

TEST_F(StoriesTest, ReadsGGUF) {
  LoadedModel m = load(storiesPath("stories260K.gguf"));
  const ModelSource &s = m.source;
  ASSERT_EQ(s.tensors.size(), 48u);
  const ModelConfig &c = s.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hiddenDim, 172);
  EXPECT_EQ(c.numLayers, 5);
  EXPECT_EQ(c.numHeads, 8);
  EXPECT_EQ(c.numKVHeads, 4);
  EXPECT_EQ(c.vocabSize, 512);
  EXPECT_EQ(c.maxSeqLen, 2048); // llama.context_length of this conversion
  EXPECT_FLOAT_EQ(c.rmsNormEps, 1e-5f);
  EXPECT_FLOAT_EQ(c.ropeTheta, 10000.0f);
  // The conversion stores the shared classifier as a separate copy.
  EXPECT_FALSE(c.tiedClassifier);
  for (const TensorRef &t : s.tensors)
    EXPECT_EQ(t.format, TensorFormat::F32) << t.name;
  EXPECT_EQ(s.tensors.front().name, "token_embd.weight");
  EXPECT_EQ(s.tensors.front().offset, 14176u);
  EXPECT_EQ(s.find("blk.4.ffn_norm.weight")->offset, 1185120u);
  EXPECT_EQ(s.find("blk.0.ffn_gate.weight")->shape,
            (std::vector<int64_t>{172, 64}));
  EXPECT_EQ(s.find("blk.0.ffn_down.weight")->shape,
            (std::vector<int64_t>{64, 172}));
  EXPECT_EQ(s.find("blk.2.attn_v.weight")->shape,
            (std::vector<int64_t>{32, 64}));
  ASSERT_TRUE(s.hasTokenizer);
  EXPECT_EQ(s.tokenizer.pieces.size(), 512u);
  EXPECT_EQ(s.tokenizer.pieces[1], "<s>");
  EXPECT_EQ(s.tokenizer.bosId, 1);
  EXPECT_EQ(s.tokenizer.eosId, 2);
  EXPECT_TRUE(s.tokenizer.addDummyPrefix);
}

TEST_F(StoriesTest, ReadsLlama2cWithDiscoveredTokenizer) {
  LoadedModel m = load(storiesPath("stories260K.bin"));
  const ModelSource &s = m.source;
  ASSERT_EQ(s.tensors.size(), 47u);
  EXPECT_EQ(s.sourceFormat, SourceFormat::Llama2c);
  EXPECT_EQ(s.config.maxSeqLen, 512);
  EXPECT_TRUE(s.config.tiedClassifier);
  EXPECT_EQ(s.find("token_embd.weight")->offset, 28u);
  EXPECT_EQ(s.find("blk.0.attn_norm.weight")->offset, 28u + 512 * 64 * 4);
  ASSERT_TRUE(s.hasTokenizer); // tok512.bin next to the model
  EXPECT_EQ(s.tokenizer.pieces.size(), 512u);
}

TEST_F(StoriesTest, FormatsHoldIdenticalTensors) {
  LoadedModel gguf = load(storiesPath("stories260K.gguf"));
  LoadedModel bin = load(storiesPath("stories260K.bin"));
  ASSERT_EQ(bin.source.tensors.size(), 47u);
  for (const TensorRef &t : bin.source.tensors) {
    const TensorRef *g = gguf.source.find(t.name);
    ASSERT_NE(g, nullptr) << t.name;
    EXPECT_EQ(g->shape, t.shape) << t.name;
    EXPECT_EQ(g->size, t.size) << t.name;
    EXPECT_TRUE(gguf.bytes(*g) == bin.bytes(t)) << t.name;
  }
  const TensorRef *output = gguf.source.find("output.weight");
  ASSERT_NE(output, nullptr);
  EXPECT_TRUE(gguf.bytes(*output) ==
              bin.bytes(*bin.source.find("token_embd.weight")));
}

TEST_F(StoriesTest, TokenizersAgree) {
  LoadedModel gguf = load(storiesPath("stories260K.gguf"));
  LoadedModel bin =
      load(storiesPath("stories260K.bin"), storiesPath("tok512.bin"));
  const TokenizerData &a = gguf.source.tokenizer, &b = bin.source.tokenizer;
  EXPECT_EQ(a.pieces, b.pieces);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.types, b.types);
  EXPECT_EQ(a.bosId, b.bosId);
  EXPECT_EQ(a.eosId, b.eosId);
  EXPECT_EQ(a.addDummyPrefix, b.addDummyPrefix);
  EXPECT_EQ(a.maxTokenLength, b.maxTokenLength);
  EXPECT_EQ(b.pieces[259], "\xE2\x96\x81t"); // " t" in tok512.bin
}

TEST_F(StoriesTest, ReadModelFileErrors) {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string missing = storiesPath("missing.gguf");
  EXPECT_TRUE(failsWith(readModelFile(missing, "", buffer), missing,
                        "cannot open file:"));
  std::string gguf = storiesPath("stories260K.gguf");
  EXPECT_TRUE(failsWith(readModelFile(gguf, storiesPath("tok512.bin"), buffer),
                        gguf, "a GGUF file carries its own tokenizer"));
  std::string tok = storiesPath("nope.bin");
  EXPECT_TRUE(
      failsWith(readModelFile(storiesPath("stories260K.bin"), tok, buffer), tok,
                "cannot open file:"));
  EXPECT_EQ(buffer, nullptr);
}

TEST_F(StoriesTest, Llama2cWithoutTokenizerFile) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("llmc-import", dir));
  llvm::SmallString<128> model(dir);
  llvm::sys::path::append(model, "m.bin");
  ASSERT_FALSE(llvm::sys::fs::copy_file(storiesPath("stories260K.bin"), model));
  LoadedModel m = load(std::string(model));
  EXPECT_FALSE(m.source.hasTokenizer);
  EXPECT_EQ(m.source.tensors.size(), 47u);

  // A tokenizer.bin for another vocabulary is found, then rejected.
  llvm::SmallString<128> tok(dir);
  llvm::sys::path::append(tok, "tokenizer.bin");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tok, ec);
    ASSERT_FALSE(ec);
    os << makeLlama2cTokenizer(tinyVocab(40));
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  EXPECT_TRUE(failsWith(readModelFile(model, "", buffer), std::string(tok),
                        "cannot hold the model's 512 tokens"));
  llvm::sys::fs::remove_directories(dir);
}

//===----------------------------------------------------------------------===//
// Files written by utils/make-test-model.py
//===----------------------------------------------------------------------===//

float halfToFloat(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
  float v;
  if (exponent == 0)
    v = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    v = mantissa ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  return sign ? -v : v;
}

uint16_t readU16(const char *p) {
  return static_cast<uint16_t>(uint8_t(p[0]) | uint8_t(p[1]) << 8);
}

/// Decodes a tensor to f32 following the layouts documented for
/// TensorFormat.
std::vector<float> decode(llvm::StringRef bytes, const TensorRef &t) {
  std::vector<float> out;
  const char *p = bytes.data();
  int64_t n = t.numElements();
  switch (t.format) {
  case TensorFormat::F32:
    out.resize(n);
    std::memcpy(out.data(), p, 4 * n);
    break;
  case TensorFormat::F16:
    for (int64_t i = 0; i < n; ++i)
      out.push_back(halfToFloat(readU16(p + 2 * i)));
    break;
  case TensorFormat::Q8_0:
    for (int64_t b = 0; b < n / 32; ++b, p += 34) {
      float d = halfToFloat(readU16(p));
      for (int j = 0; j < 32; ++j)
        out.push_back(d * static_cast<int8_t>(p[2 + j]));
    }
    break;
  case TensorFormat::Q4_0:
    for (int64_t b = 0; b < n / 32; ++b, p += 18) {
      float d = halfToFloat(readU16(p));
      float block[32];
      for (int j = 0; j < 16; ++j) {
        block[j] = d * ((uint8_t(p[2 + j]) & 15) - 8);
        block[j + 16] = d * ((uint8_t(p[2 + j]) >> 4) - 8);
      }
      out.insert(out.end(), block, block + 32);
    }
    break;
  }
  return out;
}

TEST(GeneratedModelTest, QuantizedTensorsDecodeToTheWeights) {
  LoadedModel f32 = load(inputPath("tiny-f32.gguf"));
  ASSERT_EQ(f32.source.tensors.size(), 12u);
  EXPECT_FALSE(f32.source.config.tiedClassifier);
  struct {
    const char *file;
    TensorFormat format;
    float tolerance; ///< Relative to the largest weight of the tensor.
  } cases[] = {{"tiny-f16.gguf", TensorFormat::F16, 1e-3f},
               {"tiny-q8_0.gguf", TensorFormat::Q8_0, 1.0f / 127},
               {"tiny-q4_0.gguf", TensorFormat::Q4_0, 1.0f / 8}};
  for (const auto &c : cases) {
    SCOPED_TRACE(c.file);
    LoadedModel q = load(inputPath(c.file));
    ASSERT_EQ(q.source.tensors.size(), 12u);
    for (const TensorRef &t : f32.source.tensors) {
      const TensorRef *qt = q.source.find(t.name);
      ASSERT_NE(qt, nullptr) << t.name;
      EXPECT_EQ(qt->format, t.shape.size() == 1 ? TensorFormat::F32 : c.format);
      std::vector<float> want = decode(f32.bytes(t), t);
      std::vector<float> got = decode(q.bytes(*qt), *qt);
      ASSERT_EQ(got.size(), want.size());
      float maxAbs = 0, maxErr = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        maxAbs = std::max(maxAbs, std::fabs(want[i]));
        maxErr = std::max(maxErr, std::fabs(got[i] - want[i]));
      }
      EXPECT_LE(maxErr, c.tolerance * maxAbs) << t.name;
    }
  }
}

TEST(GeneratedModelTest, Llama2cMatchesGGUF) {
  LoadedModel gguf = load(inputPath("tiny-f32.gguf"));
  LoadedModel bin = load(inputPath("tiny.bin"));
  ASSERT_TRUE(bin.source.hasTokenizer); // tok64.bin
  EXPECT_EQ(bin.source.tokenizer.pieces, gguf.source.tokenizer.pieces);
  EXPECT_EQ(bin.source.tokenizer.types, gguf.source.tokenizer.types);
  EXPECT_EQ(bin.source.config.maxSeqLen, gguf.source.config.maxSeqLen);
  for (const TensorRef &t : bin.source.tensors)
    EXPECT_TRUE(bin.bytes(t) == gguf.bytes(*gguf.source.find(t.name)))
        << t.name;
}

} // namespace
