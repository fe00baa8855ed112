// Unit tests of the thread pool: the split, that a parallel-for runs every
// index exactly once for many sizes, thread counts and repeated calls, that
// each thread walks its own range in order and then the back halves of the
// ranges it takes from the others, and that work goes to whichever thread is
// free.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>
#include <pthread.h>

#include "llmc/thread_pool.h"
#include "runtime_test_util.h"

namespace {

struct PoolDeleter {
  void operator()(llmc_thread_pool_t *p) const { llmc_thread_pool_release(p); }
};
using PoolPtr = std::unique_ptr<llmc_thread_pool_t, PoolDeleter>;

PoolPtr MakePool(int32_t threads) {
  llmc_thread_pool_t *pool = nullptr;
  llmc_status_t status =
      llmc_thread_pool_create(threads, llmc_allocator_system(), &pool);
  EXPECT_EQ(status, nullptr) << llmc_status_message(status);
  llmc_status_free(status);
  return PoolPtr(pool);
}

/// Counts how often each index ran, and the ranges seen.
struct Counts {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Counts(int64_t n) : hits(static_cast<size_t>(n)) {}
};

void CountTask(void *ctx, int64_t begin, int64_t end) {
  auto *counts = static_cast<Counts *>(ctx);
  counts->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i)
    counts->hits[static_cast<size_t>(i)].fetch_add(1);
}

TEST(ThreadPoolSplitTest, RangesAreContiguousBalancedAndCover) {
  for (int64_t count : {0, 1, 2, 3, 7, 8, 63, 64, 65, 1000, 32000}) {
    for (int32_t parts : {1, 2, 3, 4, 8, 13}) {
      int64_t expected_begin = 0, smallest = INT64_MAX, largest = 0;
      for (int32_t i = 0; i < parts; ++i) {
        int64_t begin = -1, end = -1;
        llmc_thread_pool_split(count, parts, i, &begin, &end);
        EXPECT_EQ(begin, expected_begin) << count << " / " << parts;
        EXPECT_LE(begin, end);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        expected_begin = end;
      }
      EXPECT_EQ(expected_begin, count) << count << " / " << parts;
      EXPECT_LE(largest - smallest, 1) << count << " / " << parts;
    }
  }
}

/// The chunks a thread cuts a range of `count` indices into when no other
/// thread takes from it: each a quarter (rounded up) of what is left. Their
/// begins.
std::vector<int64_t> QuarterChunkBegins(int64_t count) {
  std::vector<int64_t> begins;
  for (int64_t begin = 0; begin < count; begin += (count - begin + 3) / 4)
    begins.push_back(begin);
  return begins;
}

TEST(ThreadPoolTest, RejectsBadThreadCounts) {
  llmc_thread_pool_t *pool = nullptr;
  for (int32_t bad : {0, -1, LLMC_THREAD_POOL_MAX_THREADS + 1}) {
    llmc_status_t status =
        llmc_thread_pool_create(bad, llmc_allocator_system(), &pool);
    EXPECT_EQ(llmc_status_code(status), LLMC_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmc_status_message(status)).find("thread count"),
              std::string::npos);
    llmc_status_free(status);
    EXPECT_EQ(pool, nullptr);
  }
}

TEST(ThreadPoolTest, EveryIndexRunsExactlyOnce) {
  for (int32_t threads : {1, 2, 3, 4, 8}) {
    PoolPtr pool = MakePool(threads);
    ASSERT_TRUE(pool);
    EXPECT_EQ(llmc_thread_pool_thread_count(pool.get()), threads);
    for (int64_t count : {0, 1, 2, 3, 5, 8, 17, 64, 100, 4097}) {
      Counts counts(count);
      llmc_thread_pool_parallel_for(pool.get(), count, CountTask, &counts);
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(counts.hits[static_cast<size_t>(i)].load(), 1)
            << "index " << i << " of " << count << ", " << threads
            << " threads";
      // One call alone; otherwise at least one call and never an empty one.
      if (threads == 1 || count <= 1)
        EXPECT_EQ(counts.calls.load(), std::min<int64_t>(count, 1));
      else
        EXPECT_LE(counts.calls.load(), count);
    }
  }
}

