/* SentencePiece-BPE (llama2.c semantics) and byte-level BPE tokenizers over
 * an LLMT section (format.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "llmc/runtime.h"
#include "pretokenizer.h"

/// One vocabulary entry.
typedef struct llmc_token_entry_t {
  uint32_t offset;    ///< Piece bytes at pieces + offset.
  uint32_t size;      ///< Piece length.
  float score;        ///< Merge score.
  uint8_t type;       ///< llmc_token_type_t.
  int16_t byte_value; ///< The byte of a "<0xXX>" piece, else -1.
} llmc_token_entry_t;

/// A byte-level BPE merge, in the table sorted by (left, right).
typedef struct llmc_merge_entry_t {
  int32_t left, right; ///< The adjacent pair.
  int32_t result;      ///< The token of their concatenation.
  int32_t rank;        ///< Merge priority, lowest first.
} llmc_merge_entry_t;

/// An entry of the sorted piece index.
typedef struct llmc_piece_index_entry_t {
  const char *data;
  uint32_t size;
  int32_t id;
} llmc_piece_index_entry_t;

struct llmc_tokenizer_t {
  llmc_ref_count_t ref_count;
  llmc_allocator_t allocator;
  char *name; ///< File name for messages; owned.
  int32_t vocab_size;
  int32_t bos_id; ///< -1 if none.
  int32_t eos_id; ///< -1 if none.
  int32_t unk_id; ///< First UNKNOWN-type token, -1 if none.
  uint32_t flags;
  uint32_t max_token_length;
  llmc_token_entry_t *tokens;      ///< [vocab_size].
  char *pieces;                    ///< All piece bytes, back to back.
  llmc_piece_index_entry_t *index; ///< Findable pieces sorted by bytes, id.
  int32_t index_size;
  llmc_merge_entry_t *merges; ///< BYTE_LEVEL: [merge_count], by (left, right).
  int32_t merge_count;
  uint32_t pre_tokenizer; ///< BYTE_LEVEL: llmc_pre_tokenizer_t.
  /// Byte-fallback token of each byte (BYTE_LEVEL: its single-byte piece), or
  /// -1.
  int32_t byte_tokens[256];
  char byte_chars[256]; ///< byte_chars[b] == b, for decoded byte pieces.
};

/*===----------------------------------------------------------------------===*/
/* Piece index                                                                */
/*===----------------------------------------------------------------------===*/

static int llmc_compare_bytes(const char *a, size_t a_size, const char *b,
                              size_t b_size) {
  size_t n = a_size < b_size ? a_size : b_size;
  int c = n ? memcmp(a, b, n) : 0;
  if (c != 0)
    return c;
  return a_size < b_size ? -1 : (a_size > b_size ? 1 : 0);
}

static int llmc_compare_index_entries(const void *lhs, const void *rhs) {
  const llmc_piece_index_entry_t *a = lhs;
  const llmc_piece_index_entry_t *b = rhs;
  int c = llmc_compare_bytes(a->data, a->size, b->data, b->size);
  if (c != 0)
    return c;
  return a->id < b->id ? -1 : (a->id > b->id ? 1 : 0);
}

/// Compares the concatenation a ++ b with `entry` without building it.
static int llmc_compare_concat(const char *a, size_t a_size, const char *b,
                               size_t b_size,
                               const llmc_piece_index_entry_t *entry) {
  size_t n = a_size < entry->size ? a_size : entry->size;
  int c = n ? memcmp(a, entry->data, n) : 0;
  if (c != 0)
    return c;
  if (entry->size > a_size) {
    size_t rest = entry->size - a_size;
    size_t m = b_size < rest ? b_size : rest;
    c = m ? memcmp(b, entry->data + a_size, m) : 0;
    if (c != 0)
      return c;
  }
  size_t key_size = a_size + b_size;
  return key_size < entry->size ? -1 : (key_size > entry->size ? 1 : 0);
}

