/* llmc runtime C API: load a compiled model's weights, tokenize, run, sample.
 */
/*
 * Conventions (IREE-style):
 *  - Every fallible function returns llmc_status_t. NULL (LLMC_OK) means
 *    success; anything else carries a code and a message and must be freed
 *    with llmc_status_free() (or handed on to the caller).
 *  - Output parameters are named out_* and come last. On failure they are
 *    left untouched (or set to NULL for object outputs).
 *  - Memory comes from an injected llmc_allocator_t; llmc_allocator_system()
 *    is the default. Statuses are the exception: they use the C heap so that
 *    an allocator failure can still be reported.
 *  - Objects are reference counted (_retain/_release); an object keeps what it
 *    borrows alive by retaining it (a session retains its weights). Objects
 *    are not internally synchronized: use one from one thread at a time.
 *  - No global state, no exit()/abort(), no output to stdout/stderr (except
 *    llmc_run_cli in cli.h, which is the CLI).
 */
#ifndef LLMC_RUNTIME_H_
#define LLMC_RUNTIME_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmc/abi.h"
#include "llmc/format.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMC_PRINTF_FORMAT(fmt_index, args_index)                              \
  __attribute__((format(printf, fmt_index, args_index)))
#define LLMC_MUST_USE_RESULT __attribute__((warn_unused_result))
#else
#define LLMC_PRINTF_FORMAT(fmt_index, args_index)
#define LLMC_MUST_USE_RESULT
#endif

/*===----------------------------------------------------------------------===*/
/* Status                                                                     */
/*===----------------------------------------------------------------------===*/

/// Status codes. Values are stable (they fit in 4 bits).
typedef enum llmc_status_code_e {
  LLMC_STATUS_OK = 0,
  /// A caller passed a bad argument (NULL pointer, bad option value).
  LLMC_STATUS_INVALID_ARGUMENT = 1,
  /// A token id, position or count is outside its valid range.
  LLMC_STATUS_OUT_OF_RANGE = 2,
  /// A file does not exist.
  LLMC_STATUS_NOT_FOUND = 3,
  /// An I/O operation failed (open, stat, read, mmap).
  LLMC_STATUS_IO_ERROR = 4,
  /// Memory allocation failed or a buffer is too small.
  LLMC_STATUS_RESOURCE_EXHAUSTED = 5,
  /// A file or section does not start with the expected magic bytes.
  LLMC_STATUS_BAD_MAGIC = 6,
  /// A file or section has a version (or header size) this runtime can't read.
  LLMC_STATUS_UNSUPPORTED_VERSION = 7,
  /// A file is shorter than its header says.
  LLMC_STATUS_TRUNCATED = 8,
  /// A section or record extends beyond its container.
  LLMC_STATUS_OUT_OF_BOUNDS = 9,
  /// A file is malformed otherwise (misaligned, nonzero reserved, bad value).
  LLMC_STATUS_FORMAT_ERROR = 10,
  /// The weights file or tokenizer does not belong to the compiled model.
  LLMC_STATUS_MODEL_MISMATCH = 11,
  /// A callback asked to stop.
  LLMC_STATUS_CANCELLED = 12,
  /// The object is not in a state that allows the call.
  LLMC_STATUS_FAILED_PRECONDITION = 13,
  /// A broken internal invariant.
  LLMC_STATUS_INTERNAL = 14,
} llmc_status_code_t;

/// Opaque status; NULL means OK.
typedef struct llmc_status_handle_t *llmc_status_t;

#define LLMC_OK ((llmc_status_t)NULL)

/// Creates a status with `code` and a printf-formatted message. `code` must
/// not be LLMC_STATUS_OK. Never fails: if the message can't be allocated the
/// status still carries its code.
llmc_status_t llmc_status_make(llmc_status_code_t code, const char *format, ...)
    LLMC_PRINTF_FORMAT(2, 3);

