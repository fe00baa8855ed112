/* llmc weights file format (LLMW v1) and its tokenizer section (LLMT v2). */
// clang-format off
/*
 * The compiler writes this file next to the compiled model; the runtime maps it
 * read-only and validates every offset and length before it touches the data.
 * This header is the specification: plain C structs and constants, usable from
 * C and C++ (the compiler's writer includes it). Everything is little-endian.
 *
 * File layout
 * -----------
 *
 *   offset 0           llmc_weights_header_t (128 bytes)
 *   data_offset        weights data section, data_size bytes, read by the
 *                      compiled model's llmc_model_forward() as one blob; its
 *                      internal layout is private to the compiled model.
 *                      data_offset is a multiple of 64
 *                      (LLMC_WEIGHTS_DATA_ALIGNMENT) so that a page-aligned
 *                      mapping gives 64-byte aligned data.
 *   tokenizer_offset   tokenizer section (LLMT, below), a multiple of 8.
 *   file_size          end of file; nothing may lie beyond file_size.
 *
 * Sections may appear in any order and may be separated by padding (write
 * zeros); they must not overlap the header and must lie within file_size.
 *
 * Header (128 bytes)
 * ------------------
 *
 *   off size field
 *     0    8 magic             "LLMCWTS\0"
 *     8    4 version           3 (LLMC_WEIGHTS_VERSION)
 *    12    4 header_size       128
 *    16    8 file_size         total file size in bytes
 *    24    8 model_id          must equal llmc_model_info()[LLMC_MODEL_INFO_MODEL_ID]
 *    32    8 data_offset       multiple of 64, >= header_size
 *    40    8 data_size         >= llmc_model_info()[LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE]
 *    48    8 tokenizer_offset  multiple of 8, >= header_size
 *    56    8 tokenizer_size
 *    64   64 reserved          zero
 *
 * Tokenizer section (LLMT v2; v1 is v2 without byte-level BPE)
 * -------------------------------------------------------------
 *
 *   off size field
 *     0    4 magic             "LLMT"
 *     4    4 version           2 (1 is still read)
 *     8    4 vocab_size        number of token records; must equal the
 *                              compiled model's vocab_size
 *    12    4 max_token_length  longest piece in bytes (every record's len <= it)
 *    16    4 bos_id            int32, -1 if the vocabulary has no BOS token
 *    20    4 eos_id            int32, -1 if none
 *    24    4 flags             LLMC_TOKENIZER_FLAG_*
 *    28    4 pre_tokenizer     v2: llmc_pre_tokenizer_t (0 unless BYTE_LEVEL);
 *                              v1: reserved, zero
 *    32      vocab_size token records, packed back to back (no alignment):
 *              float    score   merge priority (higher merges first), finite
 *              uint32_t type    llmc_token_type_t (GGUF/SentencePiece types)
 *              uint32_t len     piece length in bytes
 *              uint8_t  bytes[len]  the piece (not NUL-terminated): UTF-8 with
 *                       SentencePiece's U+2581 replaced by a plain space, or
 *                       (BYTE_LEVEL) the raw bytes the token stands for
 *    then, only with LLMC_TOKENIZER_FLAG_BYTE_LEVEL (v2):
 *              uint32_t merge_count
 *              merge_count x llmc_token_merge_t {uint32 left, uint32 right},
 *              in rank order; each pair's concatenated pieces must be a piece
 *   Bytes after that up to tokenizer_size are padding (ignored).
 *
 * Tokenizer semantics. Without BYTE_LEVEL, SentencePiece BPE as llama2.c
 * implements it: encoding optionally starts with BOS, prepends one space when
 * LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX is set and the text is not empty, maps
 * every UTF-8 code point to its piece or, failing that, each of its bytes to
 * the byte-fallback piece "<0xXX>" (two upper-case hex digits), then merges the
 * adjacent pair whose concatenation is a piece of highest score until no pair
 * merges. Decoding turns "<0xXX>" pieces back into the raw byte and drops the
 * leading space of the piece that follows BOS.
 *
 * With BYTE_LEVEL (GPT-2, Llama-3, Qwen2 byte-level BPE): encoding optionally
 * starts with BOS, prepends one space when ADD_DUMMY_PREFIX is set (GPT-2's
 * add_prefix_space), splits the text into chunks with the pre_tokenizer's
 * regular expression, turns each byte of a chunk into the token whose piece is
 * that single byte, then within each chunk repeatedly merges the adjacent pair
 * of lowest merge rank (leftmost first) until no listed pair is adjacent.
 * Decoding returns the piece's bytes (dropping the leading space after BOS
 * only with ADD_DUMMY_PREFIX). Special tokens in the text are not recognised.
 */
