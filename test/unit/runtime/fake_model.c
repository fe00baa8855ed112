/* A tiny bigram "compiled model" in C, standing in for compiler output. */
#include "fake_model.h"

#include <string.h>

#include "llmc/abi.h"

void llmc_model_info(int64_t *out) {
  for (int i = 0; i < LLMC_MODEL_INFO_COUNT; ++i)
    out[i] = 0;
  out[LLMC_MODEL_INFO_ABI_VERSION] = LLMC_MODEL_ABI_VERSION;
  out[LLMC_MODEL_INFO_MODEL_ID] = (int64_t)FAKE_MODEL_ID;
  out[LLMC_MODEL_INFO_DIM] = FAKE_MODEL_DIM;
  out[LLMC_MODEL_INFO_VOCAB_SIZE] = FAKE_MODEL_VOCAB_SIZE;
  out[LLMC_MODEL_INFO_N_LAYERS] = FAKE_MODEL_N_LAYERS;
  out[LLMC_MODEL_INFO_MAX_SEQ_LEN] = FAKE_MODEL_MAX_SEQ_LEN;
  out[LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE] = FAKE_MODEL_DATA_SIZE;
  out[LLMC_MODEL_INFO_KV_CACHE_BYTES] = FAKE_MODEL_KV_CACHE_BYTES;
  out[LLMC_MODEL_INFO_ARENA_BYTES] = FAKE_MODEL_ARENA_BYTES;
  out[LLMC_MODEL_INFO_PREFILL_CHUNK] = FAKE_MODEL_PREFILL_CHUNK;
}

/// KV entry of a position: nonzero, depends on token and position.
static int32_t fake_model_kv_entry(int32_t token, int64_t pos) {
  return (int32_t)(0x40000000 | ((int32_t)pos << 16) | token);
}

void llmc_model_forward(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, int32_t token, int64_t pos,
                        float *logits, llmc_parallel_for_fn_t parallel_for,
                        void *pool) {
  (void)parallel_for;
  (void)pool;
  const int32_t *script = (const int32_t *)weights_data;
  const int32_t *next = script + FAKE_MODEL_MAX_SEQ_LEN;
  const float *bias = (const float *)(next + FAKE_MODEL_VOCAB_SIZE);
  int32_t *kv = (int32_t *)kv_cache;
  float *scratch = (float *)arena;
  // Earlier positions must still be in the cache.
  int intact = 1;
  for (int64_t p = 0; p < pos; ++p) {
    if ((kv[p] & 0x40000000) == 0 || ((kv[p] >> 16) & 0x3fff) != p)
      intact = 0;
  }
  kv[pos] = fake_model_kv_entry(token, pos);
  for (int i = 0; i < FAKE_MODEL_VOCAB_SIZE; ++i)
    scratch[i] = bias[i];
  int32_t predicted = next[token];
  if (script[pos] == token && pos + 1 < FAKE_MODEL_MAX_SEQ_LEN &&
      script[pos + 1] >= 0)
    predicted = script[pos + 1];
  if (intact)
    scratch[predicted] += FAKE_MODEL_NEXT_BOOST;
  else
    scratch[0] = 1000.0f;
  memcpy(logits, scratch, FAKE_MODEL_VOCAB_SIZE * sizeof(float));
}

/// Prefill as one forward call per token; the logits of each overwrite the
/// previous ones, leaving the last token's.
void llmc_model_prefill(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, const int32_t *tokens, int64_t n,
                        int64_t pos, float *logits,
                        llmc_parallel_for_fn_t parallel_for, void *pool) {
  for (int64_t i = 0; i < n; ++i)
    llmc_model_forward(weights_data, kv_cache, arena, tokens[i], pos + i,
                       logits, parallel_for, pool);
}

void fake_model_build_data(const int32_t *script, size_t script_size,
                           const int32_t *next, uint8_t *out_data) {
  for (size_t i = 0; i < FAKE_MODEL_MAX_SEQ_LEN; ++i) {
    int32_t token = i < script_size ? script[i] : -1;
    memcpy(out_data + i * 4, &token, sizeof(token));
  }
  uint8_t *next_out = out_data + FAKE_MODEL_MAX_SEQ_LEN * 4;
  memcpy(next_out, next, FAKE_MODEL_VOCAB_SIZE * sizeof(int32_t));
  uint8_t *bias_out = next_out + FAKE_MODEL_VOCAB_SIZE * 4;
  for (uint32_t i = 0; i < FAKE_MODEL_VOCAB_SIZE; ++i) {
    uint32_t h = i * 2654435761u;
    float b = (float)((h >> 24) & 0xff) / 128.0f;
    memcpy(bias_out + i * 4, &b, sizeof(b));
  }
}

void fake_model_next_from_sequence(const int32_t *tokens, size_t count,
                                   int32_t end_token, int32_t *out_next) {
  unsigned char set[FAKE_MODEL_VOCAB_SIZE];
  memset(set, 0, sizeof(set));
  // Tokens off the sequence continue with an arbitrary token that is never
  // one of the first three (<unk>, BOS, EOS in llama2.c vocabularies).
  for (int i = 0; i < FAKE_MODEL_VOCAB_SIZE; ++i)
    out_next[i] = 3 + (i * 7 + 5) % (FAKE_MODEL_VOCAB_SIZE - 3);
  for (size_t i = 0; i < count; ++i) {
    int32_t t = tokens[i];
    if (t < 0 || t >= FAKE_MODEL_VOCAB_SIZE || set[t])
      continue;
    set[t] = 1;
    out_next[t] = i + 1 < count ? tokens[i + 1] : end_token;
  }
}