/// Prefixes the message of `status` with a formatted context ("context:
/// message"). Consumes `status` and returns the annotated one (OK stays OK).
llmc_status_t llmc_status_annotate(llmc_status_t status, const char *format,
                                   ...) LLMC_PRINTF_FORMAT(2, 3);

/// The code of `status` (LLMC_STATUS_OK for NULL).
llmc_status_code_t llmc_status_code(llmc_status_t status);

/// The message of `status`; "" if OK or if there is none. Owned by `status`.
const char *llmc_status_message(llmc_status_t status);

/// A constant name for `code`, e.g. "OUT_OF_BOUNDS".
const char *llmc_status_code_string(llmc_status_code_t code);

/// Frees `status` (NULL is fine).
void llmc_status_free(llmc_status_t status);

static inline bool llmc_status_is_ok(llmc_status_t status) {
  return status == LLMC_OK;
}

/// Returns the status of `expr` from the enclosing function if it failed.
#define LLMC_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    llmc_status_t llmc_status_tmp_ = (expr);                                   \
    if (llmc_status_tmp_ != LLMC_OK)                                           \
      return llmc_status_tmp_;                                                 \
  } while (0)

/*===----------------------------------------------------------------------===*/
/* Allocator                                                                  */
/*===----------------------------------------------------------------------===*/

/// Allocates `size` (> 0) bytes aligned to `alignment` (a power of two that is
/// at least sizeof(void *)) into *out_ptr.
typedef llmc_status_t (*llmc_allocator_alloc_fn_t)(void *self, size_t size,
                                                   size_t alignment,
                                                   void **out_ptr);
/// Frees memory from the matching alloc function (NULL is fine).
typedef void (*llmc_allocator_free_fn_t)(void *self, void *ptr);

/// An injected allocator: a pair of functions and their state.
typedef struct llmc_allocator_t {
  void *self;
  llmc_allocator_alloc_fn_t alloc_fn;
  llmc_allocator_free_fn_t free_fn;
} llmc_allocator_t;

/// The C heap (posix_memalign/free). Blocks of 2 MiB or more start on a
/// 2 MiB boundary and are advised to use transparent huge pages (Linux).
llmc_allocator_t llmc_allocator_system(void);

/// Allocates `size` zero-filled bytes aligned to `alignment` (rounded up to at
/// least sizeof(void *)). A size of 0 allocates a small block.
llmc_status_t llmc_allocator_alloc(llmc_allocator_t allocator, size_t size,
                                   size_t alignment, void **out_ptr);

/// Frees `ptr` from llmc_allocator_alloc with the same allocator.
void llmc_allocator_free(llmc_allocator_t allocator, void *ptr);

/*===----------------------------------------------------------------------===*/
/* Compiled model                                                             */
/*===----------------------------------------------------------------------===*/

/// The compiled model's entry points (see abi.h). The CLI fills it with
/// {llmc_model_info, llmc_model_forward, llmc_model_prefill}; tests plug in
/// models written in C. `prefill` may be NULL: the session then runs prompts
/// one forward call per token.
typedef struct llmc_compiled_model_t {
  llmc_model_info_fn_t info;
  llmc_model_forward_fn_t forward;
  llmc_model_prefill_fn_t prefill;
} llmc_compiled_model_t;

/// The model description returned by llmc_model_info, decoded.
typedef struct llmc_model_info_t {
  int64_t abi_version;
  uint64_t model_id;
  int64_t dim;
  int64_t vocab_size;
  int64_t n_layers;
  int64_t max_seq_len;
  int64_t weights_data_size;
  int64_t kv_cache_bytes;
  int64_t arena_bytes;
  int64_t prefill_chunk; ///< Tokens per prefill call (0: no prefill entry).
  /// Weight tables read one row per token (embeddings), and one row of each.
  int64_t gathered_bytes;
  int64_t gathered_row_bytes;
} llmc_model_info_t;

