/* Status objects: a code plus a heap-allocated, formatted message. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmc/runtime.h"

/// A status is a pointer to a payload whose low 4 bits carry the code. The
/// payload (from malloc, so at least 16-byte aligned) holds the message; a
/// status whose message could not be allocated is just the code.
#define LLMC_STATUS_CODE_MASK ((uintptr_t)0xF)

typedef struct llmc_status_payload_t {
  char message[1]; ///< NUL-terminated, allocated to its length.
} llmc_status_payload_t;

static llmc_status_payload_t *llmc_status_payload(llmc_status_t status) {
  return (llmc_status_payload_t *)((uintptr_t)status & ~LLMC_STATUS_CODE_MASK);
}

static llmc_status_t llmc_status_from_parts(llmc_status_code_t code,
                                            llmc_status_payload_t *payload) {
  if ((uintptr_t)payload & LLMC_STATUS_CODE_MASK) {
    // Not expected with malloc's alignment; drop the message, keep the code.
    free(payload);
    payload = NULL;
  }
  return (llmc_status_t)((uintptr_t)payload | ((uintptr_t)code & 0xF));
}

/// Formats into a new payload; NULL if out of memory.
static llmc_status_payload_t *
llmc_status_vformat(const char *suffix, const char *format, va_list args) {
  va_list args_copy;
  va_copy(args_copy, args);
  int length = vsnprintf(NULL, 0, format, args_copy);
  va_end(args_copy);
  if (length < 0)
    return NULL;
  size_t suffix_length = suffix ? strlen(suffix) + 2 : 0;
  size_t total = suffix_length + (size_t)length + 1;
  llmc_status_payload_t *payload = malloc(total);
  if (!payload)
    return NULL;
  vsnprintf(payload->message, (size_t)length + 1, format, args);
  if (suffix) {
    memcpy(payload->message + length, ": ", 2);
    memcpy(payload->message + length + 2, suffix, suffix_length - 2);
    payload->message[total - 1] = '\0';
  }
  return payload;
}

llmc_status_t llmc_status_make(llmc_status_code_t code, const char *format,
                               ...) {
  if (code == LLMC_STATUS_OK)
    code = LLMC_STATUS_INTERNAL; // An error status must not read as OK.
  llmc_status_payload_t *payload = NULL;
  if (format) {
    va_list args;
    va_start(args, format);
    payload = llmc_status_vformat(NULL, format, args);
    va_end(args);
  }
  return llmc_status_from_parts(code, payload);
}

llmc_status_t llmc_status_annotate(llmc_status_t status, const char *format,
                                   ...) {
  if (status == LLMC_OK || !format)
    return status;
  llmc_status_code_t code = llmc_status_code(status);
  va_list args;
  va_start(args, format);
  llmc_status_payload_t *payload =
      llmc_status_vformat(llmc_status_message(status), format, args);
  va_end(args);
  if (!payload)
    return status; // Keep the original message rather than none.
  llmc_status_free(status);
  return llmc_status_from_parts(code, payload);
}

llmc_status_code_t llmc_status_code(llmc_status_t status) {
  return (llmc_status_code_t)((uintptr_t)status & LLMC_STATUS_CODE_MASK);
}

const char *llmc_status_message(llmc_status_t status) {
  llmc_status_payload_t *payload = llmc_status_payload(status);
  return payload ? payload->message : "";
}

const char *llmc_status_code_string(llmc_status_code_t code) {
  switch (code) {
  case LLMC_STATUS_OK:
    return "OK";
  case LLMC_STATUS_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case LLMC_STATUS_OUT_OF_RANGE:
    return "OUT_OF_RANGE";
  case LLMC_STATUS_NOT_FOUND:
    return "NOT_FOUND";
  case LLMC_STATUS_IO_ERROR:
    return "IO_ERROR";
  case LLMC_STATUS_RESOURCE_EXHAUSTED:
    return "RESOURCE_EXHAUSTED";
  case LLMC_STATUS_BAD_MAGIC:
    return "BAD_MAGIC";
  case LLMC_STATUS_UNSUPPORTED_VERSION:
    return "UNSUPPORTED_VERSION";
  case LLMC_STATUS_TRUNCATED:
    return "TRUNCATED";
  case LLMC_STATUS_OUT_OF_BOUNDS:
    return "OUT_OF_BOUNDS";
  case LLMC_STATUS_FORMAT_ERROR:
    return "FORMAT_ERROR";
  case LLMC_STATUS_MODEL_MISMATCH:
    return "MODEL_MISMATCH";
  case LLMC_STATUS_CANCELLED:
    return "CANCELLED";
  case LLMC_STATUS_FAILED_PRECONDITION:
    return "FAILED_PRECONDITION";
  case LLMC_STATUS_INTERNAL:
    return "INTERNAL";
  }
  return "UNKNOWN";
}

void llmc_status_free(llmc_status_t status) {
  free(llmc_status_payload(status));
}
