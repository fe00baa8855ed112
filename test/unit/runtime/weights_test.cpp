// Tests of the LLMW weights loader: a valid file and each kind of corruption.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "fake_model.h"
#include "llmc/format.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"
#include "runtime_test_util.h"

namespace {

using llmc_test::Buffer;
using llmc_test::Consume;
using llmc_test::HugePagesOffered;
using llmc_test::StatusInfo;
using llmc_test::TestAllocator;
using llmc_test::TokenizerPtr;
using llmc_test::WeightsPtr;

constexpr uint64_t kModelId = 0x0123456789abcdefull;
constexpr size_t kDataSize = 200;

// Header field offsets (format.h).
constexpr size_t kVersion = 8, kHeaderSize = 12, kModelIdOffset = 24,
                 kDataOffset = 32, kDataSizeOffset = 40, kTokenizerOffset = 48,
                 kTokenizerSize = 56;

/// A small valid tokenizer: a few pieces, BOS and EOS.
std::vector<uint8_t> SmallTokenizer(int32_t bos = 1, int32_t eos = 2,
                                    uint32_t flags = 0) {
  const llmw_fixture_token_t tokens[] = {
      {"<unk>", 5, 0.0f, LLMC_TOKEN_TYPE_UNKNOWN},
      {"<s>", 3, 0.0f, LLMC_TOKEN_TYPE_CONTROL},
      {"</s>", 4, 0.0f, LLMC_TOKEN_TYPE_CONTROL},
      {"a", 1, -1.0f, LLMC_TOKEN_TYPE_NORMAL},
      {"b", 1, -2.0f, LLMC_TOKEN_TYPE_NORMAL},
      {"ab", 2, -3.0f, LLMC_TOKEN_TYPE_NORMAL},
  };
  uint8_t *section = nullptr;
  size_t size = 0;
  EXPECT_EQ(
      llmw_fixture_build_tokenizer(tokens, 6, bos, eos, flags, &section, &size),
      0);
  std::vector<uint8_t> bytes(section, section + size);
  std::free(section);
  return bytes;
}

/// A valid file image: 200 bytes of data at 128, tokenizer after it.
std::vector<uint8_t> ValidFile() {
  std::vector<uint8_t> data(kDataSize);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> tokenizer = SmallTokenizer();
  uint8_t *file = nullptr;
  size_t size = 0;
  EXPECT_EQ(llmw_fixture_build_file(kModelId, data.data(), data.size(),
                                    tokenizer.data(), tokenizer.size(), &file,
                                    &size),
            0);
  std::vector<uint8_t> bytes(file, file + size);
  std::free(file);
  return bytes;
}

/// Opens `bytes` from memory; returns the status (weights released).
StatusInfo OpenStatus(const std::vector<uint8_t> &bytes) {
  llmc_weights_t *weights = nullptr;
  llmc_status_t status =
      llmc_weights_open_memory(bytes.data(), bytes.size(), "model.llmw",
                               llmc_allocator_system(), &weights);
  llmc_weights_release(weights);
  if (status == LLMC_OK)
    EXPECT_NE(weights, nullptr);
  else
    EXPECT_EQ(weights, nullptr);
  return Consume(status);
}

/// Opens `bytes` and parses its tokenizer section.
StatusInfo TokenizerStatus(const std::vector<uint8_t> &bytes,
                           int64_t expected_vocab = 6) {
  llmc_weights_t *weights = nullptr;
  llmc_status_t status =
      llmc_weights_open_memory(bytes.data(), bytes.size(), "model.llmw",
                               llmc_allocator_system(), &weights);
  if (status)
    return Consume(status);
  WeightsPtr owner(weights);
  llmc_tokenizer_t *tokenizer = nullptr;
  status = llmc_tokenizer_create_from_weights(
      weights, expected_vocab, llmc_allocator_system(), &tokenizer);
  llmc_tokenizer_release(tokenizer);
  return Consume(status);
}

uint64_t TokenizerOffset(const std::vector<uint8_t> &bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value |= static_cast<uint64_t>(bytes[kTokenizerOffset + i]) << (8 * i);
  return value;
}

TEST(WeightsTest, ValidFileOpensWithDecodedHeader) {
  std::vector<uint8_t> bytes = ValidFile();
  llmc_weights_t *weights = nullptr;
  LLMC_ASSERT_OK(llmc_weights_open_memory(bytes.data(), bytes.size(),
                                          "model.llmw", llmc_allocator_system(),
                                          &weights));
  WeightsPtr owner(weights);
  const llmc_weights_header_t *header = llmc_weights_header(weights);
  EXPECT_EQ(header->version, LLMC_WEIGHTS_VERSION);
  EXPECT_EQ(header->header_size, 128u);
  EXPECT_EQ(header->file_size, bytes.size());
  EXPECT_EQ(header->model_id, kModelId);
  EXPECT_EQ(header->data_offset, 128u);
  EXPECT_EQ(header->data_size, kDataSize);
  EXPECT_STREQ(llmc_weights_name(weights), "model.llmw");
  EXPECT_FALSE(llmc_weights_is_mapped(weights));
  EXPECT_EQ(llmc_weights_data(weights), bytes.data() + 128);
  EXPECT_EQ(llmc_weights_data(weights)[5], 35);
  EXPECT_EQ(llmc_weights_tokenizer_section(weights),
            bytes.data() + header->tokenizer_offset);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_OK);
}

