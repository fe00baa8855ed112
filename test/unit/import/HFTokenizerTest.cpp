//===- HFTokenizerTest.cpp - tokenizer.json through the runtime encoder ---===//
//
// Reads tokenizer.json files with readHFTokenizer, serializes them into the
// artifact's tokenizer section and encodes text with the runtime: the token
// ids must equal those of utils/hf-bpe-reference.py, a plain Python
// implementation of the `tokenizers` BPE (the expected ids below are its
// output, e.g. `hf-bpe-reference.py tokenizer.json "Hello, world!"`).
// Covered: the SentencePiece form of stories260K's export (utils/export-hf.py)
// and byte-level BPE with the real GPT-2 vocabulary and merges under the
// GPT-2, Llama-3 and Qwen2 pre-tokenizers.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/Importer.h"
#include "llmc/Import/ModelSource.h"
#include "llmc/runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace llmc;

namespace {

std::string modelsPath(const std::string &relative) {
  return std::string(LLMC_TEST_MODELS_DIR) + "/" + relative;
}

/// The runtime tokenizer of a serialized TokenizerData.
class RuntimeTokenizer {
public:
  explicit RuntimeTokenizer(const TokenizerData &data, int64_t vocabSize) {
    std::vector<char> section = serializeTokenizer(data);
    llmc_status_t status = llmc_tokenizer_create(
        reinterpret_cast<const uint8_t *>(section.data()), section.size(),
        vocabSize, "test", llmc_allocator_system(), &tokenizer);
    if (status) {
      error = llmc_status_message(status);
      llmc_status_free(status);
    }
  }
  ~RuntimeTokenizer() { llmc_tokenizer_release(tokenizer); }

  std::vector<int32_t> encode(const std::string &text) const {
    std::vector<int32_t> tokens(llmc_tokenizer_encode_capacity(text.size()));
    size_t count = 0;
    llmc_status_t status =
        llmc_tokenizer_encode(tokenizer, text.data(), text.size(), 0,
                              tokens.data(), tokens.size(), &count);
    EXPECT_EQ(status, nullptr) << llmc_status_message(status);
    llmc_status_free(status);
    tokens.resize(count);
    return tokens;
  }

  std::string decode(const std::vector<int32_t> &tokens) const {
    std::string text;
    int32_t prev = -1;
    for (int32_t token : tokens) {
      llmc_string_view_t piece;
      llmc_status_t status =
          llmc_tokenizer_decode(tokenizer, prev, token, &piece);
      EXPECT_EQ(status, nullptr);
      llmc_status_free(status);
      text.append(piece.data, piece.size);
      prev = token;
    }
    return text;
  }

