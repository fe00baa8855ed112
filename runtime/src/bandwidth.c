/* Memory read bandwidth probe (bandwidth.h). */
#define _POSIX_C_SOURCE 200809L

#include "llmc/bandwidth.h"

#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>

#define LLMC_BANDWIDTH_WORDS_PER_BLOCK (LLMC_BANDWIDTH_BLOCK_BYTES / 8u)
_Static_assert(LLMC_BANDWIDTH_WORDS_PER_BLOCK % (8 * LLMC_BANDWIDTH_STREAMS) ==
                   0,
               "a block splits into whole 64-byte lines per stream");

/// Shared state of one pass: the buffer and the sum of the ranges' sums.
typedef struct llmc_bandwidth_pass_t {
  uint64_t *words;
  _Atomic uint64_t checksum;
} llmc_bandwidth_pass_t;

/// Fills blocks [begin, end): word i = i * multiplier.
static void llmc_bandwidth_fill(void *ctx, int64_t begin, int64_t end) {
  llmc_bandwidth_pass_t *pass = ctx;
  uint64_t first = (uint64_t)begin * LLMC_BANDWIDTH_WORDS_PER_BLOCK;
  uint64_t last = (uint64_t)end * LLMC_BANDWIDTH_WORDS_PER_BLOCK;
  for (uint64_t i = first; i < last; ++i)
    pass->words[i] = i * LLMC_BANDWIDTH_WORD_MULTIPLIER;
}

/// Sums blocks [begin, end) with independent accumulators (so the loads,
/// not an add chain, bound the loop; compilers vectorize it), reading the
/// range's LLMC_BANDWIDTH_STREAMS consecutive parts side by side, 64 bytes
/// of each per step (every block is a multiple of that many 64-byte lines).
static void llmc_bandwidth_read(void *ctx, int64_t begin, int64_t end) {
  llmc_bandwidth_pass_t *pass = ctx;
  const uint64_t *p =
      pass->words + (uint64_t)begin * LLMC_BANDWIDTH_WORDS_PER_BLOCK;
  uint64_t part = (uint64_t)(end - begin) * LLMC_BANDWIDTH_WORDS_PER_BLOCK /
                  LLMC_BANDWIDTH_STREAMS;
  uint64_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (uint64_t i = 0; i < part; i += 8)
    for (int s = 0; s < LLMC_BANDWIDTH_STREAMS; ++s)
      for (int k = 0; k < 8; ++k)
        acc[k] += p[(uint64_t)s * part + i + k];
  uint64_t sum = 0;
  for (int k = 0; k < 8; ++k)
    sum += acc[k];
  atomic_fetch_add_explicit(&pass->checksum, sum, memory_order_relaxed);
}

static int llmc_bandwidth_compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

uint64_t llmc_bandwidth_expected_checksum(size_t buffer_bytes) {
  // sum_{i<n} i * m = m * n(n-1)/2 (mod 2^64); halve the even factor first.
  uint64_t n = (uint64_t)(buffer_bytes / LLMC_BANDWIDTH_BLOCK_BYTES) *
               LLMC_BANDWIDTH_WORDS_PER_BLOCK;
  if (n == 0)
    return 0;
  uint64_t a = n, b = n - 1;
  if (a % 2 == 0)
    a /= 2;
  else
    b /= 2;
  return a * b * LLMC_BANDWIDTH_WORD_MULTIPLIER;
}

/// INVALID_ARGUMENT unless 1 <= repeats <= 1000.
static llmc_status_t llmc_bandwidth_check_repeats(int32_t repeats) {
  if (repeats < 1 || repeats > 1000)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "bandwidth repeats %d is outside [1, 1000]",
                            (int)repeats);
  return LLMC_OK;
}

struct llmc_bandwidth_probe_t {
  llmc_thread_pool_t *pool; ///< Retained (NULL: the calling thread).
  llmc_allocator_t allocator;
  llmc_bandwidth_pass_t pass;
  size_t bytes;
  int64_t blocks;
  bool huge_pages;
};