TEST(WeightsTest, BadMagic) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes[0] = 'G';
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_BAD_MAGIC);
  EXPECT_NE(info.message.find("model.llmw: bad magic"), std::string::npos)
      << info.message;
}

TEST(WeightsTest, WrongVersion) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[kVersion], LLMC_WEIGHTS_VERSION + 1);
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_UNSUPPORTED_VERSION);
  EXPECT_NE(info.message.find("version 3"), std::string::npos) << info.message;
}

TEST(WeightsTest, WrongHeaderSize) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[kHeaderSize], 64);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTest, TruncatedFile) {
  std::vector<uint8_t> bytes = ValidFile();
  const size_t full = bytes.size();
  bytes.resize(full - 10);
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_TRUNCATED);
  EXPECT_NE(info.message.find("header says " + std::to_string(full)),
            std::string::npos)
      << info.message;
}

TEST(WeightsTest, ShorterThanHeader) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes.resize(100);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_TRUNCATED);
  EXPECT_EQ(OpenStatus({}).code, LLMC_STATUS_TRUNCATED);
}

TEST(WeightsTest, TrailingData) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes.resize(bytes.size() + 8);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTest, EveryPrefixFailsWithoutCrashing) {
  std::vector<uint8_t> bytes = ValidFile();
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
    EXPECT_EQ(OpenStatus(prefix).code, LLMC_STATUS_TRUNCATED) << size;
  }
}

TEST(WeightsTest, DataSectionOutOfBounds) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kDataSizeOffset], 1u << 20);
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_OUT_OF_BOUNDS);
  EXPECT_EQ(info.message, "model.llmw: data section [offset 128, size " +
                              std::to_string(1u << 20) +
                              ") exceeds file size " +
                              std::to_string(bytes.size()));
}

TEST(WeightsTest, DataSectionOffsetOverflow) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kDataOffset], UINT64_MAX - 63);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_OUT_OF_BOUNDS);
  bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kDataSizeOffset], UINT64_MAX - 64);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_OUT_OF_BOUNDS);
}

TEST(WeightsTest, DataSectionMisalignedOrInHeader) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kDataOffset], 136);
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_NE(info.message.find("not a multiple of 64"), std::string::npos);
  llmw_fixture_store_u64(&bytes[kDataOffset], 64);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTest, TokenizerSectionOutOfBounds) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kTokenizerSize], bytes.size());
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_OUT_OF_BOUNDS);
  EXPECT_NE(info.message.find("tokenizer section [offset"), std::string::npos);
  bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kTokenizerOffset], UINT64_MAX - 7);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_OUT_OF_BOUNDS);
}

TEST(WeightsTest, TokenizerSectionMisaligned) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kTokenizerOffset], TokenizerOffset(bytes) + 4);
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTest, OverlappingSections) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kTokenizerOffset], 192);
  llmw_fixture_store_u64(&bytes[kTokenizerSize], 16);
  StatusInfo info = OpenStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_NE(info.message.find("overlaps"), std::string::npos);
}

TEST(WeightsTest, NonzeroReservedBytes) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes[100] = 1;
  EXPECT_EQ(OpenStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTest, EveryHeaderBitFlipIsHandled) {
  // No crash whatever a single flipped bit in the header does.
  const std::vector<uint8_t> good = ValidFile();
  for (size_t byte = 0; byte < LLMC_WEIGHTS_HEADER_SIZE; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bytes = good;
      bytes[byte] ^= static_cast<uint8_t>(1u << bit);
      StatusInfo info = TokenizerStatus(bytes);
      // The loader alone does not check model_id, and a smaller data_size
      // can still be valid.
      bool may_pass = (byte >= kModelIdOffset && byte < kModelIdOffset + 8) ||
                      (byte >= kDataSizeOffset && byte < kDataSizeOffset + 8);
      if (!may_pass)
        EXPECT_NE(info.code, LLMC_STATUS_OK) << byte << ":" << bit;
    }
  }
}