/// Binary search for a ++ b; returns the lowest matching id or -1.
static int32_t llmc_tokenizer_find(const llmc_tokenizer_t *tokenizer,
                                   const char *a, size_t a_size, const char *b,
                                   size_t b_size) {
  int32_t lo = 0, hi = tokenizer->index_size; // First entry >= key in [lo,hi].
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (llmc_compare_concat(a, a_size, b, b_size, &tokenizer->index[mid]) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < tokenizer->index_size &&
      llmc_compare_concat(a, a_size, b, b_size, &tokenizer->index[lo]) == 0)
    return tokenizer->index[lo].id;
  return -1;
}

int32_t llmc_tokenizer_lookup(const llmc_tokenizer_t *tokenizer,
                              const char *piece, size_t piece_size) {
  if (!tokenizer || (!piece && piece_size))
    return -1;
  return llmc_tokenizer_find(tokenizer, piece, piece_size, NULL, 0);
}

/// Whether text can produce this token type (others stay out of the index).
static int llmc_token_type_is_findable(uint32_t type) {
  return type == LLMC_TOKEN_TYPE_NORMAL ||
         type == LLMC_TOKEN_TYPE_USER_DEFINED || type == LLMC_TOKEN_TYPE_BYTE;
}

static int llmc_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// The byte of a "<0xXX>" piece, or -1.
static int llmc_parse_byte_piece(const char *piece, size_t size) {
  if (size != 6 || memcmp(piece, "<0x", 3) != 0 || piece[5] != '>')
    return -1;
  int hi = llmc_hex_digit(piece[3]), lo = llmc_hex_digit(piece[4]);
  if (hi < 0 || lo < 0)
    return -1;
  return hi * 16 + lo;
}

/*===----------------------------------------------------------------------===*/
/* Creation                                                                   */
/*===----------------------------------------------------------------------===*/

static int llmc_compare_merges(const void *lhs, const void *rhs) {
  const llmc_merge_entry_t *a = lhs, *b = rhs;
  if (a->left != b->left)
    return a->left < b->left ? -1 : 1;
  if (a->right != b->right)
    return a->right < b->right ? -1 : 1;
  return a->rank < b->rank ? -1 : (a->rank > b->rank ? 1 : 0);
}

/// Reads the byte-level merge table at section offset `offset` (right after
/// the records), checks every pair and sorts it for lookup.
static llmc_status_t llmc_tokenizer_parse_merges(llmc_tokenizer_t *tokenizer,
                                                 const uint8_t *section,
                                                 size_t size, size_t offset) {
  const char *name = tokenizer->name;
  if (size - offset < 4)
    return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                            "%s: tokenizer merge count at section offset %zu "
                            "extends beyond the section size %zu",
                            name, offset, size);
  uint32_t count = llmc_load_u32_le(section + offset);
  offset += 4;
  if (count > INT32_MAX || (uint64_t)count * 8 > size - offset)
    return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                            "%s: tokenizer merge table of %" PRIu32
                            " entries extends beyond the section size %zu",
                            name, count, size);
  if (count)
    LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
        tokenizer->allocator, (size_t)count * sizeof(llmc_merge_entry_t),
        _Alignof(llmc_merge_entry_t), (void **)&tokenizer->merges));
  for (uint32_t i = 0; i < count; ++i, offset += 8) {
    uint32_t left = llmc_load_u32_le(section + offset);
    uint32_t right = llmc_load_u32_le(section + offset + 4);
    if (left >= (uint32_t)tokenizer->vocab_size ||
        right >= (uint32_t)tokenizer->vocab_size)
      return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                              "%s: tokenizer merge %" PRIu32 " (%" PRIu32
                              ", %" PRIu32 ") is outside the vocabulary",
                              name, i, left, right);
    const llmc_token_entry_t *a = &tokenizer->tokens[left];
    const llmc_token_entry_t *b = &tokenizer->tokens[right];
    int32_t result =
        llmc_tokenizer_find(tokenizer, tokenizer->pieces + a->offset, a->size,
                            tokenizer->pieces + b->offset, b->size);
    if (result < 0)
      return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                              "%s: tokenizer merge %" PRIu32 " (%" PRIu32
                              ", %" PRIu32
                              ") does not produce a piece of the vocabulary",
                              name, i, left, right);
    llmc_merge_entry_t *merge = &tokenizer->merges[tokenizer->merge_count++];
    merge->left = (int32_t)left;
    merge->right = (int32_t)right;
    merge->result = result;
    merge->rank = (int32_t)i;
  }
  qsort(tokenizer->merges, (size_t)tokenizer->merge_count,
        sizeof(llmc_merge_entry_t), llmc_compare_merges);
  return LLMC_OK;
}

