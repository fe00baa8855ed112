/* A tiny bigram "compiled model" in C, standing in for compiler output. */
/*
 * It exports llmc_model_info/llmc_model_forward like a compiled model object,
 * so it links into llmc-run for every target. Its weights data section is
 *   int32 script[FAKE_MODEL_MAX_SEQ_LEN];  (a token sequence, -1 padded)
 *   int32 next[FAKE_MODEL_VOCAB_SIZE];     (a bigram table)
 *   float bias[FAKE_MODEL_VOCAB_SIZE];     (pseudo-random, in [0, 2))
 * Its logits are bias plus FAKE_MODEL_NEXT_BOOST on one token: script[pos+1]
 * while the input follows the script (token == script[pos]), otherwise
 * next[token]. So greedy decoding from a prefix of the script retraces the
 * script, and sampled tokens lead into the bigram table. The KV cache records
 * each position and forward() checks the earlier ones are intact; if not, it
 * predicts token 0 (<unk>) with a huge logit, which tests notice.
 */
#ifndef LLMC_TEST_UNIT_RUNTIME_FAKE_MODEL_H_
#define LLMC_TEST_UNIT_RUNTIME_FAKE_MODEL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAKE_MODEL_ID 0x4c4c4d4346414b45ull /* "LLMCFAKE" */
#define FAKE_MODEL_VOCAB_SIZE 512
#define FAKE_MODEL_DIM 8
#define FAKE_MODEL_N_LAYERS 1
#define FAKE_MODEL_MAX_SEQ_LEN 64
#define FAKE_MODEL_DATA_SIZE                                                   \
  (FAKE_MODEL_MAX_SEQ_LEN * 4 + FAKE_MODEL_VOCAB_SIZE * 8)
#define FAKE_MODEL_KV_CACHE_BYTES (FAKE_MODEL_MAX_SEQ_LEN * 4)
#define FAKE_MODEL_ARENA_BYTES (FAKE_MODEL_VOCAB_SIZE * 4)
#define FAKE_MODEL_PREFILL_CHUNK 3
#define FAKE_MODEL_NEXT_BOOST 10.0f

/// Writes the weights data (FAKE_MODEL_DATA_SIZE bytes) for `script` (at most
/// FAKE_MODEL_MAX_SEQ_LEN tokens, the rest becomes -1) and a `next` table of
/// FAKE_MODEL_VOCAB_SIZE entries.
void fake_model_build_data(const int32_t *script, size_t script_size,
                           const int32_t *next, uint8_t *out_data);

/// Builds a `next` table that makes greedy decoding retrace `tokens`:
/// next[tokens[i]] = tokens[i + 1] (first occurrence wins) and
/// next[tokens[count - 1]] = end_token; all other entries are arbitrary
/// tokens >= 3.
void fake_model_next_from_sequence(const int32_t *tokens, size_t count,
                                   int32_t end_token, int32_t *out_next);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_TEST_UNIT_RUNTIME_FAKE_MODEL_H_ */