TEST(WeightsTest, ModelIdMismatch) {
  std::vector<uint8_t> bytes = ValidFile();
  llmc_weights_t *weights = nullptr;
  LLMC_ASSERT_OK(llmc_weights_open_memory(bytes.data(), bytes.size(),
                                          "model.llmw", llmc_allocator_system(),
                                          &weights));
  WeightsPtr owner(weights);
  llmc_model_info_t info = {};
  info.abi_version = 1;
  info.model_id = kModelId;
  info.weights_data_size = kDataSize;
  LLMC_EXPECT_OK(llmc_weights_check_model(weights, &info));
  info.model_id = kModelId + 1;
  StatusInfo status = Consume(llmc_weights_check_model(weights, &info));
  EXPECT_EQ(status.code, LLMC_STATUS_MODEL_MISMATCH);
  EXPECT_NE(status.message.find("model_id 0x0123456789abcdef"),
            std::string::npos)
      << status.message;
  info.model_id = kModelId;
  info.weights_data_size = kDataSize + 1;
  EXPECT_EQ(Consume(llmc_weights_check_model(weights, &info)).code,
            LLMC_STATUS_MODEL_MISMATCH);
}

//===----------------------------------------------------------------------===//
// Tokenizer section corruption
//===----------------------------------------------------------------------===//

/// Offsets within the tokenizer section of the small tokenizer.
constexpr size_t kTokVersion = 4, kTokVocab = 8, kTokMaxLength = 12,
                 kTokBos = 16, kTokEos = 20, kTokFlags = 24, kTokReserved = 28;
/// The length field of the last record ("ab").
size_t LastRecordLengthOffset(const std::vector<uint8_t> &bytes) {
  size_t offset = TokenizerOffset(bytes) + LLMC_TOKENIZER_HEADER_SIZE;
  const uint32_t lengths[] = {5, 3, 4, 1, 1};
  for (uint32_t length : lengths)
    offset += LLMC_TOKEN_RECORD_HEADER_SIZE + length;
  return offset + 8;
}

TEST(WeightsTokenizerTest, BadMagic) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes[TokenizerOffset(bytes)] = 'X';
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_BAD_MAGIC);
}

TEST(WeightsTokenizerTest, WrongVersion) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokVersion], 7);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_UNSUPPORTED_VERSION);
}

TEST(WeightsTokenizerTest, RecordLengthOverflow) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[LastRecordLengthOffset(bytes)], 0xfffffff0u);
  StatusInfo info = TokenizerStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_OUT_OF_BOUNDS);
  EXPECT_NE(info.message.find("model.llmw: tokenizer record 5 has length"),
            std::string::npos)
      << info.message;
}

TEST(WeightsTokenizerTest, RecordLongerThanMaxTokenLength) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokMaxLength], 4);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTokenizerTest, MoreRecordsThanTheSectionHolds) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokVocab], 7);
  EXPECT_EQ(TokenizerStatus(bytes, 0).code, LLMC_STATUS_OUT_OF_BOUNDS);
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokVocab],
                         0x7fffffffu);
  EXPECT_EQ(TokenizerStatus(bytes, 0).code, LLMC_STATUS_OUT_OF_BOUNDS);
}

TEST(WeightsTokenizerTest, VocabSizeMismatch) {
  std::vector<uint8_t> bytes = ValidFile();
  StatusInfo info = TokenizerStatus(bytes, 512);
  EXPECT_EQ(info.code, LLMC_STATUS_MODEL_MISMATCH);
  EXPECT_NE(info.message.find("vocab_size 6"), std::string::npos);
}

TEST(WeightsTokenizerTest, BosEosOutOfRange) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokBos], 6);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_OUT_OF_RANGE);
  bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokEos],
                         static_cast<uint32_t>(-2));
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_OUT_OF_RANGE);
  bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokEos],
                         static_cast<uint32_t>(-1));
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_OK);
}