/// The merge of the adjacent tokens (a, b) of lowest rank, or NULL.
static const llmc_merge_entry_t *
llmc_tokenizer_find_merge(const llmc_tokenizer_t *tokenizer, int32_t a,
                          int32_t b) {
  int32_t lo = 0, hi = tokenizer->merge_count; // first entry >= (a, b)
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    const llmc_merge_entry_t *m = &tokenizer->merges[mid];
    if (m->left < a || (m->left == a && m->right < b))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < tokenizer->merge_count && tokenizer->merges[lo].left == a &&
      tokenizer->merges[lo].right == b)
    return &tokenizer->merges[lo];
  return NULL;
}

/// Parses the section into `tokenizer` (already zeroed, allocator set).
static llmc_status_t llmc_tokenizer_parse(llmc_tokenizer_t *tokenizer,
                                          const uint8_t *section, size_t size,
                                          int64_t expected_vocab_size) {
  const char *name = tokenizer->name;
  llmc_allocator_t allocator = tokenizer->allocator;
  if (size < LLMC_TOKENIZER_HEADER_SIZE)
    return llmc_status_make(LLMC_STATUS_TRUNCATED,
                            "%s: tokenizer section is %zu bytes, smaller than "
                            "its %u-byte header",
                            name, size, LLMC_TOKENIZER_HEADER_SIZE);
  if (memcmp(section, LLMC_TOKENIZER_MAGIC, LLMC_TOKENIZER_MAGIC_SIZE) != 0)
    return llmc_status_make(LLMC_STATUS_BAD_MAGIC,
                            "%s: tokenizer section has bad magic "
                            "\"%02x%02x%02x%02x\" (hex), expected \"LLMT\"",
                            name, section[0], section[1], section[2],
                            section[3]);
  uint32_t version = llmc_load_u32_le(section + 4);
  uint32_t vocab_size = llmc_load_u32_le(section + 8);
  uint32_t max_token_length = llmc_load_u32_le(section + 12);
  int32_t bos_id = (int32_t)llmc_load_u32_le(section + 16);
  int32_t eos_id = (int32_t)llmc_load_u32_le(section + 20);
  uint32_t flags = llmc_load_u32_le(section + 24);
  uint32_t pre_tokenizer = llmc_load_u32_le(section + 28);
  if (version < LLMC_TOKENIZER_MIN_VERSION || version > LLMC_TOKENIZER_VERSION)
    return llmc_status_make(LLMC_STATUS_UNSUPPORTED_VERSION,
                            "%s: tokenizer section version %" PRIu32
                            " is not supported (this runtime reads versions "
                            "%u to %u)",
                            name, version, LLMC_TOKENIZER_MIN_VERSION,
                            LLMC_TOKENIZER_VERSION);
  if (vocab_size == 0 || vocab_size > INT32_MAX)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: tokenizer vocab_size %" PRIu32 " is invalid",
                            name, vocab_size);
  if (expected_vocab_size > 0 && (int64_t)vocab_size != expected_vocab_size)
    return llmc_status_make(LLMC_STATUS_MODEL_MISMATCH,
                            "%s: tokenizer vocab_size %" PRIu32
                            " does not match the compiled model's %" PRId64,
                            name, vocab_size, expected_vocab_size);
  if (bos_id < -1 || bos_id >= (int32_t)vocab_size)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "%s: tokenizer bos_id %" PRId32
                            " is outside [-1, %" PRIu32 ")",
                            name, bos_id, vocab_size);
  if (eos_id < -1 || eos_id >= (int32_t)vocab_size)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "%s: tokenizer eos_id %" PRId32
                            " is outside [-1, %" PRIu32 ")",
                            name, eos_id, vocab_size);
  if (flags & ~LLMC_TOKENIZER_KNOWN_FLAGS)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "%s: tokenizer flags 0x%" PRIx32 " has unknown bits", name, flags);
  int byte_level = (flags & LLMC_TOKENIZER_FLAG_BYTE_LEVEL) != 0;
  if (byte_level && version < 2)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: tokenizer section version %" PRIu32
                            " cannot have the byte-level flag (version 2+)",
                            name, version);
  if (byte_level ? pre_tokenizer > LLMC_PRE_TOKENIZER_QWEN2
                 : pre_tokenizer != 0)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: tokenizer pre_tokenizer field is %" PRIu32
                            ", expected %s",
                            name, pre_tokenizer,
                            byte_level ? "0 to 3"
                                       : "0 without the byte-level "
                                         "flag");
  size_t records_size = size - LLMC_TOKENIZER_HEADER_SIZE;
  if ((uint64_t)vocab_size * LLMC_TOKEN_RECORD_HEADER_SIZE > records_size)
    return llmc_status_make(
        LLMC_STATUS_OUT_OF_BOUNDS,
        "%s: tokenizer vocab_size %" PRIu32 " needs at least %" PRIu64
        " bytes of records, the section has %zu",
        name, vocab_size, (uint64_t)vocab_size * LLMC_TOKEN_RECORD_HEADER_SIZE,
        records_size);
  if (records_size > UINT32_MAX)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "%s: tokenizer section of %zu bytes is too large",
                            name, size);

  tokenizer->vocab_size = (int32_t)vocab_size;
  tokenizer->bos_id = bos_id;
  tokenizer->eos_id = eos_id;
  tokenizer->unk_id = -1;
  tokenizer->flags = flags;
  tokenizer->max_token_length = max_token_length;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, (size_t)vocab_size * sizeof(llmc_token_entry_t),
      _Alignof(llmc_token_entry_t), (void **)&tokenizer->tokens));
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(allocator, records_size, 1,
                                            (void **)&tokenizer->pieces));
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, (size_t)vocab_size * sizeof(llmc_piece_index_entry_t),
      _Alignof(llmc_piece_index_entry_t), (void **)&tokenizer->index));

  // Records: bounds, length, type and score of each.
  size_t offset = LLMC_TOKENIZER_HEADER_SIZE;
  uint32_t pieces_size = 0;
  for (uint32_t i = 0; i < vocab_size; ++i) {
    if (size - offset < LLMC_TOKEN_RECORD_HEADER_SIZE)
      return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                              "%s: tokenizer record %" PRIu32
                              " at section offset %zu extends beyond the "
                              "section size %zu",
                              name, i, offset, size);
    float score = llmc_load_f32_le(section + offset);
    uint32_t type = llmc_load_u32_le(section + offset + 4);
    uint32_t length = llmc_load_u32_le(section + offset + 8);
    offset += LLMC_TOKEN_RECORD_HEADER_SIZE;
    if (length > size - offset)
      return llmc_status_make(LLMC_STATUS_OUT_OF_BOUNDS,
                              "%s: tokenizer record %" PRIu32
                              " has length %" PRIu32
                              ", beyond the end of the section (%zu bytes "
                              "left at section offset %zu)",
                              name, i, length, size - offset, offset);
    if (length > max_token_length)
      return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                              "%s: tokenizer record %" PRIu32
                              " has length %" PRIu32
                              ", more than max_token_length %" PRIu32,
                              name, i, length, max_token_length);
    if (type < LLMC_TOKEN_TYPE_NORMAL || type > LLMC_TOKEN_TYPE_BYTE)
      return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                              "%s: tokenizer record %" PRIu32
                              " has unknown token type %" PRIu32,
                              name, i, type);
    if (!isfinite(score))
      return llmc_status_make(
          LLMC_STATUS_FORMAT_ERROR,
          "%s: tokenizer record %" PRIu32 " has a non-finite score", name, i);
    llmc_token_entry_t *entry = &tokenizer->tokens[i];
    entry->offset = pieces_size;
    entry->size = length;
    entry->score = score;
    entry->type = (uint8_t)type;
    if (length)
      memcpy(tokenizer->pieces + pieces_size, section + offset, length);
    entry->byte_value = byte_level
                            ? -1
                            : (int16_t)llmc_parse_byte_piece(
                                  tokenizer->pieces + pieces_size, length);
    pieces_size += length;
    offset += length;
    if (type == LLMC_TOKEN_TYPE_UNKNOWN && tokenizer->unk_id < 0)
      tokenizer->unk_id = (int32_t)i;
    if (length > 0 && llmc_token_type_is_findable(type)) {
      llmc_piece_index_entry_t *slot =
          &tokenizer->index[tokenizer->index_size++];
      slot->data = tokenizer->pieces + entry->offset;
      slot->size = length;
      slot->id = (int32_t)i;
    }
  }
  qsort(tokenizer->index, (size_t)tokenizer->index_size,
        sizeof(llmc_piece_index_entry_t), llmc_compare_index_entries);

  tokenizer->pre_tokenizer = pre_tokenizer;
  if (byte_level)
    LLMC_RETURN_IF_ERROR(
        llmc_tokenizer_parse_merges(tokenizer, section, size, offset));

  // Byte fallback: find "<0xXX>" by its text, never by a fixed id offset.
  // Byte-level BPE starts from the single-byte pieces.
  for (int b = 0; b < 256; ++b) {
    tokenizer->byte_chars[b] = (char)(unsigned char)b;
    tokenizer->byte_tokens[b] = -1;
    if (byte_level) {
      tokenizer->byte_tokens[b] =
          llmc_tokenizer_lookup(tokenizer, &tokenizer->byte_chars[b], 1);
      continue;
    }
    if (!(flags & LLMC_TOKENIZER_FLAG_BYTE_FALLBACK))
      continue;
    char piece[8];
    snprintf(piece, sizeof(piece), "<0x%02X>", b);
    tokenizer->byte_tokens[b] = llmc_tokenizer_lookup(tokenizer, piece, 6);
    if (tokenizer->byte_tokens[b] < 0)
      return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                              "%s: tokenizer has the byte-fallback flag but "
                              "no piece \"%s\"",
                              name, piece);
  }
  return LLMC_OK;
}

