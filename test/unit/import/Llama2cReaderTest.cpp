//===- Llama2cReaderTest.cpp - Tests of the llama2.c readers --------------===//

#include "TestModels.h"

#include "llmc/Import/ModelSource.h"

#include "gtest/gtest.h"

using namespace llmc;
using namespace llmc::test;

namespace {

class Llama2cReaderTest : public ::testing::Test {
protected:
  llvm::Expected<ModelSource> read(const std::string &bytes,
                                   const std::string &tokenizerBytes = "",
                                   bool withTokenizer = false) {
    buffer = bytes;
    std::unique_ptr<llvm::MemoryBuffer> tok;
    if (withTokenizer)
      tok = llvm::MemoryBuffer::getMemBufferCopy(tokenizerBytes, "tok.bin");
    return readLlama2c("m.bin", llvm::MemoryBufferRef(buffer, "m.bin"),
                       tok.get());
  }
  ::testing::AssertionResult fails(const int32_t header[7],
                                   const std::string &substring,
                                   int64_t extraBytes = 0) {
    return failsWith(read(makeLlama2c(header, extraBytes)), "m.bin", substring);
  }
  llvm::Expected<TokenizerData> readTokenizer(const std::string &bytes,
                                              int64_t vocab) {
    tokBuffer = bytes;
    return readLlama2cTokenizer(
        "tok.bin", llvm::MemoryBufferRef(tokBuffer, "tok.bin"), vocab);
  }

  std::string buffer, tokBuffer;
};

/// dim 64, hidden 96, 2 layers, 4 heads, 2 KV heads, vocab 40, seq 128.
const int32_t kTiny[7] = {64, 96, 2, 4, 2, 40, 128};

TEST_F(Llama2cReaderTest, ReadsSharedClassifierCheckpoint) {
  llvm::Expected<ModelSource> source = read(makeLlama2c(kTiny));
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  const ModelConfig &c = source->config;
  EXPECT_EQ(source->sourceFormat, SourceFormat::Llama2c);
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hiddenDim, 96);
  EXPECT_EQ(c.numLayers, 2);
  EXPECT_EQ(c.numHeads, 4);
  EXPECT_EQ(c.numKVHeads, 2);
  EXPECT_EQ(c.vocabSize, 40);
  EXPECT_EQ(c.maxSeqLen, 128);
  EXPECT_TRUE(c.tiedClassifier);
  EXPECT_FALSE(source->hasTokenizer);
  EXPECT_EQ(source->find("output.weight"), nullptr);
  ASSERT_EQ(source->tensors.size(), 2u + 2 * 9);

  /// Offsets follow the stacked layout, layer l at base + l * slice.
  const uint64_t f = 4, embd = 28, rmsAtt = embd + 40 * 64 * f,
                 wq = rmsAtt + 2 * 64 * f, wk = wq + 2 * 64 * 64 * f,
                 wv = wk + 2 * 32 * 64 * f, wo = wv + 2 * 32 * 64 * f,
                 rmsFfn = wo + 2 * 64 * 64 * f, w1 = rmsFfn + 2 * 64 * f,
                 w2 = w1 + 2 * 96 * 64 * f, w3 = w2 + 2 * 64 * 96 * f,
                 rmsFinal = w3 + 2 * 96 * 64 * f;
  struct {
    const char *name;
    uint64_t offset, size;
    std::vector<int64_t> shape;
  } expected[] = {
      {"token_embd.weight", embd, 40 * 64 * f, {40, 64}},
      {"blk.0.attn_norm.weight", rmsAtt, 64 * f, {64}},
      {"blk.1.attn_norm.weight", rmsAtt + 64 * f, 64 * f, {64}},
      {"blk.1.attn_q.weight", wq + 64 * 64 * f, 64 * 64 * f, {64, 64}},
      {"blk.1.attn_k.weight", wk + 32 * 64 * f, 32 * 64 * f, {32, 64}},
      {"blk.0.attn_v.weight", wv, 32 * 64 * f, {32, 64}},
      {"blk.1.attn_output.weight", wo + 64 * 64 * f, 64 * 64 * f, {64, 64}},
      {"blk.1.ffn_norm.weight", rmsFfn + 64 * f, 64 * f, {64}},
      {"blk.1.ffn_gate.weight", w1 + 96 * 64 * f, 96 * 64 * f, {96, 64}},
      {"blk.1.ffn_down.weight", w2 + 64 * 96 * f, 64 * 96 * f, {64, 96}},
      {"blk.1.ffn_up.weight", w3 + 96 * 64 * f, 96 * 64 * f, {96, 64}},
      {"output_norm.weight", rmsFinal, 64 * f, {64}},
  };
  for (const auto &e : expected) {
    SCOPED_TRACE(e.name);
    const TensorRef *t = source->find(e.name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->offset, e.offset);
    EXPECT_EQ(t->size, e.size);
    EXPECT_EQ(t->shape, e.shape);
    EXPECT_EQ(t->format, TensorFormat::F32);
  }
  /// Tensors are listed in file order.
  for (size_t i = 1; i < source->tensors.size(); ++i)
    EXPECT_LT(source->tensors[i - 1].offset, source->tensors[i].offset);
  /// freq_cis_real/imag [128, 8] follow rms_final and end the file.
  EXPECT_EQ(rmsFinal + 64 * f + 2 * 128 * 8 * f, buffer.size());
}