/// Calls model->info and validates the description: ABI version, positive
/// dim/vocab_size/n_layers/max_seq_len, non-negative sizes.
/// LLMC_STATUS_MODEL_MISMATCH on an ABI version other than
/// LLMC_MODEL_ABI_VERSION, LLMC_STATUS_FORMAT_ERROR on bad values.
llmc_status_t llmc_compiled_model_query_info(const llmc_compiled_model_t *model,
                                             llmc_model_info_t *out_info);

/*===----------------------------------------------------------------------===*/
/* Weights file                                                               */
/*===----------------------------------------------------------------------===*/

/// An opened and validated LLMW weights file (format.h).
typedef struct llmc_weights_t llmc_weights_t;

/// Flags of llmc_weights_open_file.
#define LLMC_WEIGHTS_OPEN_DEFAULT 0x0u
/// Read the file into allocated memory instead of mapping it.
#define LLMC_WEIGHTS_OPEN_NO_MMAP 0x1u
/// Read the file into memory backed by huge pages where the system offers
/// them (Linux transparent huge pages in "always" or "madvise" mode: an
/// anonymous mapping advised MADV_HUGEPAGE); elsewhere as without the flag.
/// Streaming the weights then misses the TLB ~512x less often: decode
/// measured 6-12% faster on Zen 5 (docs/benchmarks.md). It costs a copy at
/// load, and the file's pages stay in the page cache (reclaimable) beside
/// the private copy, where a mapping shares them.
#define LLMC_WEIGHTS_OPEN_HUGE_PAGES 0x2u

/// Maps `path` read-only (reading it into huge pages instead with
/// LLMC_WEIGHTS_OPEN_HUGE_PAGES, or into allocated memory if mmap fails or
/// `flags` has LLMC_WEIGHTS_OPEN_NO_MMAP) and validates the header and
/// the section bounds. Errors name the file and what is wrong: NOT_FOUND,
/// IO_ERROR, TRUNCATED, BAD_MAGIC, UNSUPPORTED_VERSION, OUT_OF_BOUNDS,
/// FORMAT_ERROR.
llmc_status_t llmc_weights_open_file(const char *path, uint32_t flags,
                                     llmc_allocator_t allocator,
                                     llmc_weights_t **out_weights);

/// As llmc_weights_open_file, on `size` bytes at `data`, which are borrowed:
/// they must stay valid and unchanged until the weights are released. `name`
/// (copied) is used in messages. Running a model needs `data` to be 64-byte
/// aligned.
llmc_status_t llmc_weights_open_memory(const void *data, size_t size,
                                       const char *name,
                                       llmc_allocator_t allocator,
                                       llmc_weights_t **out_weights);

void llmc_weights_retain(llmc_weights_t *weights);
void llmc_weights_release(llmc_weights_t *weights);

/// The name used in messages (the path for files).
const char *llmc_weights_name(const llmc_weights_t *weights);

/// True if the bytes were read into huge pages (LLMC_WEIGHTS_OPEN_HUGE_PAGES
/// and the system offered them).
bool llmc_weights_in_huge_pages(const llmc_weights_t *weights);

/// The decoded header (host byte order).
const llmc_weights_header_t *llmc_weights_header(const llmc_weights_t *weights);

/// True if the file is memory-mapped (false if it was read or borrowed).
bool llmc_weights_is_mapped(const llmc_weights_t *weights);

/// The weights data section (header.data_size bytes).
const uint8_t *llmc_weights_data(const llmc_weights_t *weights);

/// The tokenizer section (header.tokenizer_size bytes).
const uint8_t *llmc_weights_tokenizer_section(const llmc_weights_t *weights);

/// Checks that the weights belong to the model described by `info`: same
/// model_id, data section at least info->weights_data_size bytes.
/// LLMC_STATUS_MODEL_MISMATCH otherwise.
llmc_status_t llmc_weights_check_model(const llmc_weights_t *weights,
                                       const llmc_model_info_t *info);