TEST(WeightsTokenizerTest, UnknownFlagsAndReserved) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokFlags], 0x8);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
  // The v2 pre_tokenizer field (v1's reserved) is zero without byte-level BPE.
  bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokReserved], 1);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTokenizerTest, ByteLevelFlagNeedsVersion2AndAKnownPreTokenizer) {
  std::vector<uint8_t> bytes = ValidFile();
  size_t tok = TokenizerOffset(bytes);
  llmw_fixture_store_u32(&bytes[tok + kTokFlags],
                         LLMC_TOKENIZER_FLAG_BYTE_LEVEL);
  llmw_fixture_store_u32(&bytes[tok + kTokReserved], 7);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
  llmw_fixture_store_u32(&bytes[tok + kTokReserved], LLMC_PRE_TOKENIZER_GPT2);
  llmw_fixture_store_u32(&bytes[tok + kTokVersion], 1);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTokenizerTest, Version1IsStillRead) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokVersion], 1);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_OK)
      << TokenizerStatus(bytes).message;
}

TEST(WeightsTokenizerTest, BadTokenTypeAndScore) {
  std::vector<uint8_t> bytes = ValidFile();
  size_t type_offset = LastRecordLengthOffset(bytes) - 4;
  llmw_fixture_store_u32(&bytes[type_offset], 9);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
  bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[type_offset - 4], 0x7fc00000u); // NaN.
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_FORMAT_ERROR);
}

TEST(WeightsTokenizerTest, SectionSmallerThanItsHeader) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u64(&bytes[kTokenizerSize], 16);
  EXPECT_EQ(TokenizerStatus(bytes).code, LLMC_STATUS_TRUNCATED);
}

TEST(WeightsTokenizerTest, ByteFallbackFlagWithoutBytePieces) {
  std::vector<uint8_t> bytes = ValidFile();
  llmw_fixture_store_u32(&bytes[TokenizerOffset(bytes) + kTokFlags],
                         LLMC_TOKENIZER_FLAG_BYTE_FALLBACK);
  StatusInfo info = TokenizerStatus(bytes);
  EXPECT_EQ(info.code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_NE(info.message.find("<0x00>"), std::string::npos);
}

TEST(WeightsTokenizerTest, EveryTokenizerPrefixFailsWithoutCrashing) {
  const std::vector<uint8_t> good = ValidFile();
  const uint64_t offset = TokenizerOffset(good);
  const uint64_t full = good.size() - offset;
  for (uint64_t size = 0; size + 8 < full; ++size) {
    std::vector<uint8_t> bytes = good;
    llmw_fixture_store_u64(&bytes[kTokenizerSize], size);
    EXPECT_NE(TokenizerStatus(bytes).code, LLMC_STATUS_OK) << size;
  }
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

class WeightsFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    char dir_template[] = "/tmp/llmc-weights-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/model.llmw";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  void Write(const std::vector<uint8_t> &bytes) {
    ASSERT_EQ(
        llmw_fixture_write_file(path_.c_str(), bytes.data(), bytes.size()), 0);
  }
  std::string dir_;
  std::string path_;
};

TEST_F(WeightsFileTest, MapsAValidFile) {
  std::vector<uint8_t> bytes = ValidFile();
  Write(bytes);
  TestAllocator allocator;
  {
    llmc_weights_t *weights = nullptr;
    LLMC_ASSERT_OK(llmc_weights_open_file(
        path_.c_str(), LLMC_WEIGHTS_OPEN_DEFAULT, allocator.get(), &weights));
    WeightsPtr owner(weights);
    EXPECT_TRUE(llmc_weights_is_mapped(weights));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(llmc_weights_data(weights)) % 64, 0u);
    EXPECT_EQ(
        std::memcmp(llmc_weights_data(weights), bytes.data() + 128, kDataSize),
        0);
    EXPECT_EQ(llmc_weights_name(weights), path_);
  }
  EXPECT_EQ(allocator.live(), 0);
}

TEST_F(WeightsFileTest, ReadsWithoutMmap) {
  std::vector<uint8_t> bytes = ValidFile();
  Write(bytes);
  TestAllocator allocator;
  {
    llmc_weights_t *weights = nullptr;
    LLMC_ASSERT_OK(llmc_weights_open_file(
        path_.c_str(), LLMC_WEIGHTS_OPEN_NO_MMAP, allocator.get(), &weights));
    WeightsPtr owner(weights);
    EXPECT_FALSE(llmc_weights_is_mapped(weights));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(llmc_weights_data(weights)) % 64, 0u);
    EXPECT_EQ(
        std::memcmp(llmc_weights_data(weights), bytes.data() + 128, kDataSize),
        0);
    llmc_weights_retain(weights);
    llmc_weights_release(weights); // Still owned once.
    EXPECT_EQ(llmc_weights_header(weights)->model_id, kModelId);
  }
  EXPECT_EQ(allocator.live(), 0);
}