llmc_status_t llmc_bandwidth_probe_create(llmc_thread_pool_t *pool,
                                          size_t buffer_bytes,
                                          llmc_allocator_t allocator,
                                          llmc_bandwidth_probe_t **out_probe) {
  if (!out_probe)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "out_probe is NULL");
  *out_probe = NULL;
  if (buffer_bytes < LLMC_BANDWIDTH_BLOCK_BYTES)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "bandwidth buffer of %zu bytes is smaller than "
                            "one %u-byte block",
                            buffer_bytes, LLMC_BANDWIDTH_BLOCK_BYTES);
  llmc_bandwidth_probe_t *probe = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_allocator_alloc(allocator, sizeof(*probe), 64, (void **)&probe));
  probe->allocator = allocator;
  probe->blocks = (int64_t)(buffer_bytes / LLMC_BANDWIDTH_BLOCK_BYTES);
  probe->bytes = (size_t)probe->blocks * LLMC_BANDWIDTH_BLOCK_BYTES;
  atomic_init(&probe->pass.checksum, 0);
  // In huge pages where offered, as llmc-run reads the weights
  // (LLMC_WEIGHTS_OPEN_HUGE_PAGES), so both pay the same TLB misses.
  probe->pass.words = llmc_huge_pages_alloc(probe->bytes);
  probe->huge_pages = probe->pass.words != NULL;
  if (!probe->huge_pages) {
    llmc_status_t status = llmc_allocator_alloc(allocator, probe->bytes, 64,
                                                (void **)&probe->pass.words);
    if (status) {
      llmc_allocator_free(allocator, probe);
      return status;
    }
  }
  llmc_thread_pool_retain(pool);
  probe->pool = pool;
  // The threads that read a range also write it first (first touch), and
  // one untimed pass warms the TLBs and the pool.
  llmc_thread_pool_parallel_for(pool, probe->blocks, llmc_bandwidth_fill,
                                &probe->pass);
  llmc_thread_pool_parallel_for(pool, probe->blocks, llmc_bandwidth_read,
                                &probe->pass);
  *out_probe = probe;
  return LLMC_OK;
}

llmc_status_t llmc_bandwidth_probe_run(llmc_bandwidth_probe_t *probe,
                                       int32_t repeats,
                                       llmc_bandwidth_result_t *out_result) {
  if (!probe || !out_result)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "probe or out_result is NULL");
  LLMC_RETURN_IF_ERROR(llmc_bandwidth_check_repeats(repeats));
  double *rates = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      probe->allocator, sizeof(double) * (size_t)repeats, 8, (void **)&rates));
  uint64_t checksum = 0;
  for (int32_t r = 0; r < repeats; ++r) {
    atomic_store_explicit(&probe->pass.checksum, 0, memory_order_relaxed);
    double start = llmc_monotonic_seconds();
    llmc_thread_pool_parallel_for(probe->pool, probe->blocks,
                                  llmc_bandwidth_read, &probe->pass);
    double seconds = llmc_monotonic_seconds() - start;
    checksum =
        atomic_load_explicit(&probe->pass.checksum, memory_order_relaxed);
    rates[r] = seconds > 0.0 ? (double)probe->bytes / seconds : 0.0;
  }
  qsort(rates, (size_t)repeats, sizeof(double), llmc_bandwidth_compare);
  out_result->buffer_bytes = probe->bytes;
  out_result->threads = llmc_thread_pool_thread_count(probe->pool);
  out_result->repeats = repeats;
  out_result->best_bytes_per_second = rates[repeats - 1];
  out_result->median_bytes_per_second = rates[repeats / 2];
  out_result->checksum = checksum;
  out_result->huge_pages = probe->huge_pages;
  llmc_allocator_free(probe->allocator, rates);
  return LLMC_OK;
}

void llmc_bandwidth_probe_release(llmc_bandwidth_probe_t *probe) {
  if (!probe)
    return;
  if (probe->huge_pages)
    llmc_huge_pages_free(probe->pass.words, probe->bytes);
  else
    llmc_allocator_free(probe->allocator, probe->pass.words);
  llmc_thread_pool_release(probe->pool);
  llmc_allocator_free(probe->allocator, probe);
}

llmc_status_t llmc_bandwidth_measure(llmc_thread_pool_t *pool,
                                     size_t buffer_bytes, int32_t repeats,
                                     llmc_allocator_t allocator,
                                     llmc_bandwidth_result_t *out_result) {
  if (!out_result)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "out_result is NULL");
  // Before the buffer is filled.
  LLMC_RETURN_IF_ERROR(llmc_bandwidth_check_repeats(repeats));
  llmc_bandwidth_probe_t *probe = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_bandwidth_probe_create(pool, buffer_bytes, allocator, &probe));
  llmc_status_t status = llmc_bandwidth_probe_run(probe, repeats, out_result);
  llmc_bandwidth_probe_release(probe);
  return status;
}
