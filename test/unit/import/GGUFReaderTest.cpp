//===- GGUFReaderTest.cpp - Tests of llmc::readGGUF -----------------------===//
//
// Each test builds a valid GGUF file in memory (TestModels.h), changes one
// thing, and checks what the reader makes of it.
//
//===----------------------------------------------------------------------===//

#include "TestModels.h"

#include "llmc/Import/ModelSource.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace llmc;
using namespace llmc::test;

namespace {

class GGUFReaderTest : public ::testing::Test {
protected:
  /// Reads \p bytes as "t.gguf"; the bytes stay alive in the fixture.
  llvm::Expected<ModelSource> read(const std::string &bytes) {
    buffer = bytes;
    return readGGUF("t.gguf", llvm::MemoryBufferRef(buffer, "t.gguf"));
  }
  llvm::Expected<ModelSource> read(const GGUFTestWriter &w) {
    return read(w.build());
  }
  ::testing::AssertionResult fails(const GGUFTestWriter &w,
                                   const std::string &substring) {
    return failsWith(read(w), "t.gguf", substring);
  }
  ::testing::AssertionResult fails(const std::string &bytes,
                                   const std::string &substring) {
    return failsWith(read(bytes), "t.gguf", substring);
  }

  GGUFTestWriter tiny(TensorFormat format = TensorFormat::F32,
                      bool tied = false) {
    return GGUFTestWriter::llama(tinyConfig(), format, tied);
  }

  std::string buffer;
};

//===----------------------------------------------------------------------===//
// Valid files
//===----------------------------------------------------------------------===//

TEST_F(GGUFReaderTest, ReadsConfigTensorsAndTokenizer) {
  GGUFTestWriter w = tiny();
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  const ModelConfig &c = source->config;
  EXPECT_EQ(source->path, "t.gguf");
  EXPECT_EQ(source->sourceFormat, SourceFormat::GGUF);
  EXPECT_EQ(c.architecture, "llama");
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hiddenDim, 96);
  EXPECT_EQ(c.numLayers, 2);
  EXPECT_EQ(c.numHeads, 4);
  EXPECT_EQ(c.numKVHeads, 2);
  EXPECT_EQ(c.vocabSize, 40);
  EXPECT_EQ(c.maxSeqLen, 128);
  EXPECT_FLOAT_EQ(c.rmsNormEps, 1e-5f);
  EXPECT_FLOAT_EQ(c.ropeTheta, 10000.0f);
  EXPECT_FALSE(c.tiedClassifier);
  EXPECT_EQ(c.headDim(), 16);
  EXPECT_EQ(c.kvDim(), 32);

