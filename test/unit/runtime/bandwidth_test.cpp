// Unit tests of the memory bandwidth probe: every word is read exactly once
// per pass for any thread count (the checksum), a probe object measured
// several times, argument checks, and allocation failures. No timing is
// checked, only that a rate is reported.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "llmc/bandwidth.h"
#include "runtime_test_util.h"

namespace {

using llmc_test::Consume;
using llmc_test::HugePagesOffered;
using llmc_test::StatusInfo;

/// The probe's checksum, computed the slow way.
uint64_t SlowChecksum(size_t bytes) {
  uint64_t words = bytes / LLMC_BANDWIDTH_BLOCK_BYTES *
                   (LLMC_BANDWIDTH_BLOCK_BYTES / 8),
           sum = 0;
  for (uint64_t i = 0; i < words; ++i)
    sum += i * LLMC_BANDWIDTH_WORD_MULTIPLIER;
  return sum;
}

TEST(BandwidthTest, ExpectedChecksumIsTheSumOfTheWords) {
  for (size_t blocks : {1u, 2u, 3u, 17u})
    EXPECT_EQ(
        llmc_bandwidth_expected_checksum(blocks * LLMC_BANDWIDTH_BLOCK_BYTES),
        SlowChecksum(blocks * LLMC_BANDWIDTH_BLOCK_BYTES))
        << blocks;
  EXPECT_EQ(llmc_bandwidth_expected_checksum(LLMC_BANDWIDTH_BLOCK_BYTES - 1),
            0u);
}

TEST(BandwidthTest, EveryWordIsReadOnceForAnyThreadCount) {
  // 7 blocks and a partial one (dropped): ranges of unequal size.
  size_t bytes = 7 * LLMC_BANDWIDTH_BLOCK_BYTES + 100;
  for (int32_t threads : {1, 2, 3, 8}) {
    llmc_thread_pool_t *pool = nullptr;
    if (threads > 1)
      LLMC_ASSERT_OK(
          llmc_thread_pool_create(threads, llmc_allocator_system(), &pool));
    llmc_bandwidth_result_t result;
    LLMC_EXPECT_OK(llmc_bandwidth_measure(pool, bytes, 3,
                                          llmc_allocator_system(), &result));
    llmc_thread_pool_release(pool);
    EXPECT_EQ(result.buffer_bytes, 7u * LLMC_BANDWIDTH_BLOCK_BYTES);
    EXPECT_EQ(result.threads, threads);
    EXPECT_EQ(result.repeats, 3);
    EXPECT_EQ(result.checksum, SlowChecksum(bytes)) << threads;
    EXPECT_EQ(result.huge_pages, HugePagesOffered());
    EXPECT_GT(result.best_bytes_per_second, 0.0);
    EXPECT_GE(result.best_bytes_per_second, result.median_bytes_per_second);
  }
}

TEST(BandwidthTest, AProbeKeepsItsBufferBetweenPasses) {
  size_t bytes = 3 * LLMC_BANDWIDTH_BLOCK_BYTES;
  llmc_thread_pool_t *pool = nullptr;
  LLMC_ASSERT_OK(llmc_thread_pool_create(2, llmc_allocator_system(), &pool));
  llmc_bandwidth_probe_t *probe = nullptr;
  LLMC_ASSERT_OK(llmc_bandwidth_probe_create(pool, bytes,
                                             llmc_allocator_system(), &probe));
  // The probe holds its own reference to the pool.
  llmc_thread_pool_release(pool);
  for (int32_t repeats : {1, 4}) {
    llmc_bandwidth_result_t result;
    LLMC_EXPECT_OK(llmc_bandwidth_probe_run(probe, repeats, &result));
    EXPECT_EQ(result.buffer_bytes, bytes);
    EXPECT_EQ(result.threads, 2);
    EXPECT_EQ(result.repeats, repeats);
    EXPECT_EQ(result.checksum, SlowChecksum(bytes));
    EXPECT_GT(result.best_bytes_per_second, 0.0);
  }
  llmc_bandwidth_result_t result;
  EXPECT_EQ(Consume(llmc_bandwidth_probe_run(probe, 1001, &result)).code,
            LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Consume(llmc_bandwidth_probe_run(probe, 1, nullptr)).code,
            LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Consume(llmc_bandwidth_probe_run(nullptr, 1, &result)).code,
            LLMC_STATUS_INVALID_ARGUMENT);
  llmc_bandwidth_probe_release(probe);
  llmc_bandwidth_probe_release(nullptr);
  EXPECT_EQ(Consume(llmc_bandwidth_probe_create(
                        nullptr, 100, llmc_allocator_system(), &probe))
                .code,
            LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(probe, nullptr);
}

TEST(BandwidthTest, RejectsBadArguments) {
  llmc_bandwidth_result_t result;
  StatusInfo small =
      Consume(llmc_bandwidth_measure(nullptr, LLMC_BANDWIDTH_BLOCK_BYTES - 1, 1,
                                     llmc_allocator_system(), &result));
  EXPECT_EQ(small.code, LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(small.message.find("smaller than one 65536-byte block"),
            std::string::npos)
      << small.message;
  StatusInfo repeats =
      Consume(llmc_bandwidth_measure(nullptr, LLMC_BANDWIDTH_BLOCK_BYTES, 0,
                                     llmc_allocator_system(), &result));
  EXPECT_EQ(repeats.code, LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(repeats.message.find("repeats 0"), std::string::npos)
      << repeats.message;
  EXPECT_EQ(Consume(llmc_bandwidth_measure(nullptr, LLMC_BANDWIDTH_BLOCK_BYTES,
                                           1, llmc_allocator_system(), nullptr))
                .code,
            LLMC_STATUS_INVALID_ARGUMENT);
}

/// An allocator whose allocations fail after `budget` successes.
struct FailingAllocator {
  int budget;
  int live = 0;
  static llmc_status_t Alloc(void *self, size_t size, size_t alignment,
                             void **out_ptr) {
    auto *a = static_cast<FailingAllocator *>(self);
    if (a->budget-- <= 0)
      return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED, "no memory");
    llmc_allocator_t system = llmc_allocator_system();
    llmc_status_t status =
        system.alloc_fn(system.self, size, alignment, out_ptr);
    if (!status)
      ++a->live;
    return status;
  }
  static void Free(void *self, void *ptr) {
    auto *a = static_cast<FailingAllocator *>(self);
    if (ptr)
      --a->live;
    llmc_allocator_t system = llmc_allocator_system();
    system.free_fn(system.self, ptr);
  }
};

TEST(BandwidthTest, AllocationFailuresLeakNothing) {
  // The buffer comes from the allocator unless it is in huge pages; the
  // probe's state and the rates always do.
  int allocations = HugePagesOffered() ? 2 : 3;
  for (int budget = 0; budget <= allocations; ++budget) {
    FailingAllocator state{budget};
    llmc_allocator_t allocator{&state, FailingAllocator::Alloc,
                               FailingAllocator::Free};
    llmc_bandwidth_result_t result;
    StatusInfo info = Consume(llmc_bandwidth_measure(
        nullptr, LLMC_BANDWIDTH_BLOCK_BYTES, 1, allocator, &result));
    EXPECT_EQ(info.code, budget < allocations ? LLMC_STATUS_RESOURCE_EXHAUSTED
                                              : LLMC_STATUS_OK)
        << budget;
    EXPECT_EQ(state.live, 0) << budget;
  }
}

} // namespace