TEST(ThreadPoolTest, RepeatedCallsReuseTheWorkers) {
  PoolPtr pool = MakePool(3);
  ASSERT_TRUE(pool);
  Counts counts(96);
  for (int call = 0; call < 2000; ++call)
    llmc_thread_pool_parallel_for(pool.get(), 96, CountTask, &counts);
  for (size_t i = 0; i < 96; ++i)
    ASSERT_EQ(counts.hits[i].load(), 2000) << "index " << i;
}

/// Writes a value that depends on the index only, so the result of a
/// parallel-for is the same for every split.
void SquareTask(void *ctx, int64_t begin, int64_t end) {
  auto *out = static_cast<std::vector<int64_t> *>(ctx);
  for (int64_t i = begin; i < end; ++i)
    (*out)[static_cast<size_t>(i)] = i * i + 7;
}

TEST(ThreadPoolTest, SleepingWorkersWakeUp) {
  // After the spin phase the workers block; later calls must still run.
  PoolPtr pool = MakePool(2);
  ASSERT_TRUE(pool);
  for (int round = 0; round < 3; ++round) {
    std::vector<int64_t> out(1000, -1);
    llmc_thread_pool_parallel_for(pool.get(), 1000, SquareTask, &out);
    for (int64_t i = 0; i < 1000; ++i)
      ASSERT_EQ(out[static_cast<size_t>(i)], i * i + 7);
    struct timespec pause = {0, 20 * 1000 * 1000}; // Past the spin phase.
    nanosleep(&pause, nullptr);
  }
}

/// Records which thread ran each chunk; chunks run by a worker are slow.
struct SlowWorkers {
  pthread_t caller;
  std::atomic<int> byCaller{0}, byWorkers{0};
};

void SlowWorkerTask(void *ctx, int64_t, int64_t) {
  auto *state = static_cast<SlowWorkers *>(ctx);
  if (pthread_equal(pthread_self(), state->caller)) {
    state->byCaller.fetch_add(1);
    return;
  }
  state->byWorkers.fetch_add(1);
  struct timespec pause = {0, 100 * 1000 * 1000};
  nanosleep(&pause, nullptr);
}

TEST(ThreadPoolTest, ADelayedWorkerLeavesItsShareToTheCaller) {
  // Chunks are claimed, not assigned: while the worker is held up in one
  // chunk (as if the OS had descheduled it), the caller runs the rest
  // instead of waiting for a fixed half to be done.
  PoolPtr pool = MakePool(2);
  ASSERT_TRUE(pool);
  SlowWorkers state;
  state.caller = pthread_self();
  llmc_thread_pool_parallel_for(pool.get(), 8, SlowWorkerTask, &state);
  EXPECT_EQ(state.byCaller.load() + state.byWorkers.load(), 8);
  EXPECT_GT(state.byCaller.load(), 4) << "a fixed split gives the caller 4";
}

/// Records, per thread, the range of each chunk it ran, in order.
struct ChunkOrder {
  pthread_t caller{};
  std::mutex mutex;
  std::map<pthread_t, std::vector<int64_t>> begins, ends;
};

void RecordOrderTask(void *ctx, int64_t begin, int64_t end) {
  auto *order = static_cast<ChunkOrder *>(ctx);
  std::lock_guard<std::mutex> lock(order->mutex);
  order->begins[pthread_self()].push_back(begin);
  order->ends[pthread_self()].push_back(end);
}