  llmc_tokenizer_t *tokenizer = nullptr;
  std::string error;
};

/// tokenizer.json text, or empty (test skipped) if the file is missing.
std::string readText(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

/// The GPT-2 tokenizer.json with its pre-tokenizer replaced by a Split on
/// \p regex followed by a regex-less ByteLevel (how Llama-3 and Qwen2 write
/// theirs).
std::string withSplitRegex(const std::string &json, const std::string &regex) {
  llvm::Expected<llvm::json::Value> root = llvm::json::parse(json);
  EXPECT_TRUE(static_cast<bool>(root));
  if (!root) {
    llvm::consumeError(root.takeError());
    return "";
  }
  llvm::json::Object split{{"type", "Split"},
                           {"pattern", llvm::json::Object{{"Regex", regex}}},
                           {"behavior", "Isolated"},
                           {"invert", false}};
  llvm::json::Object byteLevel{
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  (*root->getAsObject())["pre_tokenizer"] = llvm::json::Object{
      {"type", "Sequence"},
      {"pretokenizers",
       llvm::json::Array{std::move(split), std::move(byteLevel)}}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << *root;
  return out;
}

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

/// Encodes each case's text; decoding the ids (without BOS) gives the text
/// back, after \p decodedPrefix (SentencePiece's dummy-prefix space).
void expectEncodings(const TokenizerData &data, int64_t vocabSize,
                     const std::vector<Case> &cases,
                     const std::string &decodedPrefix = "") {
  RuntimeTokenizer tokenizer(data, vocabSize);
  ASSERT_TRUE(tokenizer.error.empty()) << tokenizer.error;
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    std::vector<int32_t> ids = tokenizer.encode(c.text);
    EXPECT_EQ(ids, c.ids);
    EXPECT_EQ(tokenizer.decode(ids), decodedPrefix + c.text);
  }
}

constexpr int64_t kGPT2Vocab = 50295; // with the added whitespace tokens
const char kLlama3Regex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char kQwen2Regex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char kGPT2Tokenizer[] = "onnx/tiny-random-gpt2-contrib/tokenizer.json";

TEST(HFTokenizerTest, GPT2ByteLevel) {
  std::string json = readText(modelsPath(kGPT2Tokenizer));
  if (json.empty())
    GTEST_SKIP() << "missing " << modelsPath(kGPT2Tokenizer);
  llvm::Expected<TokenizerData> data =
      readHFTokenizer("gpt2/tokenizer.json", json, kGPT2Vocab, 50256, 50256);
  ASSERT_TRUE(static_cast<bool>(data)) << llvm::toString(data.takeError());
  EXPECT_TRUE(data->byteLevel);
  EXPECT_EQ(data->preTokenizer, PreTokenizerKind::GPT2);
  EXPECT_FALSE(data->addDummyPrefix);
  EXPECT_EQ(data->merges.size(), 50000u);
  EXPECT_EQ(data->pieces[995], " world"); // "Ġworld", decoded
  EXPECT_EQ(data->types[50256], TokenControl);
  expectEncodings(
      *data, kGPT2Vocab,
      {{"Hello, world! It's 2024.", {15496, 11, 995, 0, 632, 338, 48609, 13}},
       {"The quick brown fox\njumps  over",
        {464, 2068, 7586, 21831, 198, 73, 8142, 220, 625}},
       {"na\xC3\xAFve caf\xC3\xA9 \xE2\x80\x94 \xE6\x9D\xB1\xE4\xBA\xAC 123456",
        {2616, 38776, 40304, 851, 10545, 251, 109, 12859, 105, 17031, 29228}},
       {"I'LL  be\r\n\n back  \tend",
        {40, 6, 3069, 220, 307, 201, 628, 736, 220, 220, 197, 437}},
       {"a\n\n  b", {64, 628, 220, 275}}});
}

TEST(HFTokenizerTest, Llama3AndQwen2PreTokenizers) {
  std::string json = readText(modelsPath(kGPT2Tokenizer));
  if (json.empty())
    GTEST_SKIP() << "missing " << modelsPath(kGPT2Tokenizer);
  llvm::Expected<TokenizerData> llama3 = readHFTokenizer(
      "llama3.json", withSplitRegex(json, kLlama3Regex), kGPT2Vocab, -1, -1);
  ASSERT_TRUE(static_cast<bool>(llama3)) << llvm::toString(llama3.takeError());
  EXPECT_EQ(llama3->preTokenizer, PreTokenizerKind::Llama3);
  // Digits in groups of three; "'s" and " 2024" split differently than GPT-2.
  expectEncodings(
      *llama3, kGPT2Vocab,
      {{"Hello, world! It's 2024.",
        {15496, 11, 995, 0, 632, 338, 220, 19004, 19, 13}},
       {"na\xC3\xAFve caf\xC3\xA9 \xE2\x80\x94 \xE6\x9D\xB1\xE4\xBA\xAC 123456",
        {2616, 38776, 40304, 851, 10545, 251, 109, 12859, 105, 220, 10163,
         29228}},
       {"I'LL  be\r\n\n back  \tend",
        {40, 6, 3069, 220, 307, 201, 628, 736, 220, 220, 197, 437}}});

  llvm::Expected<TokenizerData> qwen2 = readHFTokenizer(
      "qwen2.json", withSplitRegex(json, kQwen2Regex), kGPT2Vocab, -1, -1);
  ASSERT_TRUE(static_cast<bool>(qwen2)) << llvm::toString(qwen2.takeError());
  EXPECT_EQ(qwen2->preTokenizer, PreTokenizerKind::Qwen2);
  expectEncodings(
      *qwen2, kGPT2Vocab,
      {{"Hello, world! It's 2024.",
        {15496, 11, 995, 0, 632, 338, 220, 17, 15, 17, 19, 13}},
       {"na\xC3\xAFve caf\xC3\xA9 \xE2\x80\x94 \xE6\x9D\xB1\xE4\xBA\xAC 123456",
        {2616, 38776, 40304, 851, 10545, 251, 109, 12859, 105, 220, 16, 17, 18,
         19, 20, 21}}});
}

TEST(HFTokenizerTest, UnknownRegexIsAnError) {
  std::string json = readText(modelsPath(kGPT2Tokenizer));
  if (json.empty())
    GTEST_SKIP() << "missing " << modelsPath(kGPT2Tokenizer);
  llvm::Expected<TokenizerData> data = readHFTokenizer(
      "x.json", withSplitRegex(json, "\\w+"), kGPT2Vocab, -1, -1);
  ASSERT_FALSE(static_cast<bool>(data));
  EXPECT_EQ(llvm::toString(data.takeError()),
            "x.json: the pre-tokenizer regex \"\\w+\" is not one llmc "
            "implements (GPT-2, Llama-3, Qwen2)");
}

/// The SentencePiece form written by utils/export-hf.py for stories260K: the
/// same ids as the reference BPE over its merges.
TEST(HFTokenizerTest, SentencePieceFormOfStories260K) {
  std::string dir = ::testing::TempDir() + "/hf-tokenizer-test";
  if (!llvm::sys::fs::can_execute("/usr/bin/python3"))
    GTEST_SKIP() << "no /usr/bin/python3";
  std::string script = std::string(LLMC_SOURCE_DIR) + "/utils/export-hf.py";
  std::string model = modelsPath("stories260K/stories260K.bin");
  std::string tok = modelsPath("stories260K/tok512.bin");
  int rc = llvm::sys::ExecuteAndWait("/usr/bin/python3",
                                     {"python3", script, model, tok, dir});
  if (rc != 0)
    GTEST_SKIP() << "export-hf.py failed (missing numpy or models?)";
  std::string json = readText(dir + "/tokenizer.json");
  llvm::Expected<TokenizerData> data =
      readHFTokenizer("tokenizer.json", json, 512, 1, 2);
  ASSERT_TRUE(static_cast<bool>(data)) << llvm::toString(data.takeError());
  EXPECT_FALSE(data->byteLevel);
  EXPECT_TRUE(data->addDummyPrefix);
  EXPECT_EQ(data->types[0], TokenUnknown); // also an added special token
  EXPECT_EQ(data->types[1], TokenControl); // <s>
  EXPECT_EQ(data->types[3], TokenByte);    // <0x00>
  EXPECT_EQ(data->pieces[261], "\xE2\x96\x81"
                               "a");
  expectEncodings(
      *data, 512,
      {{"Once upon a time", {403, 407, 261, 378}},
       {"Hello, w\xC3\xB6rld! 123",
        {346, 306, 414, 432, 263, 198, 185, 420, 341, 443, 410, 475, 479, 472}},
       {"\xE6\x9D\xB1", {410, 233, 160, 180}}},
      " ");
}

} // namespace
