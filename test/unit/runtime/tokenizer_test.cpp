// Tests of the SentencePiece-BPE tokenizer against llama2.c's tok512.bin.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llmc/format.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"
#include "runtime_test_util.h"

namespace {

using llmc_test::Consume;
using llmc_test::TestAllocator;
using llmc_test::TokenizerPtr;

/// Encodes `text` (with BOS if `bos`) and returns the ids.
std::vector<int32_t> Encode(const llmc_tokenizer_t *tokenizer,
                            const std::string &text, bool bos = true,
                            bool eos = false) {
  std::vector<int32_t> tokens(llmc_tokenizer_encode_capacity(text.size()));
  size_t count = 0;
  uint32_t flags =
      (bos ? LLMC_ENCODE_ADD_BOS : 0u) | (eos ? LLMC_ENCODE_ADD_EOS : 0u);
  EXPECT_TRUE(llmc_test::IsOk(
      llmc_tokenizer_encode(tokenizer, text.data(), text.size(), flags,
                            tokens.data(), tokens.size(), &count)));
  tokens.resize(count);
  return tokens;
}

/// Decodes a token sequence as the generation loop does (piece after piece).
std::string Decode(const llmc_tokenizer_t *tokenizer,
                   const std::vector<int32_t> &tokens) {
  std::string text;
  for (size_t i = 1; i < tokens.size(); ++i) {
    llmc_string_view_t piece;
    EXPECT_TRUE(llmc_test::IsOk(
        llmc_tokenizer_decode(tokenizer, tokens[i - 1], tokens[i], &piece)));
    text.append(piece.data, piece.size);
  }
  return text;
}

std::string Piece(const llmc_tokenizer_t *tokenizer, int32_t token) {
  llmc_string_view_t piece;
  EXPECT_TRUE(llmc_test::IsOk(llmc_tokenizer_piece(tokenizer, token, &piece)));
  return std::string(piece.data, piece.size);
}

class Tok512Test : public ::testing::Test {
protected:
  void SetUp() override {
    section_ = llmc_test::Tok512Section();
    if (section_.empty())
      GTEST_SKIP() << "missing " << llmc_test::Tok512Path();
    llmc_tokenizer_t *tokenizer = nullptr;
    LLMC_ASSERT_OK(llmc_tokenizer_create(section_.data(), section_.size(), 512,
                                         "tok512", allocator_.get(),
                                         &tokenizer));
    tokenizer_.reset(tokenizer);
  }
  void TearDown() override {
    tokenizer_.reset();
    EXPECT_EQ(allocator_.live(), 0);
  }
  llmc_test::TestAllocator allocator_;
  std::vector<uint8_t> section_;
  TokenizerPtr tokenizer_;
};

TEST_F(Tok512Test, Properties) {
  EXPECT_EQ(llmc_tokenizer_vocab_size(tokenizer_.get()), 512);
  EXPECT_EQ(llmc_tokenizer_bos_id(tokenizer_.get()), 1);
  EXPECT_EQ(llmc_tokenizer_eos_id(tokenizer_.get()), 2);
  EXPECT_EQ(llmc_tokenizer_flags(tokenizer_.get()),
            LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX |
                LLMC_TOKENIZER_FLAG_BYTE_FALLBACK);
  // llama2.c's export names BOS/EOS "\n<s>\n" and "\n</s>\n".
  EXPECT_EQ(Piece(tokenizer_.get(), 1), "\n<s>\n");
  EXPECT_EQ(Piece(tokenizer_.get(), 3), "<0x00>");
  EXPECT_EQ(Piece(tokenizer_.get(), 403), " Once");
}

TEST_F(Tok512Test, OnceUponATime) {
  // llama2.c: BOS (1); the dummy prefix " " and the 16 characters map to
  // single-character pieces; then BPE merges the pair whose concatenation has
  // the highest score until none is left. tok512's scores fall with the id
  // (merge order), so the earliest-learned merges win: " " + "t" -> " t"
  // (259, score 0), "i"+"m" -> "im", "o"+"n" -> "on", " "+"a" -> " a" (261)
  // ... and the words end as " Once" (403), " upon" (407), " a" (261) and
  // " time" (378): no two of these concatenate to a piece.
  const std::vector<int32_t> expected = {1, 403, 407, 261, 378};
  EXPECT_EQ(Encode(tokenizer_.get(), "Once upon a time"), expected);
  EXPECT_EQ(Piece(tokenizer_.get(), 407), " upon");
  EXPECT_EQ(Piece(tokenizer_.get(), 261), " a");
  EXPECT_EQ(Piece(tokenizer_.get(), 378), " time");
  EXPECT_EQ(Decode(tokenizer_.get(), expected), "Once upon a time");
}

TEST_F(Tok512Test, LongerSentence) {
  // Reference ids from an independent implementation of llama2.c's encode().
  const std::string text = "Once upon a time, there was a little girl named "
                           "Lily. She loved to play outside in the park.";
  const std::vector<int32_t> expected = {
      1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298,
      315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410,
      408, 419, 292, 411, 322, 265, 282, 295, 433, 426};
  std::vector<int32_t> tokens = Encode(tokenizer_.get(), text);
  EXPECT_EQ(tokens, expected);
  EXPECT_EQ(Decode(tokenizer_.get(), tokens), text);
}

TEST_F(Tok512Test, ByteFallbackForMissingCharacters) {
  // "\n" has no piece in tok512: it falls back to "<0x0A>" (id 13), found by
  // its text. 'é' (C3 A9) is a piece (485); '你' (E4 BD A0) is not, so it
  // becomes three byte pieces.
  std::vector<int32_t> tokens =
      Encode(tokenizer_.get(), "Tom and Sue's dog ran 100 miles!\nThe end.");
  const std::vector<int32_t> expected = {
      1,   274, 287, 269, 301, 425, 411, 439, 419, 400, 428, 352, 303, 410,
      475, 477, 477, 284, 290, 406, 443, 13,  434, 260, 344, 264, 426};
  EXPECT_EQ(tokens, expected);
  EXPECT_EQ(Piece(tokenizer_.get(), 13), "<0x0A>");

  const std::string utf8 =
      "Hello, world! h\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd";
  tokens = Encode(tokenizer_.get(), utf8);
  const std::vector<int32_t> expected_utf8 = {1,   346, 306, 414, 432, 263, 304,
                                              341, 443, 270, 485, 306, 414, 410,
                                              231, 192, 163, 232, 168, 192};
  EXPECT_EQ(tokens, expected_utf8);
  EXPECT_EQ(Piece(tokenizer_.get(), 231), "<0xE4>");
  EXPECT_EQ(Decode(tokenizer_.get(), tokens), utf8);
}

TEST_F(Tok512Test, EmptyTextAndFlags) {
  EXPECT_EQ(Encode(tokenizer_.get(), ""), std::vector<int32_t>{1});
  EXPECT_EQ(Encode(tokenizer_.get(), "", false), std::vector<int32_t>{});
  EXPECT_EQ(Encode(tokenizer_.get(), "", true, true),
            (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(Encode(tokenizer_.get(), "Once", false, true),
            (std::vector<int32_t>{403, 2}));
}

TEST_F(Tok512Test, InvalidUtf8FallsBackToBytes) {
  // A lone continuation byte and a truncated sequence: every byte survives.
  const std::string text = "a\x80\xff\xc3";
  std::vector<int32_t> tokens = Encode(tokenizer_.get(), text);
  EXPECT_EQ(Decode(tokenizer_.get(), tokens), text);
}

TEST_F(Tok512Test, RoundTripsPrintableAscii) {
  std::string text;
  for (char c = ' '; c <= '~'; ++c)
    text += c;
  text += " The quick brown fox jumps over the lazy dog.";
  EXPECT_EQ(Decode(tokenizer_.get(), Encode(tokenizer_.get(), text)), text);
}

TEST_F(Tok512Test, DecodeStripsSpaceOnlyAfterBos) {
  llmc_string_view_t piece;
  LLMC_ASSERT_OK(llmc_tokenizer_decode(tokenizer_.get(), 1, 403, &piece));
  EXPECT_EQ(std::string(piece.data, piece.size), "Once");
  LLMC_ASSERT_OK(llmc_tokenizer_decode(tokenizer_.get(), 261, 403, &piece));
  EXPECT_EQ(std::string(piece.data, piece.size), " Once");
  LLMC_ASSERT_OK(llmc_tokenizer_decode(tokenizer_.get(), -1, 403, &piece));
  EXPECT_EQ(std::string(piece.data, piece.size), " Once");
  // Byte pieces decode to the raw byte, NUL included.
  LLMC_ASSERT_OK(llmc_tokenizer_decode(tokenizer_.get(), 5, 13, &piece));
  EXPECT_EQ(std::string(piece.data, piece.size), "\n");
  LLMC_ASSERT_OK(llmc_tokenizer_decode(tokenizer_.get(), 5, 3, &piece));
  EXPECT_EQ(std::string(piece.data, piece.size), std::string(1, '\0'));
  EXPECT_EQ(
      Consume(llmc_tokenizer_decode(tokenizer_.get(), 1, 512, &piece)).code,
      LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(
      Consume(llmc_tokenizer_decode(tokenizer_.get(), 1, -1, &piece)).code,
      LLMC_STATUS_OUT_OF_RANGE);
}

TEST_F(Tok512Test, LookupUsesTheSortedIndex) {
  for (int32_t id = 3; id < 512; ++id) {
    std::string piece = Piece(tokenizer_.get(), id);
    EXPECT_EQ(
        llmc_tokenizer_lookup(tokenizer_.get(), piece.data(), piece.size()), id)
        << piece;
  }
  // Control and unknown pieces are not produced from text.
  EXPECT_EQ(llmc_tokenizer_lookup(tokenizer_.get(), "\n<s>\n", 5), -1);
  EXPECT_EQ(llmc_tokenizer_lookup(tokenizer_.get(), "<unk>", 5), -1);
  EXPECT_EQ(llmc_tokenizer_lookup(tokenizer_.get(), "zzzz", 4), -1);
  EXPECT_EQ(llmc_tokenizer_lookup(tokenizer_.get(), "", 0), -1);
}

TEST_F(Tok512Test, TooSmallBufferFails) {
  int32_t tokens[2];
  size_t count = 0;
  EXPECT_EQ(
      Consume(llmc_tokenizer_encode(tokenizer_.get(), "Once upon", 9,
                                    LLMC_ENCODE_ADD_BOS, tokens, 2, &count))
          .code,
      LLMC_STATUS_RESOURCE_EXHAUSTED);
}

TEST_F(Tok512Test, LongTextEncodesAndRoundTrips) {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "One day, Lily went to the park with her mom. ";
  std::vector<int32_t> tokens = Encode(tokenizer_.get(), text);
  EXPECT_LT(tokens.size(), text.size() / 2);
  EXPECT_EQ(Decode(tokenizer_.get(), tokens), text);
}

TEST(Tok512AllocTest, AllocationFailuresAreCleanAndLeakFree) {
  std::vector<uint8_t> section = llmc_test::Tok512Section();
  LLMC_REQUIRE_TOK512(section);
  for (int fail_after = 0;; ++fail_after) {
    TestAllocator allocator;
    allocator.FailAfter(fail_after);
    llmc_tokenizer_t *tokenizer = nullptr;
    llmc_status_t status =
        llmc_tokenizer_create(section.data(), section.size(), 512, "tok512",
                              allocator.get(), &tokenizer);
    if (status == LLMC_OK) {
      // Encoding allocates scratch too.
      int32_t tokens[32];
      size_t count = 0;
      status = llmc_tokenizer_encode(tokenizer, "Once upon", 9,
                                     LLMC_ENCODE_ADD_BOS, tokens, 32, &count);
      llmc_tokenizer_release(tokenizer);
    } else {
      EXPECT_EQ(tokenizer, nullptr);
    }
    EXPECT_EQ(allocator.live(), 0);
    if (status == LLMC_OK)
      break;
    EXPECT_EQ(Consume(status).code, LLMC_STATUS_RESOURCE_EXHAUSTED);
    ASSERT_LT(fail_after, 20);
  }
}

//===----------------------------------------------------------------------===//
// Synthetic vocabularies: merge order, flags, fallbacks.
//===----------------------------------------------------------------------===//

TokenizerPtr MakeTokenizer(const std::vector<llmw_fixture_token_t> &tokens,
                           int32_t bos, int32_t eos, uint32_t flags) {
  uint8_t *section = nullptr;
  size_t size = 0;
  EXPECT_EQ(llmw_fixture_build_tokenizer(tokens.data(),
                                         static_cast<uint32_t>(tokens.size()),
                                         bos, eos, flags, &section, &size),
            0);
  llmc_tokenizer_t *tokenizer = nullptr;
  EXPECT_TRUE(llmc_test::IsOk(llmc_tokenizer_create(
      section, size, 0, "synthetic", llmc_allocator_system(), &tokenizer)));
  std::free(section);
  return TokenizerPtr(tokenizer);
}

TEST(SyntheticTokenizerTest, HighestScoreMergesFirst) {
  TokenizerPtr tokenizer = MakeTokenizer({{"a", 1, 0, 1},
                                          {"b", 1, 0, 1},
                                          {"c", 1, 0, 1},
                                          {"ab", 2, 1.0f, 1},
                                          {"bc", 2, 2.0f, 1}},
                                         -1, -1, 0);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(Encode(tokenizer.get(), "abc"), (std::vector<int32_t>{0, 4}));
}

TEST(SyntheticTokenizerTest, TiesMergeLeftmostFirst) {
  TokenizerPtr tokenizer = MakeTokenizer({{"a", 1, 0, 1},
                                          {"b", 1, 0, 1},
                                          {"c", 1, 0, 1},
                                          {"ab", 2, 2.0f, 1},
                                          {"bc", 2, 2.0f, 1}},
                                         -1, -1, 0);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(Encode(tokenizer.get(), "abc"), (std::vector<int32_t>{3, 2}));
}

TEST(SyntheticTokenizerTest, MergesChain) {
  // "aaaa": a+a -> "aa" (leftmost first, twice), then "aa"+"aa" -> "aaaa".
  TokenizerPtr tokenizer = MakeTokenizer(
      {{"a", 1, 0, 1}, {"aa", 2, 5.0f, 1}, {"aaaa", 4, 1.0f, 1}}, -1, -1, 0);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(Encode(tokenizer.get(), "aaaa"), (std::vector<int32_t>{2}));
  EXPECT_EQ(Encode(tokenizer.get(), "aaaaa"), (std::vector<int32_t>{2, 0}));
}

TEST(SyntheticTokenizerTest, NoDummyPrefixWithoutFlag) {
  TokenizerPtr plain = MakeTokenizer(
      {{" ", 1, 0, 1}, {"a", 1, 0, 1}, {" a", 2, 1, 1}}, -1, -1, 0);
  TokenizerPtr prefixed =
      MakeTokenizer({{" ", 1, 0, 1}, {"a", 1, 0, 1}, {" a", 2, 1, 1}}, -1, -1,
                    LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX);
  ASSERT_TRUE(plain && prefixed);
  EXPECT_EQ(Encode(plain.get(), "a"), (std::vector<int32_t>{1}));
  EXPECT_EQ(Encode(prefixed.get(), "a"), (std::vector<int32_t>{2}));
}

TEST(SyntheticTokenizerTest, UnknownTokenWithoutByteFallback) {
  TokenizerPtr tokenizer = MakeTokenizer(
      {{"<unk>", 5, 0, LLMC_TOKEN_TYPE_UNKNOWN}, {"a", 1, 0, 1}}, -1, -1, 0);
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(Encode(tokenizer.get(), "axa"), (std::vector<int32_t>{1, 0, 1}));
}

TEST(SyntheticTokenizerTest, NoFallbackAtAllIsAnError) {
  TokenizerPtr tokenizer = MakeTokenizer({{"a", 1, 0, 1}}, -1, -1, 0);
  ASSERT_TRUE(tokenizer);
  int32_t tokens[8];
  size_t count = 0;
  EXPECT_EQ(Consume(llmc_tokenizer_encode(tokenizer.get(), "ax", 2, 0, tokens,
                                          8, &count))
                .code,
            LLMC_STATUS_OUT_OF_RANGE);
}

TEST(SyntheticTokenizerTest, BytePiecesFoundByTextNotByOffset) {
  // Byte pieces in an unusual place (ids 2 and 3 rather than byte + 3).
  std::vector<llmw_fixture_token_t> tokens = {
      {"<s>", 3, 0, LLMC_TOKEN_TYPE_CONTROL}, {"a", 1, 0, 1}};
  std::vector<std::string> names(256);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    names[b] = name;
  }
  // Put 'x' (0x78) first, the rest after it.
  tokens.push_back({names[0x78].c_str(), 6, 0, LLMC_TOKEN_TYPE_BYTE});
  for (int b = 0; b < 256; ++b)
    if (b != 0x78)
      tokens.push_back({names[b].c_str(), 6, 0, LLMC_TOKEN_TYPE_BYTE});
  TokenizerPtr tokenizer =
      MakeTokenizer(tokens, 0, -1, LLMC_TOKENIZER_FLAG_BYTE_FALLBACK);
  ASSERT_TRUE(tokenizer);
  std::vector<int32_t> ids = Encode(tokenizer.get(), "ax");
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(Decode(tokenizer.get(), ids), "ax");
}

} // namespace