llmc_status_t llmc_tokenizer_create(const uint8_t *section, size_t section_size,
                                    int64_t expected_vocab_size,
                                    const char *name,
                                    llmc_allocator_t allocator,
                                    llmc_tokenizer_t **out_tokenizer) {
  if (!out_tokenizer)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "out_tokenizer is NULL");
  *out_tokenizer = NULL;
  if (!section && section_size)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "section is NULL");
  llmc_tokenizer_t *tokenizer = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(allocator, sizeof(*tokenizer),
                                            _Alignof(llmc_tokenizer_t),
                                            (void **)&tokenizer));
  llmc_ref_init(&tokenizer->ref_count);
  tokenizer->allocator = allocator;
  llmc_status_t status =
      llmc_strdup(allocator, name ? name : "<tokenizer>", &tokenizer->name);
  if (!status)
    status = llmc_tokenizer_parse(tokenizer, section, section_size,
                                  expected_vocab_size);
  if (status) {
    llmc_tokenizer_release(tokenizer);
    return status;
  }
  *out_tokenizer = tokenizer;
  return LLMC_OK;
}

llmc_status_t llmc_tokenizer_create_from_weights(
    const llmc_weights_t *weights, int64_t expected_vocab_size,
    llmc_allocator_t allocator, llmc_tokenizer_t **out_tokenizer) {
  if (!weights)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT, "weights is NULL");
  return llmc_tokenizer_create(llmc_weights_tokenizer_section(weights),
                               llmc_weights_header(weights)->tokenizer_size,
                               expected_vocab_size, llmc_weights_name(weights),
                               allocator, out_tokenizer);
}