/*===----------------------------------------------------------------------===*/
/* Tokenizer                                                                  */
/*===----------------------------------------------------------------------===*/

/// A byte string that is not NUL-terminated (and may contain NUL bytes).
typedef struct llmc_string_view_t {
  const char *data;
  size_t size;
} llmc_string_view_t;

/// A BPE tokenizer: SentencePiece-style (llama2.c semantics) or byte-level
/// (GPT-2, Llama-3, Qwen2 pre-tokenizers); see format.h.
typedef struct llmc_tokenizer_t llmc_tokenizer_t;

/// Parses and validates an LLMT tokenizer section of `section_size` bytes
/// (copied; the section need not outlive the tokenizer). If
/// `expected_vocab_size` > 0 the section's vocab_size must equal it
/// (LLMC_STATUS_MODEL_MISMATCH). `name` names the file in messages.
llmc_status_t llmc_tokenizer_create(const uint8_t *section, size_t section_size,
                                    int64_t expected_vocab_size,
                                    const char *name,
                                    llmc_allocator_t allocator,
                                    llmc_tokenizer_t **out_tokenizer);

/// llmc_tokenizer_create on the tokenizer section of `weights`.
llmc_status_t llmc_tokenizer_create_from_weights(
    const llmc_weights_t *weights, int64_t expected_vocab_size,
    llmc_allocator_t allocator, llmc_tokenizer_t **out_tokenizer);

void llmc_tokenizer_retain(llmc_tokenizer_t *tokenizer);
void llmc_tokenizer_release(llmc_tokenizer_t *tokenizer);

int32_t llmc_tokenizer_vocab_size(const llmc_tokenizer_t *tokenizer);
/// BOS/EOS token ids, -1 if the vocabulary has none.
int32_t llmc_tokenizer_bos_id(const llmc_tokenizer_t *tokenizer);
int32_t llmc_tokenizer_eos_id(const llmc_tokenizer_t *tokenizer);
/// LLMC_TOKENIZER_FLAG_* bits from the section header.
uint32_t llmc_tokenizer_flags(const llmc_tokenizer_t *tokenizer);

/// The id of the piece equal to `piece`, or -1. Only pieces that text can
/// produce are found: normal, user-defined and byte pieces (not control,
/// unknown or unused ones). Among equal pieces the lowest id wins.
int32_t llmc_tokenizer_lookup(const llmc_tokenizer_t *tokenizer,
                              const char *piece, size_t piece_size);

/// The raw piece of `token` (e.g. "<0x0A>" for a byte piece). Valid while the
/// tokenizer lives. LLMC_STATUS_OUT_OF_RANGE for a bad id.
llmc_status_t llmc_tokenizer_piece(const llmc_tokenizer_t *tokenizer,
                                   int32_t token,
                                   llmc_string_view_t *out_piece);

/// Encoding flags.
#define LLMC_ENCODE_ADD_BOS 0x1u /* prepend BOS (if the vocabulary has one) */
#define LLMC_ENCODE_ADD_EOS 0x2u /* append EOS (if the vocabulary has one) */

/// A token capacity that always suffices to encode `text_size` bytes.
static inline size_t llmc_tokenizer_encode_capacity(size_t text_size) {
  return text_size + 3;
}

/// Encodes `text_size` bytes of `text` (UTF-8; invalid sequences fall back to
/// bytes) into tokens[0 .. *out_count-1]. `capacity` is the size of `tokens`;
/// llmc_tokenizer_encode_capacity(text_size) always suffices, a smaller one
/// may fail with LLMC_STATUS_RESOURCE_EXHAUSTED. A byte without a piece and
/// without byte fallback becomes the unknown token, or fails with
/// LLMC_STATUS_OUT_OF_RANGE if there is none.
llmc_status_t llmc_tokenizer_encode(const llmc_tokenizer_t *tokenizer,
                                    const char *text, size_t text_size,
                                    uint32_t flags, int32_t *tokens,
                                    size_t capacity, size_t *out_count);

