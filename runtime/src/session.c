/* Sessions (KV cache, arena, forward pass) and the generation loop. */
#include <inttypes.h>
#include <string.h>

#include "internal.h"
#include "llmc/runtime.h"
#include "llmc/thread_pool.h"

struct llmc_session_t {
  llmc_ref_count_t ref_count;
  llmc_allocator_t allocator;
  llmc_compiled_model_t model;
  llmc_model_info_t info;
  llmc_weights_t *weights;  ///< Retained.
  uint8_t *kv_cache;        ///< [info.kv_cache_bytes], 64-byte aligned.
  uint8_t *arena;           ///< [info.arena_bytes], 64-byte aligned.
  float *logits;            ///< [info.vocab_size], 64-byte aligned.
  int64_t next_pos;         ///< Positions [0, next_pos) are in the KV cache.
  llmc_thread_pool_t *pool; ///< Retained; NULL runs on the caller's thread.
};

/*===----------------------------------------------------------------------===*/
/* Model description                                                          */
/*===----------------------------------------------------------------------===*/

static llmc_status_t llmc_check_positive(const char *what, int64_t value) {
  if (value <= 0)
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "compiled model reports %s %" PRId64 ", expected > 0", what, value);
  return LLMC_OK;
}

static llmc_status_t llmc_check_size(const char *what, int64_t value) {
  if (value < 0 || (uint64_t)value > (uint64_t)(SIZE_MAX / 2))
    return llmc_status_make(
        LLMC_STATUS_FORMAT_ERROR,
        "compiled model reports %s %" PRId64 ", not a valid size", what, value);
  return LLMC_OK;
}

llmc_status_t llmc_compiled_model_query_info(const llmc_compiled_model_t *model,
                                             llmc_model_info_t *out_info) {
  if (!model || !model->info || !model->forward || !out_info)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "compiled model, its functions or out_info is "
                            "NULL");
  int64_t raw[LLMC_MODEL_INFO_COUNT];
  memset(raw, 0, sizeof(raw));
  model->info(raw);
  llmc_model_info_t info;
  info.abi_version = raw[LLMC_MODEL_INFO_ABI_VERSION];
  info.model_id = (uint64_t)raw[LLMC_MODEL_INFO_MODEL_ID];
  info.dim = raw[LLMC_MODEL_INFO_DIM];
  info.vocab_size = raw[LLMC_MODEL_INFO_VOCAB_SIZE];
  info.n_layers = raw[LLMC_MODEL_INFO_N_LAYERS];
  info.max_seq_len = raw[LLMC_MODEL_INFO_MAX_SEQ_LEN];
  info.weights_data_size = raw[LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE];
  info.kv_cache_bytes = raw[LLMC_MODEL_INFO_KV_CACHE_BYTES];
  info.arena_bytes = raw[LLMC_MODEL_INFO_ARENA_BYTES];
  info.prefill_chunk = raw[LLMC_MODEL_INFO_PREFILL_CHUNK];
  info.gathered_bytes = raw[LLMC_MODEL_INFO_GATHERED_BYTES];
  info.gathered_row_bytes = raw[LLMC_MODEL_INFO_GATHERED_ROW_BYTES];
  if (info.abi_version != LLMC_MODEL_ABI_VERSION)
    return llmc_status_make(LLMC_STATUS_MODEL_MISMATCH,
                            "compiled model has ABI version %" PRId64
                            ", this runtime supports version %d",
                            info.abi_version, LLMC_MODEL_ABI_VERSION);
  LLMC_RETURN_IF_ERROR(llmc_check_positive("dim", info.dim));
  LLMC_RETURN_IF_ERROR(llmc_check_positive("vocab_size", info.vocab_size));
  LLMC_RETURN_IF_ERROR(llmc_check_positive("n_layers", info.n_layers));
  LLMC_RETURN_IF_ERROR(llmc_check_positive("max_seq_len", info.max_seq_len));
  if (info.vocab_size > INT32_MAX)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "compiled model reports vocab_size %" PRId64
                            ", more than int32 token ids can address",
                            info.vocab_size);
  LLMC_RETURN_IF_ERROR(
      llmc_check_size("weights_data_size", info.weights_data_size));
  LLMC_RETURN_IF_ERROR(llmc_check_size("kv_cache_bytes", info.kv_cache_bytes));
  LLMC_RETURN_IF_ERROR(llmc_check_size("arena_bytes", info.arena_bytes));
  LLMC_RETURN_IF_ERROR(llmc_check_size("gathered_bytes", info.gathered_bytes));
  LLMC_RETURN_IF_ERROR(
      llmc_check_size("gathered_row_bytes", info.gathered_row_bytes));
  if (info.gathered_bytes > info.weights_data_size ||
      info.gathered_row_bytes > info.gathered_bytes)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "compiled model reports gathered_bytes %" PRId64
                            " and gathered_row_bytes %" PRId64
                            ", expected row <= tables <= weights_data_size "
                            "%" PRId64,
                            info.gathered_bytes, info.gathered_row_bytes,
                            info.weights_data_size);
  if (model->prefill)
    LLMC_RETURN_IF_ERROR(
        llmc_check_positive("prefill_chunk", info.prefill_chunk));
  else if (info.prefill_chunk < 0)
    return llmc_status_make(LLMC_STATUS_FORMAT_ERROR,
                            "compiled model reports prefill_chunk %" PRId64
                            ", expected >= 0",
                            info.prefill_chunk);
  *out_info = info;
  return LLMC_OK;
}