void llmc_tokenizer_retain(llmc_tokenizer_t *tokenizer) {
  if (tokenizer)
    llmc_ref_inc(&tokenizer->ref_count);
}

void llmc_tokenizer_release(llmc_tokenizer_t *tokenizer) {
  if (!tokenizer || !llmc_ref_dec(&tokenizer->ref_count))
    return;
  llmc_allocator_t allocator = tokenizer->allocator;
  llmc_allocator_free(allocator, tokenizer->merges);
  llmc_allocator_free(allocator, tokenizer->index);
  llmc_allocator_free(allocator, tokenizer->pieces);
  llmc_allocator_free(allocator, tokenizer->tokens);
  llmc_allocator_free(allocator, tokenizer->name);
  llmc_allocator_free(allocator, tokenizer);
}

int32_t llmc_tokenizer_vocab_size(const llmc_tokenizer_t *tokenizer) {
  return tokenizer->vocab_size;
}
int32_t llmc_tokenizer_bos_id(const llmc_tokenizer_t *tokenizer) {
  return tokenizer->bos_id;
}
int32_t llmc_tokenizer_eos_id(const llmc_tokenizer_t *tokenizer) {
  return tokenizer->eos_id;
}
uint32_t llmc_tokenizer_flags(const llmc_tokenizer_t *tokenizer) {
  return tokenizer->flags;
}

