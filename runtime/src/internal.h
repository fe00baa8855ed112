/* Helpers shared by the runtime's source files (not part of the API). */
#ifndef LLMC_RUNTIME_SRC_INTERNAL_H_
#define LLMC_RUNTIME_SRC_INTERNAL_H_

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "llmc/runtime.h"

/// Reads a little-endian uint32 from possibly unaligned memory.
static inline uint32_t llmc_load_u32_le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

/// Reads a little-endian uint64 from possibly unaligned memory.
static inline uint64_t llmc_load_u64_le(const uint8_t *p) {
  return (uint64_t)llmc_load_u32_le(p) |
         ((uint64_t)llmc_load_u32_le(p + 4) << 32);
}

/// Reads a little-endian IEEE-754 float from possibly unaligned memory.
static inline float llmc_load_f32_le(const uint8_t *p) {
  uint32_t bits = llmc_load_u32_le(p);
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}

/// True if [offset, offset + size) lies within [0, limit), without overflow.
static inline int llmc_range_within(uint64_t offset, uint64_t size,
                                    uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

/// Seconds of CLOCK_MONOTONIC (thread_pool.c): for timing intervals.
double llmc_monotonic_seconds(void);

/// Duplicates a NUL-terminated string with `allocator`.
llmc_status_t llmc_strdup(llmc_allocator_t allocator, const char *str,
                          char **out_str);

/// Size and alignment of the huge pages llmc_huge_pages_alloc asks for.
#define LLMC_HUGE_PAGE_BYTES ((size_t)2 << 20)

/// `size` bytes (rounded up to LLMC_HUGE_PAGE_BYTES), zeroed, aligned to
/// LLMC_HUGE_PAGE_BYTES, from an anonymous mapping advised to use huge
/// pages (Linux transparent huge pages, MADV_HUGEPAGE). NULL where the
/// system offers none (not Linux, THP disabled, or the mapping failed):
/// then use other memory. Free with llmc_huge_pages_free(ptr, size).
void *llmc_huge_pages_alloc(size_t size);
void llmc_huge_pages_free(void *ptr, size_t size);

/// The number of logits a sampler was created for.
int32_t llmc_sampler_vocab_size(const llmc_sampler_t *sampler);

/// Reference counting shared by the API objects.
typedef atomic_int llmc_ref_count_t;

static inline void llmc_ref_init(llmc_ref_count_t *count) {
  atomic_init(count, 1);
}
static inline void llmc_ref_inc(llmc_ref_count_t *count) {
  atomic_fetch_add_explicit(count, 1, memory_order_relaxed);
}
/// Returns nonzero when the count dropped to zero.
static inline int llmc_ref_dec(llmc_ref_count_t *count) {
  return atomic_fetch_sub_explicit(count, 1, memory_order_acq_rel) == 1;
}

#endif /* LLMC_RUNTIME_SRC_INTERNAL_H_ */
