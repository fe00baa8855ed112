/* The injected allocator interface and its default, the C heap; memory
 * backed by huge pages. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE // MAP_ANONYMOUS, madvise

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "internal.h"
#include "llmc/runtime.h"

static llmc_status_t llmc_system_alloc(void *self, size_t size,
                                       size_t alignment, void **out_ptr) {
  (void)self;
  void *ptr = NULL;
  // A block of a huge page or more (a session's KV cache, a large arena)
  // starts on a huge page boundary and asks the kernel for huge pages (only
  // advice: where they are off, it is ordinary memory). Decode reads a
  // layer's cached keys and values once per token; from 4 KiB pages the
  // TinyLlama shape's attention at 512 tokens of context took 11-21%
  // longer (docs/benchmarks.md).
  bool huge = size >= LLMC_HUGE_PAGE_BYTES;
  if (huge && alignment < LLMC_HUGE_PAGE_BYTES)
    alignment = LLMC_HUGE_PAGE_BYTES;
  int error = posix_memalign(&ptr, alignment, size);
  if (error != 0 || !ptr)
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "out of memory allocating %zu bytes (alignment "
                            "%zu)",
                            size, alignment);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge)
    (void)madvise(ptr, size & ~(size_t)(LLMC_HUGE_PAGE_BYTES - 1),
                  MADV_HUGEPAGE);
#endif
  *out_ptr = ptr;
  return LLMC_OK;
}

static void llmc_system_free(void *self, void *ptr) {
  (void)self;
  free(ptr);
}

llmc_allocator_t llmc_allocator_system(void) {
  llmc_allocator_t allocator = {NULL, llmc_system_alloc, llmc_system_free};
  return allocator;
}

llmc_status_t llmc_allocator_alloc(llmc_allocator_t allocator, size_t size,
                                   size_t alignment, void **out_ptr) {
  if (!out_ptr || !allocator.alloc_fn)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "allocator or out_ptr is NULL");
  if (alignment < sizeof(void *))
    alignment = sizeof(void *);
  if ((alignment & (alignment - 1)) != 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "alignment %zu is not a power of two", alignment);
  if (size == 0)
    size = 1;
  void *ptr = NULL;
  LLMC_RETURN_IF_ERROR(
      allocator.alloc_fn(allocator.self, size, alignment, &ptr));
  if (!ptr || ((uintptr_t)ptr & (alignment - 1)) != 0) {
    if (ptr && allocator.free_fn)
      allocator.free_fn(allocator.self, ptr);
    return llmc_status_make(LLMC_STATUS_INTERNAL,
                            "allocator returned a block not aligned to %zu",
                            alignment);
  }
  memset(ptr, 0, size);
  *out_ptr = ptr;
  return LLMC_OK;
}

void llmc_allocator_free(llmc_allocator_t allocator, void *ptr) {
  if (ptr && allocator.free_fn)
    allocator.free_fn(allocator.self, ptr);
}

llmc_status_t llmc_strdup(llmc_allocator_t allocator, const char *str,
                          char **out_str) {
  size_t length = strlen(str);
  char *copy = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_allocator_alloc(allocator, length + 1, 1, (void **)&copy));
  memcpy(copy, str, length + 1);
  *out_str = copy;
  return LLMC_OK;
}

#if defined(__linux__) && defined(MADV_HUGEPAGE)
/// False if the kernel's transparent huge pages are off ("[never]") or
/// absent; madvise would then succeed without effect, or fail.
static bool llmc_huge_pages_enabled(void) {
  FILE *file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!file)
    return false;
  char line[128] = {0};
  bool enabled = fgets(line, sizeof(line), file) && !strstr(line, "[never]");
  fclose(file);
  return enabled;
}

static size_t llmc_huge_pages_round(size_t size) {
  return (size + LLMC_HUGE_PAGE_BYTES - 1) & ~(LLMC_HUGE_PAGE_BYTES - 1);
}

void *llmc_huge_pages_alloc(size_t size) {
  if (size == 0 || size > SIZE_MAX - 2 * LLMC_HUGE_PAGE_BYTES ||
      !llmc_huge_pages_enabled())
    return NULL;
  size_t rounded = llmc_huge_pages_round(size);
  // Over-map by one huge page and trim, so the region starts on a huge
  // page boundary (the kernel only backs aligned 2 MiB ranges with them).
  size_t mapped = rounded + LLMC_HUGE_PAGE_BYTES;
  uint8_t *raw = mmap(NULL, mapped, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return NULL;
  uintptr_t start = ((uintptr_t)raw + LLMC_HUGE_PAGE_BYTES - 1) &
                    ~(uintptr_t)(LLMC_HUGE_PAGE_BYTES - 1);
  uint8_t *aligned = (uint8_t *)start;
  size_t head = (size_t)(aligned - raw);
  if (head)
    munmap(raw, head);
  if (mapped - head > rounded)
    munmap(aligned + rounded, mapped - head - rounded);
  if (madvise(aligned, rounded, MADV_HUGEPAGE) != 0) {
    munmap(aligned, rounded);
    return NULL;
  }
  return aligned;
}

void llmc_huge_pages_free(void *ptr, size_t size) {
  if (ptr)
    munmap(ptr, llmc_huge_pages_round(size));
}
#else
void *llmc_huge_pages_alloc(size_t size) {
  (void)size;
  return NULL;
}

void llmc_huge_pages_free(void *ptr, size_t size) {
  (void)ptr;
  (void)size;
}
#endif