llmc_status_t llmc_tokenizer_piece(const llmc_tokenizer_t *tokenizer,
                                   int32_t token,
                                   llmc_string_view_t *out_piece) {
  if (!tokenizer || !out_piece)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "tokenizer or out_piece is NULL");
  if (token < 0 || token >= tokenizer->vocab_size)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "token %" PRId32 " is outside [0, %" PRId32 ")",
                            token, tokenizer->vocab_size);
  const llmc_token_entry_t *entry = &tokenizer->tokens[token];
  out_piece->data = tokenizer->pieces + entry->offset;
  out_piece->size = entry->size;
  return LLMC_OK;
}

/*===----------------------------------------------------------------------===*/
/* Encoding                                                                   */
/*===----------------------------------------------------------------------===*/

/// Output buffer of the encoder.
typedef struct llmc_token_buffer_t {
  int32_t *tokens;
  size_t count;
  size_t capacity;
} llmc_token_buffer_t;

static llmc_status_t llmc_token_buffer_push(llmc_token_buffer_t *buffer,
                                            int32_t token) {
  if (buffer->count >= buffer->capacity)
    return llmc_status_make(LLMC_STATUS_RESOURCE_EXHAUSTED,
                            "token buffer of capacity %zu is too small "
                            "(use llmc_tokenizer_encode_capacity)",
                            buffer->capacity);
  buffer->tokens[buffer->count++] = token;
  return LLMC_OK;
}

/// Appends the piece of one code point, or its bytes' fallback pieces.
static llmc_status_t llmc_encode_code_point(const llmc_tokenizer_t *tokenizer,
                                            const char *bytes, size_t size,
                                            llmc_token_buffer_t *buffer) {
  int32_t id = llmc_tokenizer_find(tokenizer, bytes, size, NULL, 0);
  if (id >= 0)
    return llmc_token_buffer_push(buffer, id);
  for (size_t i = 0; i < size; ++i) {
    unsigned char byte = (unsigned char)bytes[i];
    id = tokenizer->byte_tokens[byte];
    if (id < 0)
      id = tokenizer->unk_id;
    if (id < 0)
      return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                              "%s: byte 0x%02x has no piece, no byte fallback "
                              "and there is no unknown token",
                              tokenizer->name, byte);
    LLMC_RETURN_IF_ERROR(llmc_token_buffer_push(buffer, id));
  }
  return LLMC_OK;
}

/// The piece of the merge of tokens a and b and its score, or -1.
static int32_t llmc_pair_merge(const llmc_tokenizer_t *tokenizer, int32_t a,
                               int32_t b) {
  const llmc_token_entry_t *ea = &tokenizer->tokens[a];
  const llmc_token_entry_t *eb = &tokenizer->tokens[b];
  return llmc_tokenizer_find(tokenizer, tokenizer->pieces + ea->offset,
                             ea->size, tokenizer->pieces + eb->offset,
                             eb->size);
}