/*===----------------------------------------------------------------------===*/
/* Session                                                                    */
/*===----------------------------------------------------------------------===*/

static llmc_status_t llmc_session_allocate(llmc_session_t *session) {
  llmc_allocator_t allocator = session->allocator;
  const llmc_model_info_t *info = &session->info;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, (size_t)info->kv_cache_bytes, LLMC_MODEL_BUFFER_ALIGNMENT,
      (void **)&session->kv_cache));
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, (size_t)info->arena_bytes, LLMC_MODEL_BUFFER_ALIGNMENT,
      (void **)&session->arena));
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, (size_t)info->vocab_size * sizeof(float),
      LLMC_MODEL_BUFFER_ALIGNMENT, (void **)&session->logits));
  return LLMC_OK;
}

llmc_status_t llmc_session_create(const llmc_compiled_model_t *model,
                                  llmc_weights_t *weights,
                                  llmc_allocator_t allocator,
                                  llmc_session_t **out_session) {
  if (!out_session || !weights)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "weights or out_session is NULL");
  *out_session = NULL;
  llmc_model_info_t info;
  LLMC_RETURN_IF_ERROR(llmc_compiled_model_query_info(model, &info));
  LLMC_RETURN_IF_ERROR(llmc_weights_check_model(weights, &info));
  if ((uintptr_t)llmc_weights_data(weights) % LLMC_MODEL_BUFFER_ALIGNMENT)
    return llmc_status_make(LLMC_STATUS_FAILED_PRECONDITION,
                            "%s: weights data at %p is not %d-byte aligned "
                            "(the file's bytes must be 64-byte aligned in "
                            "memory)",
                            llmc_weights_name(weights),
                            (const void *)llmc_weights_data(weights),
                            LLMC_MODEL_BUFFER_ALIGNMENT);

  llmc_session_t *session = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(allocator, sizeof(*session),
                                            _Alignof(llmc_session_t),
                                            (void **)&session));
  llmc_ref_init(&session->ref_count);
  session->allocator = allocator;
  session->model = *model;
  session->info = info;
  session->weights = weights;
  llmc_weights_retain(weights);
  llmc_status_t status = llmc_session_allocate(session);
  if (status) {
    llmc_session_release(session);
    return llmc_status_annotate(status, "allocating the session of %s",
                                llmc_weights_name(weights));
  }
  *out_session = session;
  return LLMC_OK;
}

void llmc_session_retain(llmc_session_t *session) {
  if (session)
    llmc_ref_inc(&session->ref_count);
}

void llmc_session_release(llmc_session_t *session) {
  if (!session || !llmc_ref_dec(&session->ref_count))
    return;
  llmc_allocator_t allocator = session->allocator;
  llmc_allocator_free(allocator, session->logits);
  llmc_allocator_free(allocator, session->arena);
  llmc_allocator_free(allocator, session->kv_cache);
  llmc_thread_pool_release(session->pool);
  llmc_weights_release(session->weights);
  llmc_allocator_free(allocator, session);
}

const llmc_model_info_t *
llmc_session_model_info(const llmc_session_t *session) {
  return &session->info;
}

llmc_weights_t *llmc_session_weights(const llmc_session_t *session) {
  return session->weights;
}

const uint8_t *llmc_session_arena(const llmc_session_t *session) {
  return session ? session->arena : NULL;
}

llmc_status_t llmc_session_forward(llmc_session_t *session, int32_t token,
                                   int64_t pos, float **out_logits) {
  if (!session || !out_logits)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "session or out_logits is NULL");
  if (token < 0 || token >= session->info.vocab_size)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "token %" PRId32 " is outside [0, %" PRId64 ")",
                            token, session->info.vocab_size);
  if (pos < 0 || pos >= session->info.max_seq_len)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "position %" PRId64 " is outside [0, %" PRId64
                            ") (max_seq_len)",
                            pos, session->info.max_seq_len);
  if (pos > session->next_pos)
    return llmc_status_make(LLMC_STATUS_FAILED_PRECONDITION,
                            "position %" PRId64
                            " skips ahead: positions must be run in order "
                            "and only 0..%" PRId64 " are filled",
                            pos, session->next_pos - 1);
  session->model.forward(llmc_weights_data(session->weights), session->kv_cache,
                         session->arena, token, pos, session->logits,
                         session->pool ? llmc_thread_pool_parallel_for : NULL,
                         session->pool);
  session->next_pos = pos + 1;
  *out_logits = session->logits;
  return LLMC_OK;
}