// clang-format on
#ifndef LLMC_FORMAT_H_
#define LLMC_FORMAT_H_

#include <stdint.h>

#ifdef __cplusplus
#define LLMC_FORMAT_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define LLMC_FORMAT_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/*===----------------------------------------------------------------------===*/
/* Weights file (LLMW)                                                        */
/*===----------------------------------------------------------------------===*/

/// The 8 magic bytes, including the terminating NUL.
#define LLMC_WEIGHTS_MAGIC "LLMCWTS"
#define LLMC_WEIGHTS_MAGIC_SIZE 8
#define LLMC_WEIGHTS_VERSION 3u
#define LLMC_WEIGHTS_HEADER_SIZE 128u
/// Alignment of data_offset (and of the data pointer handed to the model).
#define LLMC_WEIGHTS_DATA_ALIGNMENT 64u
/// Alignment of tokenizer_offset.
#define LLMC_WEIGHTS_TOKENIZER_ALIGNMENT 8u

/// The 128-byte file header at offset 0 (little-endian on disk).
typedef struct llmc_weights_header_t {
  char magic[8];             ///< LLMC_WEIGHTS_MAGIC, NUL included.
  uint32_t version;          ///< LLMC_WEIGHTS_VERSION.
  uint32_t header_size;      ///< LLMC_WEIGHTS_HEADER_SIZE.
  uint64_t file_size;        ///< Total file size in bytes.
  uint64_t model_id;         ///< Equals the compiled model's model_id.
  uint64_t data_offset;      ///< Weights data, multiple of 64.
  uint64_t data_size;        ///< Weights data size in bytes.
  uint64_t tokenizer_offset; ///< Tokenizer section, multiple of 8.
  uint64_t tokenizer_size;   ///< Tokenizer section size in bytes.
  uint8_t reserved[64];      ///< Zero.
} llmc_weights_header_t;

LLMC_FORMAT_STATIC_ASSERT(sizeof(llmc_weights_header_t) ==
                              LLMC_WEIGHTS_HEADER_SIZE,
                          "llmc_weights_header_t must be 128 bytes");

/*===----------------------------------------------------------------------===*/
/* Tokenizer section (LLMT)                                                   */
/*===----------------------------------------------------------------------===*/

#define LLMC_TOKENIZER_MAGIC "LLMT"
#define LLMC_TOKENIZER_MAGIC_SIZE 4
/// Version written by this llmc; sections of LLMC_TOKENIZER_MIN_VERSION and
/// later are read.
#define LLMC_TOKENIZER_VERSION 2u
#define LLMC_TOKENIZER_MIN_VERSION 1u
#define LLMC_TOKENIZER_HEADER_SIZE 32u
/// Size of the fixed part of a token record (score, type, len).
#define LLMC_TOKEN_RECORD_HEADER_SIZE 12u