TEST_F(Llama2cReaderTest, ReadsUnsharedClassifier) {
  int32_t header[7] = {64, 96, 2, 4, 2, -40, 128};
  llvm::Expected<ModelSource> source = read(makeLlama2c(header));
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  EXPECT_FALSE(source->config.tiedClassifier);
  EXPECT_EQ(source->config.vocabSize, 40);
  const TensorRef *out = source->find("output.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->shape, (std::vector<int64_t>{40, 64}));
  EXPECT_EQ(out->offset + out->size, buffer.size());
}

TEST_F(Llama2cReaderTest, ReadsTokenizerInGGUFSpelling) {
  std::vector<std::string> raw = {"<unk>", "\n<s>\n", "\n</s>\n", "<0x0A>",
                                  " the",  "a b",     "<0xZZ>",   "<0x41"};
  int32_t header[7] = {64, 96, 1, 4, 2, 8, 16};
  llvm::Expected<ModelSource> source =
      read(makeLlama2c(header), makeLlama2cTokenizer(raw), true);
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  ASSERT_TRUE(source->hasTokenizer);
  const TokenizerData &tok = source->tokenizer;
  EXPECT_EQ(tok.pieces, (std::vector<std::string>{"<unk>", "<s>", "</s>",
                                                  "<0x0A>", "\xE2\x96\x81the",
                                                  "a\xE2\x96\x81"
                                                  "b",
                                                  "<0xZZ>", "<0x41"}));
  EXPECT_EQ(tok.types, (std::vector<uint32_t>{2, 3, 3, 6, 1, 1, 1, 1}));
  EXPECT_EQ(tok.scores[5], -5.0f);
  EXPECT_EQ(tok.bosId, 1);
  EXPECT_EQ(tok.eosId, 2);
  EXPECT_TRUE(tok.addDummyPrefix);
  EXPECT_EQ(tok.maxTokenLength, 6u); // "<0x0A>", "▁the"
}

TEST_F(Llama2cReaderTest, RejectsWrongFileSize) {
  std::string good = makeLlama2c(kTiny);
  std::string expected =
      "m.bin: file has " + std::to_string(good.size() - 4) +
      " bytes but its header (dim 64, hidden_dim 96, n_layers 2, n_heads 4, "
      "n_kv_heads 2, vocab_size 40, seq_len 128) implies " +
      std::to_string(good.size()) + " bytes; the file is truncated";
  EXPECT_EQ(errorMessage(read(makeLlama2c(kTiny, -4))), expected);
  EXPECT_TRUE(fails(kTiny, "there are 3 unexpected trailing bytes", 3));
  int32_t unshared[7] = {64, 96, 2, 4, 2, -40, 128};
  // A shared-classifier file read as unshared lacks the classifier.
  EXPECT_TRUE(
      failsWith(read(makeLlama2c(kTiny).replace(20, 4, le32(uint32_t(-40)))),
                "m.bin", "the file is truncated"));
  EXPECT_TRUE(fails(unshared, "truncated", -1));
}

TEST_F(Llama2cReaderTest, RejectsShortHeader) {
  EXPECT_TRUE(failsWith(read(std::string(27, '\1')), "m.bin",
                        "offset 24: unexpected end of file reading the "
                        "llama2.c header (7 int32) (4 bytes needed, 3 left)"));
  EXPECT_TRUE(failsWith(read(""), "m.bin", "unexpected end of file"));
}

TEST_F(Llama2cReaderTest, RejectsBadHeaderValues) {
  struct Case {
    int32_t header[7];
    const char *message;
  } cases[] = {
      {{0, 96, 2, 4, 2, 40, 128}, "dim is 0, expected a value in [1, "},
      {{64, -96, 2, 4, 2, 40, 128}, "hidden_dim is -96"},
      {{64, 96, -3, 4, 2, 40, 128}, "n_layers is -3"},
      {{64, 96, 5000, 4, 2, 40, 128},
       "n_layers is 5000, expected a value in [1, 4096]"},
      {{64, 96, 2, 0, 2, 40, 128}, "n_heads is 0"},
      {{64, 96, 2, 4, 0, 40, 128}, "n_kv_heads is 0"},
      {{64, 96, 2, 4, 2, 0, 128}, "vocab_size is 0"},
      {{64, 96, 2, 4, 2, INT32_MIN, 128}, "vocab_size is 2147483648"},
      {{64, 96, 2, 4, 2, 40, 0}, "seq_len is 0"},
      {{64, 96, 2, 5, 5, 40, 128}, "dim 64 is not a multiple of n_heads 5"},
      {{64, 96, 2, 4, 3, 40, 128},
       "n_heads 4 is not a multiple of n_kv_heads 3"},
      {{12, 96, 2, 4, 2, 40, 128}, "head dimension 3 (dim / n_heads) is odd"},
      {{1 << 24, 1 << 24, 4096, 1 << 23, 1 << 23, 1 << 24, 1 << 24},
       "implies a file larger than 2^64 bytes"},
      {{1 << 20, 1 << 20, 64, 1 << 10, 1 << 10, 1 << 20, 1 << 20},
       "implies 1974727719518236 bytes; the file is truncated"},
      {{1 << 25, 96, 2, 4, 2, 40, 128}, "dim is 33554432"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_TRUE(failsWith(read(makeLlama2c(c.header, 64)), "m.bin", c.message));
  }
}

TEST_F(Llama2cReaderTest, RecognizesOtherFormats) {
  std::string gguf = "GGUF" + std::string(100, '\0');
  EXPECT_TRUE(failsWith(read(gguf), "m.bin",
                        "file is GGUF, not a llama2.c checkpoint"));
  std::string v1 = le32(0x616b3432) + le32(1) + std::string(248, '\0');
  EXPECT_TRUE(failsWith(read(v1), "m.bin",
                        "llama2.c export version 1 (magic 'ak42') is not "
                        "supported"));
}

TEST_F(Llama2cReaderTest, RejectsBadTokenizers) {
  std::vector<std::string> pieces = tinyVocab(40);
  std::string good = makeLlama2cTokenizer(pieces);
  ASSERT_TRUE(!!readTokenizer(good, 40));

  // Through readLlama2c, the tokenizer's own path leads the message.
  EXPECT_TRUE(failsWith(read(makeLlama2c(kTiny), good.substr(0, 400), true),
                        "tok.bin", "unexpected end of file"));
  EXPECT_TRUE(failsWith(readTokenizer(good, 41), "tok.bin",
                        "cannot hold the model's 41 tokens") ||
              failsWith(readTokenizer(good, 41), "tok.bin",
                        "unexpected end of file reading score of token 40"));
  EXPECT_TRUE(failsWith(readTokenizer(good, 39), "tok.bin",
                        "trailing bytes after the 39 tokens"));
  EXPECT_TRUE(failsWith(readTokenizer(good.substr(0, good.size() - 1), 40),
                        "tok.bin",
                        "unexpected end of file reading token 39 (6 bytes "
                        "needed, 5 left)"));
  EXPECT_TRUE(failsWith(readTokenizer(makeLlama2cTokenizer(pieces, 0), 40),
                        "tok.bin", "offset 0: max_token_length 0 is outside"));
  EXPECT_TRUE(failsWith(readTokenizer(makeLlama2cTokenizer(pieces, 3), 40),
                        "tok.bin",
                        "offset 4: token 0 has length 5, outside [0, 3] "
                        "(max_token_length)"));
  std::string negative = good;
  negative.replace(4 + 4, 4, le32(uint32_t(-2)));
  EXPECT_TRUE(failsWith(readTokenizer(negative, 40), "tok.bin",
                        "token 0 has length -2"));
  EXPECT_TRUE(failsWith(readTokenizer("", 40), "tok.bin",
                        "unexpected end of file reading max_token_length"));
  EXPECT_TRUE(failsWith(readTokenizer(good, 1ll << 40), "tok.bin",
                        "cannot hold the model's 1099511627776 tokens"));
}

} // namespace