void llmc_session_set_thread_pool(llmc_session_t *session,
                                  llmc_thread_pool_t *pool) {
  if (!session)
    return;
  llmc_thread_pool_retain(pool);
  llmc_thread_pool_release(session->pool);
  session->pool = pool;
}

llmc_status_t llmc_session_prefill(llmc_session_t *session,
                                   const int32_t *tokens, size_t count,
                                   int64_t pos, float **out_logits) {
  if (!session || !out_logits || (count && !tokens))
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "session, tokens or out_logits is NULL");
  if (count == 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "prefill of no tokens");
  const llmc_model_info_t *info = &session->info;
  if (pos < 0 || pos > info->max_seq_len ||
      (uint64_t)count > (uint64_t)(info->max_seq_len - pos))
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "positions %" PRId64 " .. %" PRId64
                            " are outside [0, %" PRId64 ") (max_seq_len)",
                            pos, pos + (int64_t)count - 1, info->max_seq_len);
  if (pos > session->next_pos)
    return llmc_status_make(LLMC_STATUS_FAILED_PRECONDITION,
                            "position %" PRId64
                            " skips ahead: positions must be run in order "
                            "and only 0..%" PRId64 " are filled",
                            pos, session->next_pos - 1);
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= info->vocab_size)
      return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                              "token %" PRId32 " (prompt index %zu) is "
                              "outside [0, %" PRId64 ")",
                              tokens[i], i, info->vocab_size);
  if (!session->model.prefill) {
    for (size_t i = 0; i < count; ++i)
      LLMC_RETURN_IF_ERROR(llmc_session_forward(session, tokens[i],
                                                pos + (int64_t)i, out_logits));
    return LLMC_OK;
  }
  const size_t chunk = (size_t)info->prefill_chunk;
  for (size_t done = 0; done < count;) {
    size_t n = count - done < chunk ? count - done : chunk;
    session->model.prefill(
        llmc_weights_data(session->weights), session->kv_cache, session->arena,
        tokens + done, (int64_t)n, pos + (int64_t)done, session->logits,
        session->pool ? llmc_thread_pool_parallel_for : NULL, session->pool);
    done += n;
    session->next_pos = pos + (int64_t)done;
  }
  *out_logits = session->logits;
  return LLMC_OK;
}

llmc_status_t llmc_session_compute_logits(llmc_session_t *session,
                                          const int32_t *tokens, size_t count,
                                          float *out_logits) {
  if (!session || (count && (!tokens || !out_logits)))
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "session, tokens or out_logits is NULL");
  if ((uint64_t)count > (uint64_t)session->info.max_seq_len)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "%zu tokens exceed max_seq_len %" PRId64, count,
                            session->info.max_seq_len);
  const size_t vocab_size = (size_t)session->info.vocab_size;
  for (size_t i = 0; i < count; ++i) {
    float *logits = NULL;
    LLMC_RETURN_IF_ERROR(
        llmc_session_forward(session, tokens[i], (int64_t)i, &logits));
    memcpy(out_logits + i * vocab_size, logits, vocab_size * sizeof(float));
  }
  return LLMC_OK;
}

/*===----------------------------------------------------------------------===*/
/* Generation                                                                 */
/*===----------------------------------------------------------------------===*/

/// True if `token` ends a sequence (BOS delimits sequences as in
/// llama2.c; EOS ends one).
static bool llmc_is_stop_token(int32_t token, int32_t bos, int32_t eos) {
  return (bos >= 0 && token == bos) || (eos >= 0 && token == eos);
}

/// Reports `next` (following `token`, at position `pos`) to the callback.
static llmc_status_t llmc_generate_report(const llmc_tokenizer_t *tokenizer,
                                          llmc_generate_callback_fn_t callback,
                                          void *user_data, int32_t token,
                                          int32_t next, int64_t pos,
                                          bool forced) {
  if (!callback)
    return LLMC_OK;
  llmc_generate_event_t event;
  event.token = next;
  event.prev_token = token;
  event.pos = pos;
  event.forced = forced;
  LLMC_RETURN_IF_ERROR(
      llmc_tokenizer_decode(tokenizer, token, next, &event.piece));
  return callback(user_data, &event);
}

