/* The C functions a compiled llmc model object exports (model ABI v2). */
/*
 * The compiler emits one object file per target that defines exactly
 * llmc_model_info(), llmc_model_forward() and llmc_model_prefill(). The
 * runtime library never
 * references these symbols: it takes them through llmc_compiled_model_t (see
 * runtime.h), so tests can plug in a model written in C. Only the CLI's main
 * (runtime/tools/llmc_run_main.c) names them.
 *
 * Model description (llmc_model_info fills LLMC_MODEL_INFO_COUNT int64s):
 *
 *   [0] abi_version        LLMC_MODEL_ABI_VERSION
 *   [1] model_id           64-bit id; equals the weights file's header.model_id
 *   [2] dim                model width
 *   [3] vocab_size         number of logits; equals the tokenizer's vocab_size
 *   [4] n_layers
 *   [5] max_seq_len        positions are 0 .. max_seq_len-1
 *   [6] weights_data_size  bytes of the weights data section the code reads
 *                          (<= header.data_size)
 *   [7] kv_cache_bytes     KV cache size the caller allocates (64-byte
 *                          aligned); it persists across forward calls
 *   [8] arena_bytes        scratch activation arena the caller allocates
 *                          (64-byte aligned); contents need not persist
 *   [9] prefill_chunk      most tokens one llmc_model_prefill call takes
 *                          (>= 1)
 *   [10] gathered_bytes    bytes of the weight tables a step reads only one
 *                          row of per token (token/position embedding tables
 *                          not shared with a linear); 0 if none or unknown
 *   [11] gathered_row_bytes bytes of one row of each of those tables, summed
 *   [12..15] reserved      0
 *
 * llmc_model_forward runs one decode step: it reads the weights data, writes
 * the K/V entries of position `pos` into kv_cache and reads those of
 * positions 0..pos, uses the arena as scratch and writes vocab_size float
 * logits. All pointers are 64-byte aligned; 0 <= token < vocab_size,
 * 0 <= pos < max_seq_len. The caller runs positions in order 0, 1, 2, ...
 * (re-running a position overwrites it and invalidates the later ones).
 *
 * llmc_model_prefill runs tokens[0 .. n-1] at positions pos .. pos+n-1 in
 * one call (1 <= n <= prefill_chunk, pos + n <= max_seq_len) and writes the
 * vocab_size logits of the last one; the KV cache then holds the same
 * entries as after n forward calls.
 *
 * Threads: both entries split their large loops into independent ranges and
 * run them through `parallel_for(pool, count, task, ctx)`, which must call
 * task(ctx, begin, end) on ranges that cover [0, count) exactly once (in any
 * order, on any threads) and return when all have run. NULL runs
 * task(ctx, 0, count) on the calling thread. The arithmetic of each index
 * does not depend on the split, so logits are identical for any thread count.
 * llmc_thread_pool_parallel_for (thread_pool.h) is the runtime's.
 */
#ifndef LLMC_ABI_H_
#define LLMC_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LLMC_MODEL_ABI_VERSION 2

/// Indices into the array filled by llmc_model_info().
enum llmc_model_info_index_e {
  LLMC_MODEL_INFO_ABI_VERSION = 0,
  LLMC_MODEL_INFO_MODEL_ID = 1,
  LLMC_MODEL_INFO_DIM = 2,
  LLMC_MODEL_INFO_VOCAB_SIZE = 3,
  LLMC_MODEL_INFO_N_LAYERS = 4,
  LLMC_MODEL_INFO_MAX_SEQ_LEN = 5,
  LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE = 6,
  LLMC_MODEL_INFO_KV_CACHE_BYTES = 7,
  LLMC_MODEL_INFO_ARENA_BYTES = 8,
  LLMC_MODEL_INFO_PREFILL_CHUNK = 9,
  LLMC_MODEL_INFO_GATHERED_BYTES = 10,
  LLMC_MODEL_INFO_GATHERED_ROW_BYTES = 11,
  LLMC_MODEL_INFO_COUNT = 16,
};

/// Alignment of every buffer passed to llmc_model_forward.
#define LLMC_MODEL_BUFFER_ALIGNMENT 64

/// Signature of llmc_model_info: fills out[0 .. LLMC_MODEL_INFO_COUNT-1].
typedef void (*llmc_model_info_fn_t)(int64_t *out);

/// A range of a parallel loop: runs iterations [begin, end).
typedef void (*llmc_parallel_task_fn_t)(void *ctx, int64_t begin, int64_t end);

/// Runs `task` over ranges covering [0, count) exactly once and returns when
/// all are done (see above). `pool` is the implementation's state.
typedef void (*llmc_parallel_for_fn_t)(void *pool, int64_t count,
                                       llmc_parallel_task_fn_t task, void *ctx);

/// Signature of llmc_model_forward: one decode step (see above).
typedef void (*llmc_model_forward_fn_t)(const uint8_t *weights_data,
                                        uint8_t *kv_cache, uint8_t *arena,
                                        int32_t token, int64_t pos,
                                        float *logits,
                                        llmc_parallel_for_fn_t parallel_for,
                                        void *pool);

/// Signature of llmc_model_prefill: n tokens in one call (see above).
typedef void (*llmc_model_prefill_fn_t)(const uint8_t *weights_data,
                                        uint8_t *kv_cache, uint8_t *arena,
                                        const int32_t *tokens, int64_t n,
                                        int64_t pos, float *logits,
                                        llmc_parallel_for_fn_t parallel_for,
                                        void *pool);

/// Defined by the compiled model object. Declared here for the CLI's main and
/// for the compiler's tests; the runtime library does not reference them.
void llmc_model_info(int64_t *out);
void llmc_model_forward(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, int32_t token, int64_t pos,
                        float *logits, llmc_parallel_for_fn_t parallel_for,
                        void *pool);
void llmc_model_prefill(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, const int32_t *tokens, int64_t n,
                        int64_t pos, float *logits,
                        llmc_parallel_for_fn_t parallel_for, void *pool);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_ABI_H_ */