/// BPE: repeatedly merges the adjacent pair whose concatenation is the piece
/// of highest score (leftmost on ties) until no pair merges. pair_ids[i] caches
/// the merge of tokens[i] and tokens[i+1], so each round only recomputes the
/// two pairs next to the merge.
static llmc_status_t llmc_merge_pairs(const llmc_tokenizer_t *tokenizer,
                                      int32_t *tokens, size_t *inout_count) {
  size_t count = *inout_count;
  if (count < 2)
    return LLMC_OK;
  int32_t *pair_ids = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_allocator_alloc(tokenizer->allocator, (count - 1) * sizeof(int32_t),
                           _Alignof(int32_t), (void **)&pair_ids));
  for (size_t i = 0; i + 1 < count; ++i)
    pair_ids[i] = llmc_pair_merge(tokenizer, tokens[i], tokens[i + 1]);
  for (;;) {
    size_t best = SIZE_MAX;
    float best_score = 0.0f;
    for (size_t i = 0; i + 1 < count; ++i) {
      if (pair_ids[i] < 0)
        continue;
      float score = tokenizer->tokens[pair_ids[i]].score;
      if (best == SIZE_MAX || score > best_score) {
        best = i;
        best_score = score;
      }
    }
    if (best == SIZE_MAX)
      break;
    // tokens[best], tokens[best+1] -> merged; pairs after best+1 shift left.
    tokens[best] = pair_ids[best];
    memmove(tokens + best + 1, tokens + best + 2,
            (count - best - 2) * sizeof(int32_t));
    if (best + 2 < count - 1)
      memmove(pair_ids + best + 1, pair_ids + best + 2,
              (count - best - 3) * sizeof(int32_t));
    --count;
    if (best + 1 < count)
      pair_ids[best] =
          llmc_pair_merge(tokenizer, tokens[best], tokens[best + 1]);
    if (best > 0)
      pair_ids[best - 1] =
          llmc_pair_merge(tokenizer, tokens[best - 1], tokens[best]);
  }
  llmc_allocator_free(tokenizer->allocator, pair_ids);
  *inout_count = count;
  return LLMC_OK;
}

/// Byte-level BPE of one pre-tokenizer chunk: its bytes' tokens, then the
/// adjacent pair of lowest merge rank (leftmost on ties) is merged until no
/// pair of the table is adjacent.
static llmc_status_t llmc_encode_chunk(const llmc_tokenizer_t *tokenizer,
                                       const char *chunk, size_t size,
                                       llmc_token_buffer_t *buffer) {
  size_t start = buffer->count;
  for (size_t i = 0; i < size; ++i)
    LLMC_RETURN_IF_ERROR(
        llmc_encode_code_point(tokenizer, chunk + i, 1, buffer));
  int32_t *tokens = buffer->tokens + start;
  size_t count = buffer->count - start;
  while (count > 1) {
    const llmc_merge_entry_t *best = NULL;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < count; ++i) {
      const llmc_merge_entry_t *m =
          llmc_tokenizer_find_merge(tokenizer, tokens[i], tokens[i + 1]);
      if (m && (!best || m->rank < best->rank)) {
        best = m;
        best_at = i;
      }
    }
    if (!best)
      break;
    tokens[best_at] = best->result;
    memmove(tokens + best_at + 1, tokens + best_at + 2,
            (count - best_at - 2) * sizeof(int32_t));
    --count;
  }
  buffer->count = start + count;
  return LLMC_OK;
}

/// Byte-level BPE of the text: dummy prefix, pre-tokenizer chunks, merges.
static llmc_status_t llmc_encode_byte_level(const llmc_tokenizer_t *tokenizer,
                                            const char *text, size_t text_size,
                                            llmc_token_buffer_t *buffer) {
  if (text_size == 0)
    return LLMC_OK;
  char *copy = NULL;
  if (tokenizer->flags & LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX) {
    LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
        tokenizer->allocator, text_size + 1, 1, (void **)&copy));
    copy[0] = ' ';
    memcpy(copy + 1, text, text_size);
    text = copy;
    ++text_size;
  }
  llmc_status_t status = LLMC_OK;
  for (size_t pos = 0; pos < text_size && !status;) {
    size_t end =
        llmc_pretokenize_next(tokenizer->pre_tokenizer, text, text_size, pos);
    status = llmc_encode_chunk(tokenizer, text + pos, end - pos, buffer);
    pos = end;
  }
  llmc_allocator_free(tokenizer->allocator, copy);
  return status;
}