/// The text of `token` when it follows `prev_token` (-1 for none): a byte
/// piece "<0xXX>" becomes that byte, and the piece after BOS loses one
/// leading space. Valid while the tokenizer lives.
llmc_status_t llmc_tokenizer_decode(const llmc_tokenizer_t *tokenizer,
                                    int32_t prev_token, int32_t token,
                                    llmc_string_view_t *out_piece);

/*===----------------------------------------------------------------------===*/
/* Sampler                                                                    */
/*===----------------------------------------------------------------------===*/

/// How to pick the next token from logits.
typedef struct llmc_sampler_params_t {
  /// 0 = greedy (argmax; the other fields are ignored). Otherwise logits are
  /// divided by it before the softmax. Finite, >= 0.
  float temperature;
  /// Nucleus sampling: sample from the smallest set of most likely tokens
  /// whose probability exceeds top_p. 0 or 1 disables it. In [0, 1].
  float top_p;
  /// Sample only from the top_k most likely tokens; 0 disables it. >= 0.
  int32_t top_k;
  /// Seed of the sampler's xorshift* generator (0 is replaced by a fixed
  /// nonzero constant). The same seed gives the same tokens.
  uint64_t seed;
} llmc_sampler_params_t;

/// Defaults: temperature 1, top_p 0.9, top_k 0, seed 1 (as llama2.c, seeded).
llmc_sampler_params_t llmc_sampler_params_default(void);

typedef struct llmc_sampler_t llmc_sampler_t;

/// Creates a sampler for `vocab_size` logits. LLMC_STATUS_INVALID_ARGUMENT
/// on bad parameters.
llmc_status_t llmc_sampler_create(int32_t vocab_size,
                                  const llmc_sampler_params_t *params,
                                  llmc_allocator_t allocator,
                                  llmc_sampler_t **out_sampler);

void llmc_sampler_retain(llmc_sampler_t *sampler);
void llmc_sampler_release(llmc_sampler_t *sampler);

/// Picks a token from vocab_size `logits`, which it overwrites (scaling and
/// softmax happen in place). Advances the random generator unless greedy.
llmc_status_t llmc_sampler_sample(llmc_sampler_t *sampler, float *logits,
                                  int32_t *out_token);

/// Index of the largest of `count` values (the first one on ties; NaNs are
/// skipped; 0 if none). Greedy decoding.
int32_t llmc_argmax(const float *values, int32_t count);

/*===----------------------------------------------------------------------===*/
/* Session: KV cache, arena and the forward pass                              */
/*===----------------------------------------------------------------------===*/

/// One inference context of a compiled model: owns the KV cache, the
/// activation arena and the logits buffer; retains the weights.
typedef struct llmc_session_t llmc_session_t;

/// A thread pool (thread_pool.h).
typedef struct llmc_thread_pool_t llmc_thread_pool_t;

/// Queries and validates the model description, checks that `weights` belong
/// to it (llmc_weights_check_model) and that its data is 64-byte aligned, and
/// allocates the KV cache, arena and logits (64-byte aligned, zeroed).
llmc_status_t llmc_session_create(const llmc_compiled_model_t *model,
                                  llmc_weights_t *weights,
                                  llmc_allocator_t allocator,
                                  llmc_session_t **out_session);

void llmc_session_retain(llmc_session_t *session);
void llmc_session_release(llmc_session_t *session);

const llmc_model_info_t *llmc_session_model_info(const llmc_session_t *session);
llmc_weights_t *llmc_session_weights(const llmc_session_t *session);
/// The session's activation arena (llmc_model_info's arena_bytes). Its
/// contents after a forward call, until the next, include the regions a
/// model compiled with observation points (llm.observe) records; tools that
/// calibrate read them there. The arena is otherwise scratch.
const uint8_t *llmc_session_arena(const llmc_session_t *session);