/// Prepend a space to non-empty text before encoding (SentencePiece's
/// add_dummy_prefix; llama2.c always does it).
#define LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX 0x1u
/// Byte-fallback pieces "<0x00>".."<0xFF>" exist in the vocabulary.
#define LLMC_TOKENIZER_FLAG_BYTE_FALLBACK 0x2u
/// (v2) Byte-level BPE: pieces are raw bytes, a merge table follows the
/// records, and encoding splits the text with header.pre_tokenizer.
#define LLMC_TOKENIZER_FLAG_BYTE_LEVEL 0x4u
#define LLMC_TOKENIZER_KNOWN_FLAGS                                             \
  (LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX | LLMC_TOKENIZER_FLAG_BYTE_FALLBACK |  \
   LLMC_TOKENIZER_FLAG_BYTE_LEVEL)

/// (v2) How byte-level BPE splits text before merging (header.pre_tokenizer);
/// the regular expressions are listed in runtime/src/pretokenizer.c.
typedef enum llmc_pre_tokenizer_e {
  LLMC_PRE_TOKENIZER_NONE = 0,   ///< The whole text is one chunk.
  LLMC_PRE_TOKENIZER_GPT2 = 1,   ///< GPT-2's regex.
  LLMC_PRE_TOKENIZER_LLAMA3 = 2, ///< Llama-3's regex (digits in threes).
  LLMC_PRE_TOKENIZER_QWEN2 = 3,  ///< Qwen2's regex (single digits).
} llmc_pre_tokenizer_t;

/// (v2) One entry of the merge table: merging tokens `left` and `right`
/// (adjacent, in that order) gives the token whose piece is their
/// concatenation. Entries are in rank order, lowest (merged first) first.
typedef struct llmc_token_merge_t {
  uint32_t left;
  uint32_t right;
} llmc_token_merge_t;

/// The 32-byte tokenizer section header (little-endian on disk).
typedef struct llmc_tokenizer_header_t {
  char magic[4];             ///< LLMC_TOKENIZER_MAGIC, no NUL.
  uint32_t version;          ///< LLMC_TOKENIZER_VERSION.
  uint32_t vocab_size;       ///< Number of token records that follow.
  uint32_t max_token_length; ///< Longest piece in bytes.
  int32_t bos_id;            ///< Beginning-of-sequence token, or -1.
  int32_t eos_id;            ///< End-of-sequence token, or -1.
  uint32_t flags;            ///< LLMC_TOKENIZER_FLAG_* bits.
  uint32_t pre_tokenizer;    ///< v2: llmc_pre_tokenizer_t; v1: zero.
} llmc_tokenizer_header_t;

LLMC_FORMAT_STATIC_ASSERT(sizeof(llmc_tokenizer_header_t) ==
                              LLMC_TOKENIZER_HEADER_SIZE,
                          "llmc_tokenizer_header_t must be 32 bytes");

/// Fixed part of a token record; `len` piece bytes follow it immediately.
/// Records are packed, so read them with memcpy rather than through a pointer
/// to this struct.
typedef struct llmc_token_record_header_t {
  float score;   ///< Merge score; higher merges first.
  uint32_t type; ///< llmc_token_type_t.
  uint32_t len;  ///< Piece length in bytes.
} llmc_token_record_header_t;

LLMC_FORMAT_STATIC_ASSERT(sizeof(llmc_token_record_header_t) ==
                              LLMC_TOKEN_RECORD_HEADER_SIZE,
                          "llmc_token_record_header_t must be 12 bytes");

/// Token types, numbered as in GGUF (tokenizer.ggml.token_type) and
/// SentencePiece's ModelProto.SentencePiece.Type.
typedef enum llmc_token_type_e {
  LLMC_TOKEN_TYPE_NORMAL = 1,
  LLMC_TOKEN_TYPE_UNKNOWN = 2,
  LLMC_TOKEN_TYPE_CONTROL = 3,
  LLMC_TOKEN_TYPE_USER_DEFINED = 4,
  LLMC_TOKEN_TYPE_UNUSED = 5,
  LLMC_TOKEN_TYPE_BYTE = 6,
} llmc_token_type_t;

#endif /* LLMC_FORMAT_H_ */
