// Shared helpers of the runtime unit tests: status checks, RAII, fixtures.
#ifndef LLMC_TEST_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_
#define LLMC_TEST_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_model.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"

namespace llmc_test {

/// Succeeds for OK; otherwise fails with the code and message (and frees).
inline ::testing::AssertionResult IsOk(llmc_status_t status) {
  if (status == LLMC_OK)
    return ::testing::AssertionSuccess();
  ::testing::AssertionResult result =
      ::testing::AssertionFailure()
      << llmc_status_code_string(llmc_status_code(status)) << ": "
      << llmc_status_message(status);
  llmc_status_free(status);
  return result;
}

/// A status's code and message, owned.
struct StatusInfo {
  llmc_status_code_t code;
  std::string message;
};

/// Takes ownership of `status` and returns its code and message.
inline StatusInfo Consume(llmc_status_t status) {
  StatusInfo info{llmc_status_code(status), llmc_status_message(status)};
  llmc_status_free(status);
  return info;
}

#define LLMC_EXPECT_OK(expr) EXPECT_TRUE(::llmc_test::IsOk(expr))
#define LLMC_ASSERT_OK(expr) ASSERT_TRUE(::llmc_test::IsOk(expr))

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t[], FreeDeleter>;

struct WeightsDeleter {
  void operator()(llmc_weights_t *p) const { llmc_weights_release(p); }
};
struct TokenizerDeleter {
  void operator()(llmc_tokenizer_t *p) const { llmc_tokenizer_release(p); }
};
struct SamplerDeleter {
  void operator()(llmc_sampler_t *p) const { llmc_sampler_release(p); }
};
struct SessionDeleter {
  void operator()(llmc_session_t *p) const { llmc_session_release(p); }
};
using WeightsPtr = std::unique_ptr<llmc_weights_t, WeightsDeleter>;
using TokenizerPtr = std::unique_ptr<llmc_tokenizer_t, TokenizerDeleter>;
using SamplerPtr = std::unique_ptr<llmc_sampler_t, SamplerDeleter>;
using SessionPtr = std::unique_ptr<llmc_session_t, SessionDeleter>;

/// The fake model of fake_model.c as a compiled model.
/// True if the kernel offers transparent huge pages to MADV_HUGEPAGE (what
/// LLMC_WEIGHTS_OPEN_HUGE_PAGES and the bandwidth probe ask for).
inline bool HugePagesOffered() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(file, line) && line.find("[never]") == std::string::npos;
}

inline llmc_compiled_model_t FakeModel() {
  return llmc_compiled_model_t{llmc_model_info, llmc_model_forward,
                               llmc_model_prefill};
}

/// Path of the stories260K tokenizer (llama2.c format).
inline std::string Tok512Path() {
  return std::string(LLMC_TEST_MODELS_DIR) + "/stories260K/tok512.bin";
}

/// The bytes of tok512.bin, or empty if it is not there.
inline std::vector<uint8_t> LoadTok512() {
  uint8_t *data = nullptr;
  size_t size = 0;
  if (llmw_fixture_read_file(Tok512Path().c_str(), &data, &size))
    return {};
  std::vector<uint8_t> bytes(data, data + size);
  std::free(data);
  return bytes;
}

/// Skips the test when tok512.bin is missing.
#define LLMC_REQUIRE_TOK512(bytes)                                             \
  if ((bytes).empty())                                                         \
  GTEST_SKIP() << "missing " << ::llmc_test::Tok512Path()

/// tok512.bin converted to an LLMT section (empty if missing).
inline std::vector<uint8_t> Tok512Section() {
  std::vector<uint8_t> bin = LoadTok512();
  if (bin.empty())
    return {};
  uint8_t *section = nullptr;
  size_t size = 0;
  if (llmw_fixture_convert_llama2c_tokenizer(
          bin.data(), bin.size(), FAKE_MODEL_VOCAB_SIZE, &section, &size))
    return {};
  std::vector<uint8_t> bytes(section, section + size);
  std::free(section);
  return bytes;
}

/// The fake model's weights file image (64-byte aligned), or null.
inline Buffer FakeModelFile(size_t *out_size) {
  std::vector<uint8_t> bin = LoadTok512();
  uint8_t *file = nullptr;
  if (bin.empty() ||
      llmw_fixture_build_fake_model_file(bin.data(), bin.size(),
                                         LLMW_FIXTURE_STORY, &file, out_size))
    return Buffer();
  return Buffer(file);
}

/// An allocator that counts and can fail after a number of allocations.
class TestAllocator {
public:
  llmc_allocator_t get() { return llmc_allocator_t{this, &Alloc, &Free}; }
  int live() const { return allocs_ - frees_; }
  int allocs() const { return allocs_; }
  /// Fail every allocation after the first `n` (-1: never).
  void FailAfter(int n) { fail_after_ = n; }

private:
  static llmc_status_t Alloc(void *self, size_t size, size_t alignment,
                             void **out_ptr) {
    auto *a = static_cast<TestAllocator *>(self);
    if (a->fail_after_ >= 0 && a->allocs_ >= a->fail_after_)
      return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                              "injected allocation failure");
    void *p = nullptr;
    if (posix_memalign(&p, alignment, size) != 0)
      return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED, "oom");
    ++a->allocs_;
    *out_ptr = p;
    return LLMC_OK;
  }
  static void Free(void *self, void *ptr) {
    auto *a = static_cast<TestAllocator *>(self);
    ++a->frees_;
    std::free(ptr);
  }
  int allocs_ = 0;
  int frees_ = 0;
  int fail_after_ = -1;
};

} // namespace llmc_test

#endif // LLMC_TEST_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_