llmc_status_t llmc_tokenizer_encode(const llmc_tokenizer_t *tokenizer,
                                    const char *text, size_t text_size,
                                    uint32_t flags, int32_t *tokens,
                                    size_t capacity, size_t *out_count) {
  if (!tokenizer || !out_count || (!tokens && capacity) || (!text && text_size))
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "tokenizer, text, tokens or out_count is NULL");
  llmc_token_buffer_t buffer = {tokens, 0, capacity};
  if ((flags & LLMC_ENCODE_ADD_BOS) && tokenizer->bos_id >= 0)
    LLMC_RETURN_IF_ERROR(llmc_token_buffer_push(&buffer, tokenizer->bos_id));
  size_t text_start = buffer.count;

  if (tokenizer->flags & LLMC_TOKENIZER_FLAG_BYTE_LEVEL) {
    LLMC_RETURN_IF_ERROR(
        llmc_encode_byte_level(tokenizer, text, text_size, &buffer));
    if ((flags & LLMC_ENCODE_ADD_EOS) && tokenizer->eos_id >= 0)
      LLMC_RETURN_IF_ERROR(llmc_token_buffer_push(&buffer, tokenizer->eos_id));
    *out_count = buffer.count;
    return LLMC_OK;
  }

  // The dummy prefix is encoded like a leading space in the text.
  if ((tokenizer->flags & LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX) &&
      text_size > 0)
    LLMC_RETURN_IF_ERROR(llmc_encode_code_point(tokenizer, " ", 1, &buffer));

  // One piece per UTF-8 code point: a byte that is not a continuation byte
  // starts one; up to 3 continuation bytes follow (llama2.c's grouping, so
  // invalid UTF-8 still gets grouped deterministically).
  size_t i = 0;
  while (i < text_size) {
    size_t j = i + 1;
    while (j < text_size && ((unsigned char)text[j] & 0xC0) == 0x80 &&
           j - i < 4)
      ++j;
    LLMC_RETURN_IF_ERROR(
        llmc_encode_code_point(tokenizer, text + i, j - i, &buffer));
    i = j;
  }

  size_t text_count = buffer.count - text_start;
  LLMC_RETURN_IF_ERROR(
      llmc_merge_pairs(tokenizer, tokens + text_start, &text_count));
  buffer.count = text_start + text_count;

  if ((flags & LLMC_ENCODE_ADD_EOS) && tokenizer->eos_id >= 0)
    LLMC_RETURN_IF_ERROR(llmc_token_buffer_push(&buffer, tokenizer->eos_id));
  *out_count = buffer.count;
  return LLMC_OK;
}

/*===----------------------------------------------------------------------===*/
/* Decoding                                                                   */
/*===----------------------------------------------------------------------===*/

llmc_status_t llmc_tokenizer_decode(const llmc_tokenizer_t *tokenizer,
                                    int32_t prev_token, int32_t token,
                                    llmc_string_view_t *out_piece) {
  llmc_string_view_t piece;
  LLMC_RETURN_IF_ERROR(llmc_tokenizer_piece(tokenizer, token, &piece));
  // SentencePiece drops the dummy-prefix space of the first piece after BOS
  // (byte-level BPE only when it added one).
  int drop_space = !(tokenizer->flags & LLMC_TOKENIZER_FLAG_BYTE_LEVEL) ||
                   (tokenizer->flags & LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX);
  if (drop_space && tokenizer->bos_id >= 0 && prev_token == tokenizer->bos_id &&
      piece.size > 0 && piece.data[0] == ' ') {
    ++piece.data;
    --piece.size;
  }
  int byte_value = tokenizer->tokens[token].byte_value;
  if (byte_value >= 0) {
    piece.data = &tokenizer->byte_chars[byte_value];
    piece.size = 1;
  }
  *out_piece = piece;
  return LLMC_OK;
}
