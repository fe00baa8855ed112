/* The injected allocator interface and its default, the C heap. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "llmc/runtime.h"

static llmc_status_t llmc_system_alloc(void *self, size_t size,
                                       size_t alignment, void **out_ptr) {
  (void)self;
  void *ptr = NULL;
  int error = posix_memalign(&ptr, alignment, size);
  if (error != 0 || !ptr)
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "out of memory allocating %zu bytes (alignment "
                            "%zu)",
                            size, alignment);
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