TEST(ThreadPoolTest, EachThreadWalksItsRangeInOrder) {
  // A thread's chunks continue one another (a sequential walk) except where
  // it starts a range taken from another thread; each such take halves a
  // range, so there are few of them.
  for (int32_t threads : {2, 3, 4}) {
    PoolPtr pool = MakePool(threads);
    ASSERT_TRUE(pool);
    for (int round = 0; round < 20; ++round) {
      ChunkOrder order;
      llmc_thread_pool_parallel_for(pool.get(), 1000, RecordOrderTask, &order);
      int64_t covered = 0;
      for (const auto &[thread, begins] : order.begins) {
        const std::vector<int64_t> &ends = order.ends[thread];
        int jumps = 0;
        for (size_t i = 0; i < begins.size(); ++i) {
          EXPECT_LT(begins[i], ends[i]);
          covered += ends[i] - begins[i];
          jumps += i > 0 && begins[i] != ends[i - 1];
        }
        EXPECT_LE(jumps, threads * 12)
            << threads << " threads, round " << round;
      }
      EXPECT_EQ(covered, 1000);
    }
  }
}

void SlowCallerTask(void *ctx, int64_t begin, int64_t end) {
  RecordOrderTask(ctx, begin, end);
  if (pthread_equal(pthread_self(), static_cast<ChunkOrder *>(ctx)->caller)) {
    struct timespec pause = {0, 25 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

TEST(ThreadPoolTest, EachThreadStartsAtItsOwnRangeAndTakesTheBackOfOthers) {
  // The worker starts at the second half and walks it chunk by chunk while
  // the (slow) caller is in the first half: each thread reads one
  // sequential range, not every other chunk. Then the worker takes the back
  // half of what the caller has left, again and again: the caller keeps
  // walking the front of its range, the worker never runs an index below
  // one the caller ran.
  PoolPtr pool = MakePool(2);
  ASSERT_TRUE(pool);
  ChunkOrder order;
  order.caller = pthread_self();
  llmc_thread_pool_parallel_for(pool.get(), 1024, SlowCallerTask, &order);
  ASSERT_EQ(order.begins.size(), 2u);
  const std::vector<int64_t> &byCaller = order.begins[order.caller];
  const std::vector<int64_t> &callerEnds = order.ends[order.caller];
  ASSERT_FALSE(byCaller.empty());
  EXPECT_EQ(byCaller.front(), 0);
  for (size_t i = 1; i < byCaller.size(); ++i)
    EXPECT_EQ(byCaller[i], callerEnds[i - 1]) << "the caller's chunk " << i;
  int64_t callerLast = callerEnds.back();
  for (const auto &[thread, begins] : order.begins) {
    if (pthread_equal(thread, order.caller))
      continue;
    // The worker's own lane, in order (its shrinking chunks), then the back
    // halves of the caller's.
    std::vector<int64_t> lane = QuarterChunkBegins(512);
    ASSERT_GE(begins.size(), lane.size());
    for (size_t i = 0; i < lane.size(); ++i)
      EXPECT_EQ(begins[i], 512 + lane[i]);
    for (size_t i = lane.size(); i < begins.size(); ++i) {
      EXPECT_LT(begins[i], 512);
      EXPECT_GE(begins[i], callerLast) << "the worker's chunk " << i;
    }
  }
}

TEST(ThreadPoolTest, NullPoolRunsOnTheCaller) {
  std::vector<int64_t> out(10, -1);
  llmc_thread_pool_parallel_for(nullptr, 10, SquareTask, &out);
  for (int64_t i = 0; i < 10; ++i)
    EXPECT_EQ(out[static_cast<size_t>(i)], i * i + 7);
}

TEST(ThreadPoolTest, RetainKeepsThePoolAlive) {
  PoolPtr pool = MakePool(2);
  ASSERT_TRUE(pool);
  llmc_thread_pool_retain(pool.get());
  llmc_thread_pool_release(pool.get());
  std::vector<int64_t> out(50, -1);
  llmc_thread_pool_parallel_for(pool.get(), 50, SquareTask, &out);
  EXPECT_EQ(out[49], 49 * 49 + 7);
}

/// Busy-waits about `us` microseconds per index (a task that takes time).
void SpinTask(void *ctx, int64_t begin, int64_t end) {
  auto us = *static_cast<const double *>(ctx);
  timespec start{}, now{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  do
    clock_gettime(CLOCK_MONOTONIC, &now);
  while ((double)(now.tv_sec - start.tv_sec) * 1e6 +
             (double)(now.tv_nsec - start.tv_nsec) * 1e-3 <
         us * (double)(end - begin));
}

TEST(ThreadPoolTest, ProfileRecordsEachTaskInFirstCallOrder) {
  for (int32_t threads : {1, 2, 3}) {
    PoolPtr pool = MakePool(threads);
    ASSERT_TRUE(pool);
    llmc_thread_pool_profile_t profile{};
    llmc_thread_pool_set_profile(pool.get(), &profile);
    double us = 20.0;
    Counts counts(40);
    for (int call = 0; call < 3; ++call) {
      llmc_thread_pool_parallel_for(pool.get(), 8, SpinTask, &us);
      llmc_thread_pool_parallel_for(pool.get(), 40, CountTask, &counts);
    }
    llmc_thread_pool_parallel_for(pool.get(), 1, SpinTask, &us);
    llmc_thread_pool_set_profile(pool.get(), nullptr);
    // Not recorded once the profile is unset.
    llmc_thread_pool_parallel_for(pool.get(), 8, SpinTask, &us);

    ASSERT_EQ(profile.task_count, 2) << threads << " threads";
    EXPECT_EQ(profile.dropped_calls, 0);
    const llmc_thread_pool_profile_task_t &spin = profile.tasks[0];
    const llmc_thread_pool_profile_task_t &count = profile.tasks[1];
    EXPECT_EQ(spin.task, &SpinTask);
    EXPECT_EQ(spin.calls, 4);
    EXPECT_EQ(count.task, &CountTask);
    EXPECT_EQ(count.calls, 3);
    // 3 calls of 8 x 20 us split over the threads, and one of 20 us.
    double least = (3.0 * 8.0 / threads + 1.0) * us * 1e-6;
    EXPECT_GE(spin.seconds, 0.9 * least);
    // Inside the chunks, over all threads: at least the 25 x 20 us spun,
    // at most every thread for the whole of each call.
    EXPECT_GE(spin.busy_seconds, 0.9 * 25.0 * us * 1e-6);
    for (const llmc_thread_pool_profile_task_t &t : {spin, count}) {
      EXPECT_GE(t.caller_wait_seconds, 0.0);
      EXPECT_LE(t.caller_wait_seconds, t.seconds);
      EXPECT_GE(t.gap_seconds, 0.0);
      EXPECT_GT(t.busy_seconds, 0.0);
      EXPECT_LE(t.busy_seconds, threads * t.seconds);
    }
    // When the last recorded call returned (the next call's gap start).
    EXPECT_GT(profile.last_return, 0.0);
    for (int64_t i = 0; i < 40; ++i)
      EXPECT_EQ(counts.hits[static_cast<size_t>(i)].load(), 3);
  }
}

TEST(ThreadPoolTest, ProfileCountsTasksBeyondItsTable) {
  PoolPtr pool = MakePool(2);
  ASSERT_TRUE(pool);
  llmc_thread_pool_profile_t profile{};
  // Fill the table with distinct (fake) task pointers, then call a new one.
  profile.task_count = LLMC_THREAD_POOL_PROFILE_TASKS;
  for (int32_t i = 0; i < LLMC_THREAD_POOL_PROFILE_TASKS; ++i)
    profile.tasks[i].task = reinterpret_cast<llmc_parallel_task_fn_t>(
        static_cast<uintptr_t>(0x1000 + 16 * i));
  llmc_thread_pool_set_profile(pool.get(), &profile);
  Counts counts(16);
  llmc_thread_pool_parallel_for(pool.get(), 16, CountTask, &counts);
  llmc_thread_pool_set_profile(pool.get(), nullptr);
  EXPECT_EQ(profile.dropped_calls, 1);
  EXPECT_EQ(profile.task_count, LLMC_THREAD_POOL_PROFILE_TASKS);
  EXPECT_EQ(counts.hits[15].load(), 1);
}

} // namespace