  ASSERT_EQ(source->tensors.size(), 3u + 2 * 9);
  std::vector<uint64_t> offsets = w.layout();
  uint64_t dataStart =
      buffer.size() - (offsets.back() + w.tensors.back().dataBytes);
  EXPECT_EQ(dataStart % 32, 0u);
  for (size_t i = 0; i < w.tensors.size(); ++i) {
    const TensorRef &t = source->tensors[i];
    EXPECT_EQ(t.name, w.tensors[i].name);
    EXPECT_EQ(t.format, TensorFormat::F32);
    EXPECT_EQ(t.offset, dataStart + offsets[i]) << t.name;
    EXPECT_EQ(t.size, uint64_t(4 * t.numElements())) << t.name;
    EXPECT_EQ(uint8_t(buffer[t.offset]), patternByte(i, 0)) << t.name;
    EXPECT_EQ(uint8_t(buffer[t.offset + t.size - 1]),
              patternByte(i, t.size - 1))
        << t.name;
  }
  const TensorRef *k = source->find("blk.1.attn_k.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->shape, (std::vector<int64_t>{32, 64}));
  const TensorRef *down = source->find("blk.0.ffn_down.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->shape, (std::vector<int64_t>{64, 96}));
  EXPECT_EQ(source->find("output_norm.weight")->shape,
            (std::vector<int64_t>{64}));
  EXPECT_EQ(source->find("nonexistent"), nullptr);

  ASSERT_TRUE(source->hasTokenizer);
  const TokenizerData &tok = source->tokenizer;
  EXPECT_EQ(tok.pieces, tinyVocab(40));
  ASSERT_EQ(tok.scores.size(), 40u);
  EXPECT_EQ(tok.scores[7], -7.0f);
  EXPECT_EQ(tok.types[0], uint32_t(TokenUnknown));
  EXPECT_EQ(tok.types[1], uint32_t(TokenControl));
  EXPECT_EQ(tok.types[3], uint32_t(TokenByte));
  EXPECT_EQ(tok.bosId, 1);
  EXPECT_EQ(tok.eosId, 2);
  EXPECT_TRUE(tok.addDummyPrefix);
  EXPECT_EQ(tok.maxTokenLength, 6u); // "<unk>", "<0x00>"
}

TEST_F(GGUFReaderTest, TiedClassifierWhenOutputWeightIsAbsent) {
  llvm::Expected<ModelSource> source = read(tiny(TensorFormat::F32, true));
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_TRUE(source->config.tiedClassifier);
  EXPECT_EQ(source->find("output.weight"), nullptr);
  EXPECT_EQ(source->tensors.size(), 2u + 2 * 9);
}

/// A GPT-2 model of tinyConfig's sizes (no GQA) as llama.cpp writes it:
/// LayerNorm biases, learned positions, fused attn_qkv, no ffn_gate.
GGUFTestWriter gpt2Writer(TensorFormat matrices) {
  ModelConfig c = tinyConfig();
  GGUFTestWriter w;
  w.setString("general.architecture", "gpt2");
  w.setU32("general.alignment", 32);
  w.setU32("gpt2.context_length", c.maxSeqLen);
  w.setU32("gpt2.embedding_length", c.dim);
  w.setU32("gpt2.feed_forward_length", c.hiddenDim);
  w.setU32("gpt2.block_count", c.numLayers);
  w.setU32("gpt2.attention.head_count", c.numHeads);
  w.setF32("gpt2.attention.layer_norm_epsilon", 1e-5f);
  w.setU32("gpt2.vocab_size", c.vocabSize);
  w.setString("tokenizer.ggml.model", "gpt2");
  w.setStringArray("tokenizer.ggml.tokens", tinyVocab(c.vocabSize));
  w.setStringArray("tokenizer.ggml.merges", {"a b"});
  auto norm = [&](const std::string &name) {
    w.addTensor(name + ".weight", {c.dim}, TensorFormat::F32);
    w.addTensor(name + ".bias", {c.dim}, TensorFormat::F32);
  };
  auto linear = [&](const std::string &name, int64_t out, int64_t in) {
    w.addTensor(name + ".weight", {out, in}, matrices);
    w.addTensor(name + ".bias", {out}, TensorFormat::F32);
  };
  w.addTensor("token_embd.weight", {c.vocabSize, c.dim}, matrices);
  w.addTensor("position_embd.weight", {c.maxSeqLen, c.dim}, matrices);
  norm("output_norm");
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    norm(p + "attn_norm");
    linear(p + "attn_qkv", 3 * c.dim, c.dim);
    linear(p + "attn_output", c.dim, c.dim);
    norm(p + "ffn_norm");
    linear(p + "ffn_up", c.hiddenDim, c.dim);
    linear(p + "ffn_down", c.dim, c.hiddenDim);
  }
  return w;
}

TEST_F(GGUFReaderTest, ReadsGPT2AndSplitsFusedQKV) {
  for (TensorFormat format : {TensorFormat::F32, TensorFormat::Q8_0}) {
    SCOPED_TRACE(formatName(format).str());
    GGUFTestWriter w = gpt2Writer(format);
    llvm::Expected<ModelSource> source = read(w);
    ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
    const ModelConfig &c = source->config;
    EXPECT_EQ(c.architecture, "gpt2");
    EXPECT_EQ(c.norm, NormKind::Layer);
    EXPECT_FALSE(c.gatedMLP);
    EXPECT_EQ(c.activation, ActivationKind::GELUTanh);
    EXPECT_EQ(c.rope, RopeKind::None);
    EXPECT_TRUE(c.learnedPositions);
    EXPECT_TRUE(c.tiedClassifier);
    EXPECT_EQ(c.numKVHeads, c.numHeads);
    // A BPE vocabulary is skipped, not misread as a SentencePiece one.
    EXPECT_FALSE(source->hasTokenizer);
    EXPECT_EQ(source->find("blk.0.attn_qkv.weight"), nullptr);

    // The q/k/v pieces are consecutive row ranges of the fused tensor.
    std::vector<uint64_t> offsets = w.layout();
    uint64_t dataStart =
        buffer.size() - (offsets.back() + w.tensors.back().dataBytes);
    size_t fused = 0;
    while (w.tensors[fused].name != "blk.1.attn_qkv.weight")
      ++fused;
    uint64_t rowBytes = formatBytes(format, c.dim);
    uint64_t begin = dataStart + offsets[fused];
    for (const char *proj : {"attn_q", "attn_k", "attn_v"}) {
      const TensorRef *t =
          source->find(std::string("blk.1.") + proj + ".weight");
      ASSERT_NE(t, nullptr) << proj;
      EXPECT_EQ(t->shape, (std::vector<int64_t>{c.dim, c.dim})) << proj;
      EXPECT_EQ(t->format, format);
      EXPECT_EQ(t->offset, begin) << proj;
      EXPECT_EQ(t->size, rowBytes * c.dim) << proj;
      begin += t->size;
      const TensorRef *bias =
          source->find(std::string("blk.1.") + proj + ".bias");
      ASSERT_NE(bias, nullptr) << proj;
      EXPECT_EQ(bias->shape, (std::vector<int64_t>{c.dim})) << proj;
      EXPECT_EQ(bias->size, uint64_t(4 * c.dim)) << proj;
    }
    EXPECT_EQ(source->find("blk.1.attn_v.bias")->offset,
              source->find("blk.1.attn_q.bias")->offset + 8 * c.dim);
  }
}

TEST_F(GGUFReaderTest, RejectsBadFusedQKV) {
  GGUFTestWriter shape = gpt2Writer(TensorFormat::F32);
  shape.removeTensor("blk.0.attn_qkv.weight");
  shape.addTensor("blk.0.attn_qkv.weight", {2 * 64, 64}, TensorFormat::F32);
  EXPECT_TRUE(fails(shape, "fused tensor 'blk.0.attn_qkv.weight' has shape "
                           "[128, 64], expected [192, 64]"));
  GGUFTestWriter missing = gpt2Writer(TensorFormat::F32);
  missing.removeTensor("position_embd.weight");
  EXPECT_TRUE(fails(missing, "position_embd.weight"));
}

TEST_F(GGUFReaderTest, ReadsQwen2WithHalvesRotaryAndBiases) {
  GGUFTestWriter w = tiny();
  for (auto &kv : w.kvs)
    if (llvm::StringRef(kv.first).starts_with("llama."))
      kv.first = "qwen2." + kv.first.substr(strlen("llama."));
  w.setString("general.architecture", "qwen2");
  w.addTensor("blk.0.attn_q.bias", {64}, TensorFormat::F32);
  w.addTensor("blk.0.attn_k.bias", {32}, TensorFormat::F32);
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_EQ(source->config.architecture, "qwen2");
  EXPECT_EQ(source->config.rope, RopeKind::Halves);
  EXPECT_EQ(source->config.norm, NormKind::RMS);
  EXPECT_TRUE(source->config.gatedMLP);
  ASSERT_NE(source->find("blk.0.attn_k.bias"), nullptr);
  EXPECT_TRUE(source->hasTokenizer);

  GGUFTestWriter bad = w;
  bad.removeTensor("blk.0.attn_k.bias");
  bad.addTensor("blk.0.attn_k.bias", {64}, TensorFormat::F32);
  EXPECT_TRUE(fails(bad, "tensor 'blk.0.attn_k.bias' has shape [64], "
                         "expected [32]"));
}

TEST_F(GGUFReaderTest, ReadsEveryTensorFormat) {
  for (TensorFormat format :
       {TensorFormat::F16, TensorFormat::Q8_0, TensorFormat::Q4_0}) {
    SCOPED_TRACE(formatName(format).str());
    llvm::Expected<ModelSource> source = read(tiny(format));
    ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
    const TensorRef *q = source->find("blk.0.attn_q.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->format, format);
    EXPECT_EQ(q->size, formatBytes(format, 64 * 64));
    EXPECT_EQ(source->find("blk.0.attn_norm.weight")->format,
              TensorFormat::F32);
  }
  EXPECT_EQ(formatBytes(TensorFormat::F16, 64), 128u);
  EXPECT_EQ(formatBytes(TensorFormat::Q8_0, 64), 68u);
  EXPECT_EQ(formatBytes(TensorFormat::Q4_0, 64), 36u);
  EXPECT_EQ(formatName(TensorFormat::Q4_0), "q4_0");
}

TEST_F(GGUFReaderTest, AcceptsVersion2) {
  GGUFTestWriter w = tiny();
  w.version = 2;
  EXPECT_TRUE(!!read(w));
}

TEST_F(GGUFReaderTest, HonoursAlignment) {
  GGUFTestWriter w = tiny();
  w.alignment = 256;
  w.setU32("general.alignment", 256);
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  for (const TensorRef &t : source->tensors)
    EXPECT_EQ(t.offset % 256, 0u) << t.name;
}

TEST_F(GGUFReaderTest, DefaultsForOptionalKeys) {
  ModelConfig c = tinyConfig();
  c.numKVHeads = c.numHeads;
  GGUFTestWriter w = GGUFTestWriter::llama(c, TensorFormat::F32, false);
  for (const char *key :
       {"llama.attention.head_count_kv", "llama.rope.freq_base",
        "llama.rope.dimension_count", "general.alignment",
        "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.model"})
    w.remove(key);
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_EQ(source->config.numKVHeads, 4);
  EXPECT_FLOAT_EQ(source->config.ropeTheta, 10000.0f);
  EXPECT_EQ(source->tokenizer.scores, std::vector<float>(40, 0.0f));
  EXPECT_EQ(source->tokenizer.types, std::vector<uint32_t>(40, TokenNormal));
  EXPECT_EQ(source->tokenizer.bosId, 1);
  EXPECT_EQ(source->tokenizer.eosId, 2);
}

TEST_F(GGUFReaderTest, ReadsOptionalKeys) {
  GGUFTestWriter w = tiny();
  w.setF32("llama.rope.freq_base", 500000.0f);
  w.setF32("llama.attention.layer_norm_rms_epsilon", 1e-6f);
  w.setBool("tokenizer.ggml.add_space_prefix", false);
  w.setU32("tokenizer.ggml.eos_token_id", 0xFFFFFFFF);
  w.setU32("llama.vocab_size", 40);
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_FLOAT_EQ(source->config.ropeTheta, 500000.0f);
  EXPECT_FLOAT_EQ(source->config.rmsNormEps, 1e-6f);
  EXPECT_FALSE(source->tokenizer.addDummyPrefix);
  EXPECT_EQ(source->tokenizer.eosId, -1);
}

TEST_F(GGUFReaderTest, NoTokenizer) {
  GGUFTestWriter w =
      GGUFTestWriter::llama(tinyConfig(), TensorFormat::Q8_0, true, false);
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_FALSE(source->hasTokenizer);
  EXPECT_EQ(source->config.vocabSize, 40);

  // Without llama.vocab_size the embedding's rows give the vocabulary.
  w.remove("llama.vocab_size");
  source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_EQ(source->config.vocabSize, 40);
}

TEST_F(GGUFReaderTest, AcceptsEveryMetadataValueType) {
  GGUFTestWriter w = tiny();
  w.setRaw("x.u8", GGUF_U8, std::string(1, '\x7f'));
  w.setRaw("x.i8", GGUF_I8, std::string(1, '\x80'));
  w.setRaw("x.u16", GGUF_U16, std::string(2, '\x01'));
  w.setRaw("x.i16", GGUF_I16, std::string(2, '\xff'));
  w.setRaw("x.i64", GGUF_I64, le64(uint64_t(-5)));
  w.setRaw("x.f64", GGUF_F64, le64(0x3ff0000000000000ull));
  w.setU64("x.u64", 1ull << 40);
  w.setBool("x.bool", true);
  w.setString("x.empty", "");
  // An array of two arrays of u16, and an empty array of strings.
  std::string inner = le32(GGUF_U16) + le64(2) + std::string(4, '\x02');
  w.setRaw("x.nested", GGUF_ARRAY, le32(GGUF_ARRAY) + le64(2) + inner + inner);
  w.setRaw("x.none", GGUF_ARRAY, le32(GGUF_STRING) + le64(0));
  // Integer keys may use any integer type.
  w.setRaw("llama.block_count", GGUF_U8, std::string(1, '\x02'));
  w.setRaw("llama.embedding_length", GGUF_I64, le64(64));
  llvm::Expected<ModelSource> source = read(w);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_EQ(source->config.numLayers, 2);
}

//===----------------------------------------------------------------------===//
// Header and metadata corruption
//===----------------------------------------------------------------------===//

TEST_F(GGUFReaderTest, RejectsBadMagic) {
  GGUFTestWriter w = tiny();
  w.magic = "GGUX";
  EXPECT_TRUE(fails(w, "bad magic 'GGUX', expected 'GGUF'"));
  w.magic = std::string("\x01GG\xff", 4);
  EXPECT_TRUE(fails(w, "bad magic '\\x01GG\\xFF'"));
}

TEST_F(GGUFReaderTest, RejectsEmptyAndTinyFiles) {
  EXPECT_TRUE(fails(std::string(), "unexpected end of file reading the GGUF "
                                   "magic"));
  EXPECT_TRUE(fails(std::string("GGUF\3\0\0", 7), "offset 4: unexpected end "
                                                  "of file reading the GGUF "
                                                  "version"));
}

TEST_F(GGUFReaderTest, RejectsUnsupportedVersions) {
  GGUFTestWriter w = tiny();
  w.version = 1;
  EXPECT_TRUE(fails(w, "unsupported GGUF version 1"));
  w.version = 0x03000000;
  EXPECT_TRUE(fails(w, "big-endian GGUF files are not supported"));
}

TEST_F(GGUFReaderTest, RejectsEveryTruncation) {
  std::string full =
      GGUFTestWriter::llama(tinyConfig(), TensorFormat::Q4_0, true).build();
  llvm::Expected<ModelSource> whole = read(full);
  ASSERT_TRUE(!!whole);
  /// Every cut in the header, metadata and tensor table; some in the data.
  size_t dataStart = whole->tensors.front().offset;
  for (size_t size = 0; size < full.size(); size += size < dataStart ? 1 : 61) {
    llvm::Expected<ModelSource> source = readGGUF(
        "t.gguf", llvm::MemoryBufferRef(llvm::StringRef(full).take_front(size),
                                        "t.gguf"));
    ASSERT_FALSE(!!source) << "prefix of " << size << " bytes accepted";
    std::string message = llvm::toString(source.takeError());
    ASSERT_EQ(message.rfind("t.gguf: ", 0), 0u) << message;
  }
}

TEST_F(GGUFReaderTest, RejectsBadStringLength) {
  GGUFTestWriter w = tiny();
  w.setRaw("general.name", GGUF_STRING, le64(1ull << 48) + "tiny");
  EXPECT_TRUE(fails(w, "length 281474976710656 of metadata 'general.name' "
                       "exceeds the"));
  w.setRaw("general.name", GGUF_STRING, le64(~0ull) + "tiny");
  EXPECT_TRUE(fails(w, "of metadata 'general.name' exceeds the"));
}

TEST_F(GGUFReaderTest, RejectsOverlongKey) {
  GGUFTestWriter w = tiny();
  w.setU32(std::string(2000, 'k'), 1);
  EXPECT_TRUE(fails(w, "length 2000 of key of metadata pair"));
  GGUFTestWriter empty = tiny();
  empty.setU32("", 1);
  EXPECT_TRUE(fails(empty, "has an empty key"));
}

TEST_F(GGUFReaderTest, RejectsHugeArrayCount) {
  GGUFTestWriter w = tiny();
  w.setRaw("tokenizer.ggml.scores", GGUF_ARRAY,
           le32(GGUF_F32) + le64(1ull << 60) + std::string(160, '\0'));
  EXPECT_TRUE(fails(w, "element count 1152921504606846976 of metadata "
                       "'tokenizer.ggml.scores'"));
  w.setRaw("tokenizer.ggml.scores", GGUF_ARRAY,
           le32(GGUF_STRING) + le64(~0ull));
  EXPECT_TRUE(fails(w, "element count 18446744073709551615"));
  w.setRaw("tokenizer.ggml.scores", GGUF_ARRAY,
           le32(GGUF_ARRAY) + le64(1ull << 40));
  EXPECT_TRUE(fails(w, "element count 1099511627776"));
}

TEST_F(GGUFReaderTest, RejectsDeeplyNestedArrays) {
  std::string value = le32(GGUF_U8) + le64(0);
  for (int i = 0; i < 20; ++i)
    value = le32(GGUF_ARRAY) + le64(1) + value;
  GGUFTestWriter w = tiny();
  w.setRaw("x.deep", GGUF_ARRAY, value);
  EXPECT_TRUE(fails(w, "nests arrays deeper than 8"));
}

TEST_F(GGUFReaderTest, RejectsUnknownValueTypes) {
  GGUFTestWriter w = tiny();
  w.setRaw("x.bad", 13, le32(0));
  EXPECT_TRUE(fails(w, "unknown value type 13 of metadata 'x.bad'"));
  GGUFTestWriter a = tiny();
  a.setRaw("x.bad", GGUF_ARRAY, le32(77) + le64(1));
  EXPECT_TRUE(fails(a, "unknown element type 77 of metadata 'x.bad'"));
}

TEST_F(GGUFReaderTest, RejectsDuplicateKey) {
  GGUFTestWriter w = tiny();
  w.kvs.push_back(w.kvs.front());
  EXPECT_TRUE(fails(w, "duplicate metadata key 'general.architecture'"));
}

TEST_F(GGUFReaderTest, RejectsImpossibleCounts) {
  GGUFTestWriter w = tiny();
  w.tensorCountOverride = 1ull << 40;
  EXPECT_TRUE(fails(w, "offset 8: tensor count 1099511627776 cannot fit"));
  GGUFTestWriter k = tiny();
  k.kvCountOverride = ~0ull;
  EXPECT_TRUE(fails(k, "offset 16: metadata count 18446744073709551615 "
                       "cannot fit"));
  GGUFTestWriter more = tiny();
  more.kvCountOverride = more.kvs.size() + 1;
  EXPECT_FALSE(!!read(more));
}

TEST_F(GGUFReaderTest, RejectsBadMetadataValues) {
  struct Case {
    const char *key;
    uint32_t type;
    std::string payload;
    const char *message;
  } cases[] = {
      {"general.architecture", GGUF_STRING, ggufString("falcon"),
       "unsupported architecture 'falcon' (supported: 'llama', 'qwen2', "
       "'gpt2')"},
      {"general.architecture", GGUF_U32, le32(1),
       "metadata 'general.architecture' has type u32, expected string"},
      {"llama.embedding_length", GGUF_STRING, ggufString("64"),
       "metadata 'llama.embedding_length' has type string, expected an "
       "integer"},
      {"llama.attention.head_count", GGUF_U32, le32(5),
       "dim 64 is not a multiple of n_heads 5"},
      {"llama.attention.head_count_kv", GGUF_U32, le32(3),
       "n_heads 4 is not a multiple of n_kv_heads 3"},
      {"llama.block_count", GGUF_I32, le32(uint32_t(-1)),
       "n_layers is -1, expected a value in [1, 4096]"},
      {"llama.block_count", GGUF_U64, le64(~0ull),
       "metadata 'llama.block_count' value 18446744073709551615 is too large"},
      {"llama.context_length", GGUF_U32, le32(0),
       "seq_len is 0, expected a value in [1,"},
      {"llama.attention.layer_norm_rms_epsilon", GGUF_U32, le32(1),
       "has type u32, expected f32 or f64"},
      {"llama.rope.freq_base", GGUF_F32, le32(0xff800000u),
       "RoPE theta -inf is not a finite positive number"},
      {"llama.rope.dimension_count", GGUF_U32, le32(8),
       "metadata 'llama.rope.dimension_count' is 8 but the head dimension "
       "is 16"},
      {"llama.rope.scaling.type", GGUF_STRING, ggufString("linear"),
       "RoPE scaling 'linear' is not supported"},
      {"llama.expert_count", GGUF_U32, le32(8),
       "mixture-of-experts models (llama.expert_count 8) are not supported"},
      {"llama.vocab_size", GGUF_U32, le32(41),
       "tokenizer has 40 tokens but the model's vocabulary size is 41"},
      {"general.alignment", GGUF_U32, le32(48),
       "general.alignment 48 is not a power of two"},
      {"general.alignment", GGUF_U32, le32(0),
       "general.alignment 0 is not a power of two"},
      {"tokenizer.ggml.model", GGUF_STRING, ggufString("bert"),
       "unsupported tokenizer model 'bert' (supported: 'llama'; 'gpt2' "
       "vocabularies are skipped)"},
      {"tokenizer.ggml.scores", GGUF_ARRAY, le32(GGUF_F32) + le64(2) + le64(0),
       "metadata 'tokenizer.ggml.scores' has 2 elements but there are 40 "
       "tokens"},
      {"tokenizer.ggml.scores", GGUF_ARRAY,
       le32(GGUF_STRING) + le64(1) + ggufString("x"),
       "metadata 'tokenizer.ggml.scores' has type array[string], expected an "
       "array of f32"},
      {"tokenizer.ggml.tokens", GGUF_STRING, ggufString("x"),
       "metadata 'tokenizer.ggml.tokens' has type string, expected an array "
       "of strings"},
      {"tokenizer.ggml.bos_token_id", GGUF_U32, le32(40),
       "metadata 'tokenizer.ggml.bos_token_id' is 40, outside the 40 tokens"},
      {"tokenizer.ggml.add_space_prefix", GGUF_U8, std::string(1, '\1'),
       "has type u8, expected bool"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.key);
    GGUFTestWriter w = tiny();
    w.setRaw(c.key, c.type, c.payload);
    EXPECT_TRUE(fails(w, c.message));
  }

  GGUFTestWriter types = tiny();
  std::vector<int32_t> tokenTypes(40, 1);
  tokenTypes[17] = 9;
  types.setI32Array("tokenizer.ggml.token_type", tokenTypes);
  EXPECT_TRUE(fails(types, "token 17 has type 9, expected 1 to 6"));
}

TEST_F(GGUFReaderTest, RejectsMissingRequiredKeys) {
  for (const char *key : {"general.architecture", "llama.embedding_length",
                          "llama.feed_forward_length", "llama.block_count",
                          "llama.attention.head_count", "llama.context_length",
                          "llama.attention.layer_norm_rms_epsilon"}) {
    GGUFTestWriter w = tiny();
    w.remove(key);
    EXPECT_TRUE(fails(w, std::string("missing metadata '") + key + "'"));
  }
  GGUFTestWriter w = tiny();
  w.remove("tokenizer.ggml.tokens");
  EXPECT_TRUE(fails(w, "'tokenizer.ggml.model' is present but "
                       "'tokenizer.ggml.tokens' is missing"));
}

//===----------------------------------------------------------------------===//
// Tensor table corruption
//===----------------------------------------------------------------------===//

TEST_F(GGUFReaderTest, RejectsUnsupportedTensorType) {
  GGUFTestWriter w = tiny();
  w.tensor("blk.0.ffn_down.weight")->type = 12;
  EXPECT_TRUE(fails(w, "unsupported tensor type 12 (Q4_K) for "
                       "'blk.0.ffn_down.weight'"));
  w.tensor("blk.0.ffn_down.weight")->type = 1000;
  EXPECT_TRUE(fails(w, "unsupported tensor type 1000 (unknown) for "
                       "'blk.0.ffn_down.weight'"));
}

TEST_F(GGUFReaderTest, RejectsBadDimensions) {
  GGUFTestWriter w = tiny();
  w.tensor("blk.0.attn_q.weight")->ne = {64, 1, 1, 1, 64};
  EXPECT_TRUE(fails(w, "tensor 'blk.0.attn_q.weight' has 5 dimensions, "
                       "expected 1 to 4"));
  w.tensor("blk.0.attn_q.weight")->ne = {};
  EXPECT_TRUE(fails(w, "has 0 dimensions"));
  w.tensor("blk.0.attn_q.weight")->ne = {64, 0};
  EXPECT_TRUE(fails(w, "dimension 1 of tensor 'blk.0.attn_q.weight' is 0"));
  w.tensor("blk.0.attn_q.weight")->ne = {1ull << 32, 1ull << 32};
  EXPECT_TRUE(fails(w, "dimension 1 of tensor 'blk.0.attn_q.weight' is "
                       "4294967296, which is zero or too large"));
}

TEST_F(GGUFReaderTest, RejectsPartialBlocks) {
  GGUFTestWriter w = tiny(TensorFormat::Q4_0);
  w.tensor("blk.0.attn_q.weight")->ne = {48, 64};
  EXPECT_TRUE(fails(w, "tensor 'blk.0.attn_q.weight' of type q4_0 has rows "
                       "of 48 elements, not a multiple of the block size 32"));
}

TEST_F(GGUFReaderTest, RejectsMisalignedOffset) {
  GGUFTestWriter w = tiny();
  w.tensor("blk.0.attn_k.weight")->offset = 16;
  EXPECT_TRUE(fails(w, "tensor 'blk.0.attn_k.weight' data offset 16 is not "
                       "a multiple of the alignment 32"));
}

TEST_F(GGUFReaderTest, RejectsDataPastEndOfFile) {
  GGUFTestWriter w = tiny();
  GGUFTestWriter::Tensor &last = w.tensors.back();
  last.offset = 1ull << 30;
  last.writeData = false;
  std::string bytes = w.build();
  uint64_t dataStart =
      bytes.size() - (w.layout()[w.tensors.size() - 2] +
                      w.tensors[w.tensors.size() - 2].dataBytes);
  std::string expected = "t.gguf: tensor 'blk.1.ffn_norm.weight' data "
                         "[offset " +
                         std::to_string(dataStart + (1ull << 30)) +
                         ", size 256) extends past end of file (size " +
                         std::to_string(bytes.size()) + ")";
  EXPECT_EQ(errorMessage(read(bytes)), expected);

  last.offset = ~0ull - 31; // aligned, but start + offset overflows
  EXPECT_TRUE(fails(w, "data [offset overflow, size 256) extends past end"));
}

TEST_F(GGUFReaderTest, RejectsOverlappingTensors) {
  GGUFTestWriter w = tiny();
  w.tensor("blk.0.attn_v.weight")->offset =
      w.layout()[3]; // blk.0.attn_q.weight's data
  EXPECT_TRUE(fails(w, "overlaps tensor"));
}

TEST_F(GGUFReaderTest, RejectsMissingTensor) {
  GGUFTestWriter w = tiny();
  w.removeTensor("blk.1.ffn_norm.weight");
  EXPECT_TRUE(fails(w, "missing tensor 'blk.1.ffn_norm.weight' (expected "
                       "shape [64])"));
  GGUFTestWriter e = tiny();
  e.removeTensor("token_embd.weight");
  EXPECT_TRUE(fails(e, "missing tensor 'token_embd.weight'"));
}

TEST_F(GGUFReaderTest, RejectsWrongShape) {
  GGUFTestWriter w = tiny();
  w.tensor("blk.0.attn_q.weight")->ne = {64, 128};
  w.tensor("blk.0.attn_q.weight")->dataBytes = 4 * 64 * 128;
  EXPECT_TRUE(fails(w, "tensor 'blk.0.attn_q.weight' has shape [128, 64], "
                       "expected [64, 64] (dim 64, hidden 96, heads 4, kv "
                       "heads 2, vocab 40)"));
  GGUFTestWriter t = tiny();
  t.tensor("blk.1.attn_k.weight")->ne = {32, 64}; // transposed
  EXPECT_TRUE(fails(t, "tensor 'blk.1.attn_k.weight' has shape [64, 32], "
                       "expected [32, 64]"));
  GGUFTestWriter o = tiny();
  o.tensor("output.weight")->ne = {64, 41};
  o.tensor("output.weight")->dataBytes = 4 * 64 * 41;
  EXPECT_TRUE(fails(o, "tensor 'output.weight' has shape [41, 64], expected "
                       "[40, 64]"));
}

TEST_F(GGUFReaderTest, RejectsUnexpectedAndDuplicateTensors) {
  GGUFTestWriter w = tiny();
  w.addTensor("rope_freqs.weight", {8}, TensorFormat::F32);
  EXPECT_TRUE(fails(w, "unexpected tensor 'rope_freqs.weight'"));
  GGUFTestWriter l = tiny();
  l.addTensor("blk.2.attn_norm.weight", {64}, TensorFormat::F32);
  EXPECT_TRUE(fails(l, "unexpected tensor 'blk.2.attn_norm.weight' (not "
                       "part of a llama model with 2 layers)"));
  GGUFTestWriter d = tiny();
  d.addTensor("blk.0.attn_norm.weight", {64}, TensorFormat::F32);
  EXPECT_TRUE(fails(d, "duplicate tensor 'blk.0.attn_norm.weight'"));
}

TEST_F(GGUFReaderTest, RejectsOverlongTensorName) {
  GGUFTestWriter w = tiny();
  w.tensors[0].name = std::string(5000, 'n');
  EXPECT_TRUE(fails(w, "length 5000 of name of tensor 0 exceeds the limit"));
}

} // namespace
