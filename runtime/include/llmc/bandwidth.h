/* Memory read bandwidth probe: the roofline a decoded token is measured by. */
/*
 * Decode reads every streamed weight once per token, so its speed limit on a
 * device is (read bandwidth) / (bytes read per token). This probe measures the
 * first term with the same binary and the same thread pool as the model:
 * it fills a buffer (much larger than the last-level cache), then reads all of
 * it `repeats` times through llmc_thread_pool_parallel_for, each thread
 * summing a contiguous range of 64-bit words as LLMC_BANDWIDTH_STREAMS
 * interleaved sequential streams (consecutive quarters of the range, as
 * decode reads several row groups side by side), and reports bytes / seconds
 * of the fastest and the median read pass.
 *
 * Word i of the buffer holds i * LLMC_BANDWIDTH_WORD_MULTIPLIER (mod 2^64);
 * every pass's checksum is the sum of all words (mod 2^64), so a caller can
 * check that each word was read exactly once.
 */
#ifndef LLMC_BANDWIDTH_H_
#define LLMC_BANDWIDTH_H_

#include <stddef.h>
#include <stdint.h>

#include "llmc/runtime.h"
#include "llmc/thread_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Multiplier of the fill pattern (word i = i * multiplier).
#define LLMC_BANDWIDTH_WORD_MULTIPLIER 0x9E3779B97F4A7C15ull
/// Sequential streams each range is read as: with 2 threads on the 2-core
/// Zen 5 build machine, one stream per thread read 56-62 GB/s where 4 read
/// 71-72 (and the f32 decode kernel, 4 streams per thread, out-read the
/// 1-stream probe; docs/benchmarks.md).
#define LLMC_BANDWIDTH_STREAMS 4
/// Bytes each parallel-for index reads (the buffer size is rounded down to
/// a multiple of it).
#define LLMC_BANDWIDTH_BLOCK_BYTES 65536u
/// Default buffer size: far above the last-level caches of the CPUs we
/// target (the probe cannot ask the hardware reliably: VMs report anything).
#define LLMC_BANDWIDTH_DEFAULT_BYTES ((size_t)512 << 20)

/// What llmc_bandwidth_measure (or llmc_bandwidth_probe_run) measured.
typedef struct llmc_bandwidth_result_t {
  uint64_t buffer_bytes;          ///< Bytes read per pass.
  int32_t threads;                ///< Threads that read (the pool's, or 1).
  int32_t repeats;                ///< Read passes timed.
  double best_bytes_per_second;   ///< Fastest pass.
  double median_bytes_per_second; ///< Median pass.
  uint64_t checksum; ///< Sum of all words of the last pass (mod 2^64).
  bool huge_pages;   ///< The buffer was in huge pages (see below).
} llmc_bandwidth_result_t;

/// Measures the read bandwidth over a `buffer_bytes` buffer (rounded down to
/// a multiple of LLMC_BANDWIDTH_BLOCK_BYTES) in huge pages where the system
/// offers them, as LLMC_WEIGHTS_OPEN_HUGE_PAGES reads weights (else
/// allocated from `allocator`),
/// with the threads of `pool` (NULL: the calling thread only), `repeats`
/// timed passes after one untimed warm-up pass. INVALID_ARGUMENT if
/// buffer_bytes < LLMC_BANDWIDTH_BLOCK_BYTES or repeats is outside
/// [1, 1000]; RESOURCE_EXHAUSTED if the buffer cannot be allocated.
llmc_status_t llmc_bandwidth_measure(llmc_thread_pool_t *pool,
                                     size_t buffer_bytes, int32_t repeats,
                                     llmc_allocator_t allocator,
                                     llmc_bandwidth_result_t *out_result);

/// A probe whose buffer stays filled between measurements, so that a caller
/// can measure right before and after each run of something else (the
/// machine's bandwidth can change within seconds).
typedef struct llmc_bandwidth_probe_t llmc_bandwidth_probe_t;

/// Allocates and fills the buffer as llmc_bandwidth_measure does and reads
/// it once untimed; retains `pool`. INVALID_ARGUMENT if buffer_bytes <
/// LLMC_BANDWIDTH_BLOCK_BYTES; RESOURCE_EXHAUSTED if the buffer cannot be
/// allocated.
llmc_status_t llmc_bandwidth_probe_create(llmc_thread_pool_t *pool,
                                          size_t buffer_bytes,
                                          llmc_allocator_t allocator,
                                          llmc_bandwidth_probe_t **out_probe);
/// Times `repeats` read passes (INVALID_ARGUMENT outside [1, 1000]).
llmc_status_t llmc_bandwidth_probe_run(llmc_bandwidth_probe_t *probe,
                                       int32_t repeats,
                                       llmc_bandwidth_result_t *out_result);
/// Frees the buffer and releases the pool. NULL is a no-op.
void llmc_bandwidth_probe_release(llmc_bandwidth_probe_t *probe);

/// The checksum of a pass over `buffer_bytes` (rounded as above).
uint64_t llmc_bandwidth_expected_checksum(size_t buffer_bytes);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_BANDWIDTH_H_ */
