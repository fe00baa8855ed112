// Tests of status objects and the allocator interface.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "llmc/runtime.h"
#include "runtime_test_util.h"

// Under AddressSanitizer, let the huge allocation below fail with NULL
// instead of aborting.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char *__asan_default_options() {
  return "allocator_may_return_null=1";
}
#endif
#endif

namespace {

using llmc_test::Consume;
using llmc_test::TestAllocator;

TEST(StatusTest, OkIsNull) {
  EXPECT_TRUE(llmc_status_is_ok(LLMC_OK));
  EXPECT_EQ(llmc_status_code(LLMC_OK), LLMC_STATUS_OK);
  EXPECT_STREQ(llmc_status_message(LLMC_OK), "");
  llmc_status_free(LLMC_OK);
}

TEST(StatusTest, CarriesCodeAndFormattedMessage) {
  llmc_status_t status =
      llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS, "%s: offset %d", "f", 42);
  ASSERT_NE(status, LLMC_OK);
  EXPECT_EQ(llmc_status_code(status), LLMC_STATUS_OUT_OF_BOUNDS);
  EXPECT_STREQ(llmc_status_message(status), "f: offset 42");
  llmc_status_free(status);
}

TEST(StatusTest, EveryCodeRoundTrips) {
  for (int code = 1; code <= LLMC_STATUS_INTERNAL; ++code) {
    llmc_status_t status =
        llmc_status_make(static_cast<llmc_status_code_t>(code), "m");
    EXPECT_EQ(llmc_status_code(status), code);
    EXPECT_STRNE(llmc_status_code_string(llmc_status_code(status)), "UNKNOWN");
    llmc_status_free(status);
  }
}

TEST(StatusTest, OkCodeBecomesInternal) {
  llmc_status_t status = llmc_status_make(LLMC_STATUS_OK, "oops");
  EXPECT_EQ(Consume(status).code, LLMC_STATUS_INTERNAL);
}

TEST(StatusTest, NullFormatKeepsCode) {
  llmc_status_t status = llmc_status_make(LLMC_STATUS_CANCELLED, nullptr);
  ASSERT_NE(status, LLMC_OK);
  EXPECT_EQ(llmc_status_code(status), LLMC_STATUS_CANCELLED);
  EXPECT_STREQ(llmc_status_message(status), "");
  llmc_status_free(status);
}

TEST(StatusTest, AnnotatePrefixesContext) {
  llmc_status_t status =
      llmc_status_make(LLMC_STATUS_NOT_FOUND, "no such file");
  status = llmc_status_annotate(status, "loading %s", "model.llmw");
  auto info = Consume(status);
  EXPECT_EQ(info.code, LLMC_STATUS_NOT_FOUND);
  EXPECT_EQ(info.message, "loading model.llmw: no such file");
  EXPECT_EQ(llmc_status_annotate(LLMC_OK, "ctx"), LLMC_OK);
}

static llmc_status_t FailIfNegative(int value) {
  if (value < 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "negative");
  return LLMC_OK;
}

static llmc_status_t Twice(int value, int *calls) {
  LLMC_RETURN_IF_ERROR(FailIfNegative(value));
  ++*calls;
  LLMC_RETURN_IF_ERROR(FailIfNegative(value - 10));
  ++*calls;
  return LLMC_OK;
}

TEST(StatusTest, ReturnIfErrorPropagates) {
  int calls = 0;
  EXPECT_EQ(Consume(Twice(5, &calls)).code, LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(calls, 1);
  calls = 0;
  LLMC_EXPECT_OK(Twice(20, &calls));
  EXPECT_EQ(calls, 2);
}

TEST(AllocatorTest, SystemAllocatorAlignsAndZeroes) {
  llmc_allocator_t allocator = llmc_allocator_system();
  for (size_t alignment : {1u, 8u, 64u, 4096u}) {
    void *ptr = nullptr;
    LLMC_ASSERT_OK(llmc_allocator_alloc(allocator, 1000, alignment, &ptr));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr) % alignment, 0u);
    for (int i = 0; i < 1000; ++i)
      ASSERT_EQ(static_cast<uint8_t *>(ptr)[i], 0);
    llmc_allocator_free(allocator, ptr);
  }
}

TEST(AllocatorTest, SystemAllocatorPutsLargeBlocksOnHugePageBoundaries) {
  // A block of 2 MiB or more (a KV cache) starts on a 2 MiB boundary, so the
  // kernel can back it with huge pages; it is zeroed like any other.
  llmc_allocator_t allocator = llmc_allocator_system();
  const size_t size = (3u << 20) + 123;
  void *ptr = nullptr;
  LLMC_ASSERT_OK(llmc_allocator_alloc(allocator, size, 64, &ptr));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ptr) % (2u << 20), 0u);
  auto *bytes = static_cast<uint8_t *>(ptr);
  for (size_t i = 0; i < size; i += 4096)
    ASSERT_EQ(bytes[i], 0);
  EXPECT_EQ(bytes[size - 1], 0);
  bytes[size - 1] = 7;
  llmc_allocator_free(allocator, ptr);
}

TEST(AllocatorTest, ZeroSizeAllocatesAndBadAlignmentFails) {
  llmc_allocator_t allocator = llmc_allocator_system();
  void *ptr = nullptr;
  LLMC_ASSERT_OK(llmc_allocator_alloc(allocator, 0, 64, &ptr));
  EXPECT_NE(ptr, nullptr);
  llmc_allocator_free(allocator, ptr);
  EXPECT_EQ(Consume(llmc_allocator_alloc(allocator, 16, 48, &ptr)).code,
            LLMC_STATUS_INVALID_ARGUMENT);
}

TEST(AllocatorTest, HugeAllocationFailsCleanly) {
  void *ptr = nullptr;
  auto info = Consume(
      llmc_allocator_alloc(llmc_allocator_system(), SIZE_MAX / 2, 64, &ptr));
  EXPECT_EQ(info.code, LLMC_STATUS_RESOURCE_EXHAUSTED);
}

TEST(AllocatorTest, InjectedAllocatorIsUsed) {
  TestAllocator test_allocator;
  void *ptr = nullptr;
  LLMC_ASSERT_OK(llmc_allocator_alloc(test_allocator.get(), 10, 16, &ptr));
  EXPECT_EQ(test_allocator.live(), 1);
  llmc_allocator_free(test_allocator.get(), ptr);
  EXPECT_EQ(test_allocator.live(), 0);
  test_allocator.FailAfter(0);
  EXPECT_EQ(
      Consume(llmc_allocator_alloc(test_allocator.get(), 10, 16, &ptr)).code,
      LLMC_STATUS_RESOURCE_EXHAUSTED);
}

} // namespace