/// Makes the session's forward and prefill calls split their work over
/// `pool`'s threads (retained; NULL: the calling thread alone, the default).
/// The logits do not depend on the thread count.
void llmc_session_set_thread_pool(llmc_session_t *session,
                                  llmc_thread_pool_t *pool);

/// Runs tokens[0 .. count-1] at positions pos .. pos+count-1 through the
/// model's prefill entry (in calls of at most prefill_chunk tokens; one
/// forward call per token if the model has no prefill entry) and points
/// *out_logits at the logits of the last one, as llmc_session_forward.
/// The KV cache then holds the same entries as after count forward calls.
llmc_status_t llmc_session_prefill(llmc_session_t *session,
                                   const int32_t *tokens, size_t count,
                                   int64_t pos, float **out_logits);

/// Runs one decode step of `token` at position `pos` and points *out_logits
/// at the session's vocab_size logits, valid (and writable, e.g. by the
/// sampler) until the next forward call. Positions must be run in order from
/// 0; LLMC_STATUS_OUT_OF_RANGE for a bad token or position.
llmc_status_t llmc_session_forward(llmc_session_t *session, int32_t token,
                                   int64_t pos, float **out_logits);

/// Runs tokens[0 .. count-1] at positions 0 .. count-1 and copies the logits
/// of each position i to out_logits[i * vocab_size ...] (count * vocab_size
/// floats): the logits that predict tokens[i + 1]. For evaluation
/// (perplexity, KL divergence). count <= max_seq_len.
llmc_status_t llmc_session_compute_logits(llmc_session_t *session,
                                          const int32_t *tokens, size_t count,
                                          float *out_logits);

/*===----------------------------------------------------------------------===*/
/* Generation                                                                 */
/*===----------------------------------------------------------------------===*/

/// One produced piece of text.
typedef struct llmc_generate_event_t {
  int32_t token;            ///< The token just decided (forced or sampled).
  int32_t prev_token;       ///< The token it follows.
  int64_t pos;              ///< Position of `token` in the sequence.
  bool forced;              ///< True for prompt tokens, false if sampled.
  llmc_string_view_t piece; ///< llmc_tokenizer_decode(prev_token, token).
} llmc_generate_event_t;

/// Receives each piece as it is produced. Returning a non-OK status stops
/// generation, and llmc_generate returns that status.
typedef llmc_status_t (*llmc_generate_callback_fn_t)(
    void *user_data, const llmc_generate_event_t *event);

/// What a generation did.
typedef struct llmc_generate_stats_t {
  int64_t prompt_tokens;  ///< Tokens of the encoded prompt (with BOS).
  int64_t forward_calls;  ///< Positions run through the model.
  int64_t sampled_tokens; ///< Tokens chosen by the sampler (incl. a stop).
  int32_t stop_token;     ///< BOS/EOS that ended it, -1 if steps ran out.
} llmc_generate_stats_t;

/// Generates text the way llama2.c's generate() does: encodes `prompt` with
/// BOS, then for pos = 0 .. steps-1 runs the model on the current token; the
/// next token is the following prompt token while there is one (forced),
/// otherwise sampled. Stops when the next token is BOS or EOS (not reported)
/// or after `steps` positions; `steps` counts the prompt's positions too and
/// is clamped to max_seq_len (steps <= 0 means max_seq_len). Every next token
/// is decoded and passed to `callback` (may be NULL). `out_stats` may be
/// NULL. The tokenizer's vocab_size must equal the model's.
llmc_status_t llmc_generate(llmc_session_t *session,
                            const llmc_tokenizer_t *tokenizer,
                            llmc_sampler_t *sampler, const char *prompt,
                            size_t prompt_size, int64_t steps,
                            llmc_generate_callback_fn_t callback,
                            void *user_data, llmc_generate_stats_t *out_stats);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_RUNTIME_H_ */