TEST_F(WeightsFileTest, ReadsIntoHugePages) {
  std::vector<uint8_t> bytes = ValidFile();
  Write(bytes);
  TestAllocator allocator;
  {
    llmc_weights_t *weights = nullptr;
    LLMC_ASSERT_OK(llmc_weights_open_file(path_.c_str(),
                                          LLMC_WEIGHTS_OPEN_HUGE_PAGES,
                                          allocator.get(), &weights));
    WeightsPtr owner(weights);
    // Where the system offers none, the file is mapped as by default.
    bool huge = HugePagesOffered();
    EXPECT_EQ(llmc_weights_in_huge_pages(weights), huge);
    EXPECT_EQ(llmc_weights_is_mapped(weights), !huge);
    // The file (its data at byte 128) starts on a 2 MiB boundary in huge
    // pages.
    uintptr_t file =
        reinterpret_cast<uintptr_t>(llmc_weights_data(weights)) - 128;
    EXPECT_EQ(file % (huge ? 2u << 20 : 64u), 0u);
    EXPECT_EQ(
        std::memcmp(llmc_weights_data(weights), bytes.data() + 128, kDataSize),
        0);
    EXPECT_EQ(llmc_weights_header(weights)->model_id, kModelId);
  }
  EXPECT_EQ(allocator.live(), 0);
}

TEST_F(WeightsFileTest, MissingFile) {
  llmc_weights_t *weights = nullptr;
  StatusInfo info = Consume(llmc_weights_open_file(
      (dir_ + "/nope.llmw").c_str(), 0, llmc_allocator_system(), &weights));
  EXPECT_EQ(info.code, LLMC_STATUS_NOT_FOUND);
  EXPECT_NE(info.message.find("nope.llmw"), std::string::npos);
  EXPECT_EQ(weights, nullptr);
}

TEST_F(WeightsFileTest, DirectoryIsNotAFile) {
  llmc_weights_t *weights = nullptr;
  EXPECT_EQ(Consume(llmc_weights_open_file(dir_.c_str(), 0,
                                           llmc_allocator_system(), &weights))
                .code,
            LLMC_STATUS_IO_ERROR);
}

TEST_F(WeightsFileTest, TruncatedFileOnDisk) {
  std::vector<uint8_t> bytes = ValidFile();
  bytes.resize(bytes.size() / 2);
  Write(bytes);
  for (uint32_t flags : {LLMC_WEIGHTS_OPEN_DEFAULT, LLMC_WEIGHTS_OPEN_NO_MMAP,
                         LLMC_WEIGHTS_OPEN_HUGE_PAGES}) {
    TestAllocator allocator;
    llmc_weights_t *weights = nullptr;
    StatusInfo info = Consume(llmc_weights_open_file(
        path_.c_str(), flags, allocator.get(), &weights));
    EXPECT_EQ(info.code, LLMC_STATUS_TRUNCATED);
    EXPECT_EQ(info.message.rfind(path_ + ": file is truncated", 0), 0u)
        << info.message;
    EXPECT_EQ(allocator.live(), 0);
  }
  bytes.resize(10);
  Write(bytes);
  llmc_weights_t *weights = nullptr;
  EXPECT_EQ(Consume(llmc_weights_open_file(path_.c_str(), 0,
                                           llmc_allocator_system(), &weights))
                .code,
            LLMC_STATUS_TRUNCATED);
}

TEST_F(WeightsFileTest, AllocationFailuresAreReportedAndLeakFree) {
  std::vector<uint8_t> bytes = ValidFile();
  Write(bytes);
  for (uint32_t flags : {LLMC_WEIGHTS_OPEN_DEFAULT, LLMC_WEIGHTS_OPEN_NO_MMAP,
                         LLMC_WEIGHTS_OPEN_HUGE_PAGES}) {
    for (int fail_after = 0;; ++fail_after) {
      TestAllocator allocator;
      allocator.FailAfter(fail_after);
      llmc_weights_t *weights = nullptr;
      llmc_status_t status = llmc_weights_open_file(path_.c_str(), flags,
                                                    allocator.get(), &weights);
      llmc_weights_release(weights);
      EXPECT_EQ(allocator.live(), 0);
      if (status == LLMC_OK)
        break;
      EXPECT_EQ(Consume(status).code, LLMC_STATUS_RESOURCE_EXHAUSTED);
      ASSERT_LT(fail_after, 10);
    }
  }
}

} // namespace