/// The loop of llmc_generate over already-encoded prompt tokens: the prompt
/// through llmc_session_prefill, then one forward call per sampled token.
/// Produces the same events as running every position with
/// llmc_session_forward (position p runs token p; the next token is forced
/// while the prompt has one).
static llmc_status_t
llmc_generate_tokens(llmc_session_t *session, const llmc_tokenizer_t *tokenizer,
                     llmc_sampler_t *sampler, const int32_t *prompt,
                     int64_t prompt_count, int64_t steps,
                     llmc_generate_callback_fn_t callback, void *user_data,
                     llmc_generate_stats_t *stats) {
  const int32_t bos = llmc_tokenizer_bos_id(tokenizer);
  const int32_t eos = llmc_tokenizer_eos_id(tokenizer);
  // Positions 0 .. run-1 run the prompt; the prompt tokens 1 .. last_forced
  // are forced (the one after the last run position too, if steps end
  // inside the prompt). A stop token among them ends generation there.
  int64_t run = prompt_count < steps ? prompt_count : steps;
  int64_t last_forced = prompt_count - 1 < steps ? prompt_count - 1 : steps;
  int64_t stop_index = -1;
  for (int64_t i = 1; i <= last_forced; ++i)
    if (llmc_is_stop_token(prompt[i], bos, eos)) {
      stop_index = i;
      run = i;
      last_forced = i - 1;
      break;
    }
  float *logits = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_session_prefill(session, prompt, (size_t)run, 0, &logits));
  stats->forward_calls += run;
  for (int64_t i = 1; i <= last_forced; ++i)
    LLMC_RETURN_IF_ERROR(llmc_generate_report(
        tokenizer, callback, user_data, prompt[i - 1], prompt[i], i, true));
  if (stop_index >= 0) {
    stats->stop_token = prompt[stop_index];
    return LLMC_OK;
  }
  if (run < prompt_count)
    return LLMC_OK; // The steps ended inside the prompt.
  // Sample after the last prompt position, then decode.
  int64_t pos = run;
  int32_t token = prompt[run - 1];
  for (;;) {
    int32_t next;
    LLMC_RETURN_IF_ERROR(llmc_sampler_sample(sampler, logits, &next));
    ++stats->sampled_tokens;
    if (llmc_is_stop_token(next, bos, eos)) {
      stats->stop_token = next;
      break;
    }
    LLMC_RETURN_IF_ERROR(llmc_generate_report(tokenizer, callback, user_data,
                                              token, next, pos, false));
    token = next;
    if (pos >= steps)
      break;
    LLMC_RETURN_IF_ERROR(llmc_session_forward(session, token, pos, &logits));
    ++stats->forward_calls;
    ++pos;
  }
  return LLMC_OK;
}

llmc_status_t llmc_generate(llmc_session_t *session,
                            const llmc_tokenizer_t *tokenizer,
                            llmc_sampler_t *sampler, const char *prompt,
                            size_t prompt_size, int64_t steps,
                            llmc_generate_callback_fn_t callback,
                            void *user_data, llmc_generate_stats_t *out_stats) {
  if (!session || !tokenizer || !sampler || (!prompt && prompt_size))
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "session, tokenizer, sampler or prompt is NULL");
  const llmc_model_info_t *info = &session->info;
  if (llmc_tokenizer_vocab_size(tokenizer) != info->vocab_size)
    return llmc_status_make(
        LLMC_STATUS_MODEL_MISMATCH,
        "tokenizer vocab_size %" PRId32 " does not match the model's %" PRId64,
        llmc_tokenizer_vocab_size(tokenizer), info->vocab_size);
  if (llmc_sampler_vocab_size(sampler) != info->vocab_size)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "sampler vocab_size %" PRId32
                            " does not match the model's %" PRId64,
                            llmc_sampler_vocab_size(sampler), info->vocab_size);
  if (steps <= 0 || steps > info->max_seq_len)
    steps = info->max_seq_len;

  size_t capacity = llmc_tokenizer_encode_capacity(prompt_size);
  int32_t *tokens = NULL;
  LLMC_RETURN_IF_ERROR(
      llmc_allocator_alloc(session->allocator, capacity * sizeof(int32_t),
                           _Alignof(int32_t), (void **)&tokens));
  llmc_generate_stats_t stats = {0, 0, 0, -1};
  size_t count = 0;
  llmc_status_t status =
      llmc_tokenizer_encode(tokenizer, prompt ? prompt : "", prompt_size,
                            LLMC_ENCODE_ADD_BOS, tokens, capacity, &count);
  if (!status && count == 0)
    status = llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                              "the prompt encodes to no tokens (empty prompt "
                              "and no BOS token)");
  if (!status) {
    stats.prompt_tokens = (int64_t)count;
    status = llmc_generate_tokens(session, tokenizer, sampler, tokens,
                                  (int64_t)count, steps, callback, user_data,
                                  &stats);
  }
  llmc_allocator_free(session->allocator, tokens);
  if (out_stats)
    *out_stats = stats;
  return status;
}
