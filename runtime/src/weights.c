/* Opening, mapping and validating LLMW weights files (format.h). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "llmc/runtime.h"

/// Where the file's bytes live.
typedef enum llmc_weights_storage_e {
  LLMC_WEIGHTS_STORAGE_BORROWED, ///< Caller's memory (open_memory).
  LLMC_WEIGHTS_STORAGE_MAPPED,   ///< mmap'd; munmap on release.
  LLMC_WEIGHTS_STORAGE_BUFFER,   ///< read() into an allocated buffer.
  LLMC_WEIGHTS_STORAGE_HUGE,     ///< read() into llmc_huge_pages_alloc.
} llmc_weights_storage_t;

struct llmc_weights_t {
  llmc_ref_count_t ref_count;
  llmc_allocator_t allocator;
  char *name;          ///< For messages; owned.
  const uint8_t *base; ///< The whole file.
  void *owned;         ///< The mapping or buffer (NULL if borrowed).
  size_t size;         ///< Its size in bytes.
  llmc_weights_storage_t storage;
  llmc_weights_header_t header; ///< Decoded, host byte order.
};

/// Writes up to 8 bytes of `bytes` as a C-escaped string into `out` (>= 40).
static void llmc_escape_magic(const uint8_t *bytes, size_t count, char *out,
                              size_t out_size) {
  size_t pos = 0;
  for (size_t i = 0; i < count && pos + 5 < out_size; ++i) {
    uint8_t c = bytes[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      out[pos++] = (char)c;
    else
      pos += (size_t)snprintf(out + pos, out_size - pos, "\\x%02x", c);
  }
  out[pos < out_size ? pos : out_size - 1] = '\0';
}

/// Validates the header and section bounds of the `size` bytes at `base`
/// and decodes the header into *out_header.
static llmc_status_t llmc_weights_validate(const char *name,
                                           const uint8_t *base, size_t size,
                                           llmc_weights_header_t *out_header) {
  if (size < LLMC_WEIGHTS_HEADER_SIZE)
    return llmc_status_make(LLMC_STATUS_TRUNCATED,
                            "%s: file is %zu bytes, smaller than the %u-byte "
                            "weights header",
                            name, size, LLMC_WEIGHTS_HEADER_SIZE);
  if (memcmp(base, LLMC_WEIGHTS_MAGIC, LLMC_WEIGHTS_MAGIC_SIZE) != 0) {
    char found[48];
    llmc_escape_magic(base, LLMC_WEIGHTS_MAGIC_SIZE, found, sizeof(found));
    return llmc_status_make(LLMC_STATUS_BAD_MAGIC,
                            "%s: bad magic \"%s\", expected \"LLMCWTS\\x00\" "
                            "(not an llmc weights file)",
                            name, found);
  }
  llmc_weights_header_t header;
  memcpy(header.magic, base, sizeof(header.magic));
  header.version = llmc_load_u32_le(base + 8);
  header.header_size = llmc_load_u32_le(base + 12);
  header.file_size = llmc_load_u64_le(base + 16);
  header.model_id = llmc_load_u64_le(base + 24);
  header.data_offset = llmc_load_u64_le(base + 32);
  header.data_size = llmc_load_u64_le(base + 40);
  header.tokenizer_offset = llmc_load_u64_le(base + 48);
  header.tokenizer_size = llmc_load_u64_le(base + 56);
  memcpy(header.reserved, base + 64, sizeof(header.reserved));

  if (header.version != LLMC_WEIGHTS_VERSION)
    return llmc_status_make(LLMC_STATUS_UNSUPPORTED_VERSION,
                            "%s: weights format version %" PRIu32
                            " is not supported (this runtime reads version %u)",
                            name, header.version, LLMC_WEIGHTS_VERSION);
  if (header.header_size != LLMC_WEIGHTS_HEADER_SIZE)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: header_size is %" PRIu32 ", expected %u", name,
                            header.header_size, LLMC_WEIGHTS_HEADER_SIZE);
  if (header.file_size > size)
    return llmc_status_make(LLMC_STATUS_TRUNCATED,
                            "%s: file is truncated: header says %" PRIu64
                            " bytes, file has %zu",
                            name, header.file_size, size);
  if (header.file_size < size)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: file has %zu bytes but header says %" PRIu64
                            " (trailing data)",
                            name, size, header.file_size);
  for (size_t i = 0; i < sizeof(header.reserved); ++i) {
    if (header.reserved[i] != 0)
      return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                              "%s: reserved header byte %zu is 0x%02x, "
                              "expected 0",
                              name, 64 + i, header.reserved[i]);
  }

  // Data section: aligned, after the header, inside the file.
  if (header.data_offset % LLMC_WEIGHTS_DATA_ALIGNMENT != 0)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "%s: data section offset %" PRIu64 " is not a multiple of %u", name,
        header.data_offset, LLMC_WEIGHTS_DATA_ALIGNMENT);
  if (header.data_offset < LLMC_WEIGHTS_HEADER_SIZE)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: data section offset %" PRIu64
                            " overlaps the %u-byte header",
                            name, header.data_offset, LLMC_WEIGHTS_HEADER_SIZE);
  if (!llmc_range_within(header.data_offset, header.data_size, size))
    return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                            "%s: data section [offset %" PRIu64
                            ", size %" PRIu64 ") exceeds file size %zu",
                            name, header.data_offset, header.data_size, size);

  // Tokenizer section: likewise.
  if (header.tokenizer_offset % LLMC_WEIGHTS_TOKENIZER_ALIGNMENT != 0)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "%s: tokenizer section offset %" PRIu64 " is not a multiple of %u",
        name, header.tokenizer_offset, LLMC_WEIGHTS_TOKENIZER_ALIGNMENT);
  if (header.tokenizer_offset < LLMC_WEIGHTS_HEADER_SIZE)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "%s: tokenizer section offset %" PRIu64 " overlaps the %u-byte header",
        name, header.tokenizer_offset, LLMC_WEIGHTS_HEADER_SIZE);
  if (!llmc_range_within(header.tokenizer_offset, header.tokenizer_size, size))
    return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                            "%s: tokenizer section [offset %" PRIu64
                            ", size %" PRIu64 ") exceeds file size %zu",
                            name, header.tokenizer_offset,
                            header.tokenizer_size, size);

  // The two sections must not overlap (empty sections overlap nothing).
  uint64_t data_end = header.data_offset + header.data_size;
  uint64_t tokenizer_end = header.tokenizer_offset + header.tokenizer_size;
  if (header.data_size != 0 && header.tokenizer_size != 0 &&
      header.data_offset < tokenizer_end && header.tokenizer_offset < data_end)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "%s: data section [offset %" PRIu64 ", size %" PRIu64
        ") overlaps tokenizer section [offset %" PRIu64 ", size %" PRIu64 ")",
        name, header.data_offset, header.data_size, header.tokenizer_offset,
        header.tokenizer_size);
  *out_header = header;
  return LLMC_OK;
}

/// Creates the weights object around already-validated bytes.
static llmc_status_t llmc_weights_wrap(const char *name, const uint8_t *base,
                                       void *owned, size_t size,
                                       llmc_weights_storage_t storage,
                                       const llmc_weights_header_t *header,
                                       llmc_allocator_t allocator,
                                       llmc_weights_t **out_weights) {
  llmc_weights_t *weights = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(allocator, sizeof(*weights),
                                            _Alignof(llmc_weights_t),
                                            (void **)&weights));
  llmc_status_t status = llmc_strdup(allocator, name, &weights->name);
  if (status) {
    llmc_allocator_free(allocator, weights);
    return status;
  }
  llmc_ref_init(&weights->ref_count);
  weights->allocator = allocator;
  weights->base = base;
  weights->owned = owned;
  weights->size = size;
  weights->storage = storage;
  weights->header = *header;
  *out_weights = weights;
  return LLMC_OK;
}

llmc_status_t llmc_weights_open_memory(const void *data, size_t size,
                                       const char *name,
                                       llmc_allocator_t allocator,
                                       llmc_weights_t **out_weights) {
  if (!out_weights)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "out_weights is NULL");
  *out_weights = NULL;
  if (!name)
    name = "<memory>";
  if (!data && size != 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "%s: data is NULL",
                            name);
  llmc_weights_header_t header;
  LLMC_RETURN_IF_ERROR(
      llmc_weights_validate(name, (const uint8_t *)data, size, &header));
  return llmc_weights_wrap(name, (const uint8_t *)data, NULL, size,
                           LLMC_WEIGHTS_STORAGE_BORROWED, &header, allocator,
                           out_weights);
}

/// Reads the `size` bytes of `fd` into `buffer`.
static llmc_status_t llmc_read_into(const char *path, int fd, size_t size,
                                    uint8_t *buffer) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd, buffer + done, size - done, (off_t)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      return llmc_status_make(LLMC_STATUS_TRUNCATED,
                              "%s: file shrank to %zu bytes while reading "
                              "(expected %zu)",
                              path, done, size);
    if (n < 0)
      return llmc_status_make(LLMC_STATUS_IO_ERROR, "%s: read failed: %s", path,
                              strerror(errno));
    done += (size_t)n;
  }
  return LLMC_OK;
}

/// Reads `size` bytes of `fd` into a new 64-byte aligned buffer.
static llmc_status_t llmc_read_whole_file(const char *path, int fd, size_t size,
                                          llmc_allocator_t allocator,
                                          uint8_t **out_buffer) {
  uint8_t *buffer = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, size, LLMC_WEIGHTS_DATA_ALIGNMENT, (void **)&buffer));
  llmc_status_t status = llmc_read_into(path, fd, size, buffer);
  if (status) {
    llmc_allocator_free(allocator, buffer);
    return status;
  }
  *out_buffer = buffer;
  return LLMC_OK;
}

llmc_status_t llmc_weights_open_file(const char *path, uint32_t flags,
                                     llmc_allocator_t allocator,
                                     llmc_weights_t **out_weights) {
  if (!out_weights)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "out_weights is NULL");
  *out_weights = NULL;
  if (!path)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "path is NULL");

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return llmc_status_make(
        error == ENOENT ? LLMC_STATUS_NOT_FOUND : LLMC_STATUS_IO_ERROR,
        "%s: cannot open weights file: %s", path, strerror(error));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int error = errno;
    close(fd);
    return llmc_status_make(LLMC_STATUS_IO_ERROR, "%s: cannot stat: %s", path,
                            strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return llmc_status_make(LLMC_STATUS_IO_ERROR, "%s: not a regular file",
                            path);
  }
  if (st.st_size < 0 || (uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
    close(fd);
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "%s: file too large for the address space", path);
  }
  size_t size = (size_t)st.st_size;
  if (size < LLMC_WEIGHTS_HEADER_SIZE) {
    close(fd);
    return llmc_status_make(LLMC_STATUS_TRUNCATED,
                            "%s: file is %zu bytes, smaller than the %u-byte "
                            "weights header",
                            path, size, LLMC_WEIGHTS_HEADER_SIZE);
  }

  // Read it into huge pages if asked and offered, else map it read-only;
  // fall back to reading it into allocated memory.
  void *owned = NULL;
  llmc_weights_storage_t storage = LLMC_WEIGHTS_STORAGE_MAPPED;
  if (flags & LLMC_WEIGHTS_OPEN_HUGE_PAGES) {
    uint8_t *pages = llmc_huge_pages_alloc(size);
    if (pages) {
      llmc_status_t status = llmc_read_into(path, fd, size, pages);
      if (status) {
        llmc_huge_pages_free(pages, size);
        close(fd);
        return status;
      }
      owned = pages;
      storage = LLMC_WEIGHTS_STORAGE_HUGE;
    }
  }
  if (!owned && !(flags & LLMC_WEIGHTS_OPEN_NO_MMAP)) {
    void *mapping = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping != MAP_FAILED)
      owned = mapping;
  }
  if (!owned) {
    uint8_t *buffer = NULL;
    llmc_status_t status =
        llmc_read_whole_file(path, fd, size, allocator, &buffer);
    if (status) {
      close(fd);
      return status;
    }
    owned = buffer;
    storage = LLMC_WEIGHTS_STORAGE_BUFFER;
  }
  close(fd);

  const uint8_t *base = (const uint8_t *)owned;
  llmc_weights_header_t header;
  llmc_status_t status = llmc_weights_validate(path, base, size, &header);
  if (!status)
    status = llmc_weights_wrap(path, base, owned, size, storage, &header,
                               allocator, out_weights);
  if (status) {
    if (storage == LLMC_WEIGHTS_STORAGE_MAPPED)
      munmap(owned, size);
    else if (storage == LLMC_WEIGHTS_STORAGE_HUGE)
      llmc_huge_pages_free(owned, size);
    else
      llmc_allocator_free(allocator, owned);
  }
  return status;
}

void llmc_weights_retain(llmc_weights_t *weights) {
  if (weights)
    llmc_ref_inc(&weights->ref_count);
}

void llmc_weights_release(llmc_weights_t *weights) {
  if (!weights || !llmc_ref_dec(&weights->ref_count))
    return;
  llmc_allocator_t allocator = weights->allocator;
  if (weights->storage == LLMC_WEIGHTS_STORAGE_MAPPED)
    munmap(weights->owned, weights->size);
  else if (weights->storage == LLMC_WEIGHTS_STORAGE_BUFFER)
    llmc_allocator_free(allocator, weights->owned);
  else if (weights->storage == LLMC_WEIGHTS_STORAGE_HUGE)
    llmc_huge_pages_free(weights->owned, weights->size);
  llmc_allocator_free(allocator, weights->name);
  llmc_allocator_free(allocator, weights);
}

const char *llmc_weights_name(const llmc_weights_t *weights) {
  return weights->name;
}

bool llmc_weights_in_huge_pages(const llmc_weights_t *weights) {
  return weights->storage == LLMC_WEIGHTS_STORAGE_HUGE;
}

const llmc_weights_header_t *
llmc_weights_header(const llmc_weights_t *weights) {
  return &weights->header;
}

bool llmc_weights_is_mapped(const llmc_weights_t *weights) {
  return weights->storage == LLMC_WEIGHTS_STORAGE_MAPPED;
}

const uint8_t *llmc_weights_data(const llmc_weights_t *weights) {
  return weights->base + weights->header.data_offset;
}

const uint8_t *llmc_weights_tokenizer_section(const llmc_weights_t *weights) {
  return weights->base + weights->header.tokenizer_offset;
}

llmc_status_t llmc_weights_check_model(const llmc_weights_t *weights,
                                       const llmc_model_info_t *info) {
  if (!weights || !info)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "weights or info is NULL");
  if (weights->header.model_id != info->model_id)
    return llmc_status_make(
        LLMC_STATUS_MODEL_MISMATCH,
        "%s: model_id 0x%016" PRIx64 " does not match the compiled model's "
        "0x%016" PRIx64 " (weights written for a different compile)",
        weights->name, weights->header.model_id, info->model_id);
  if (info->weights_data_size < 0 ||
      weights->header.data_size < (uint64_t)info->weights_data_size)
    return llmc_status_make(LLMC_STATUS_MODEL_MISMATCH,
                            "%s: data section has %" PRIu64
                            " bytes but the compiled model reads %" PRId64,
                            weights->name, weights->header.data_size,
                            info->weights_data_size);
  return LLMC_OK;
}
