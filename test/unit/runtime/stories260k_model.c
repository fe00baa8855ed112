/* A plain C Llama forward pass for stories260K, as a stand-in compiled model.
 */
#include "stories260k_model.h"

#include <math.h>
#include <stddef.h>

#include "llmc/abi.h"

enum {
  kDim = STORIES260K_DIM,
  kHidden = STORIES260K_HIDDEN_DIM,
  kLayers = STORIES260K_N_LAYERS,
  kHeads = STORIES260K_N_HEADS,
  kKvHeads = STORIES260K_N_KV_HEADS,
  kHeadSize = kDim / kHeads,
  kKvDim = kKvHeads * kHeadSize,
  kVocab = STORIES260K_VOCAB_SIZE,
  kSeq = STORIES260K_MAX_SEQ_LEN,
};

/// Float counts of the checkpoint's arrays, in file order.
enum {
  kEmbeddingSize = kVocab * kDim,
  kRmsAttSize = kLayers * kDim,
  kWqSize = kLayers * kDim * kDim,
  kWkSize = kLayers * kKvDim * kDim,
  kWvSize = kLayers * kKvDim * kDim,
  kWoSize = kLayers * kDim * kDim,
  kRmsFfnSize = kLayers * kDim,
  kW1Size = kLayers * kHidden * kDim,
  kW2Size = kLayers * kDim * kHidden,
  kW3Size = kLayers * kHidden * kDim,
  kRmsFinalSize = kDim,
  kWeightFloats = kEmbeddingSize + kRmsAttSize + kWqSize + kWkSize + kWvSize +
                  kWoSize + kRmsFfnSize + kW1Size + kW2Size + kW3Size +
                  kRmsFinalSize,
};

/// The KV cache: keys then values, each [layer][position][kv_dim].
enum { kCacheFloats = 2 * kLayers * kSeq * kKvDim };

/// The arena: activations of one step.
typedef struct arena_t {
  float x[kDim];      ///< Residual stream.
  float xb[kDim];     ///< Normalized input / attention output.
  float xb2[kDim];    ///< Projection output.
  float q[kDim];      ///< Query.
  float hb[kHidden];  ///< FFN gate.
  float hb2[kHidden]; ///< FFN up.
  float att[kSeq];    ///< Attention scores of one head.
} arena_t;

void stories260k_model_info(int64_t *out) {
  for (int i = 0; i < LLMC_MODEL_INFO_COUNT; ++i)
    out[i] = 0;
  out[LLMC_MODEL_INFO_ABI_VERSION] = LLMC_MODEL_ABI_VERSION;
  out[LLMC_MODEL_INFO_MODEL_ID] = (int64_t)STORIES260K_MODEL_ID;
  out[LLMC_MODEL_INFO_DIM] = kDim;
  out[LLMC_MODEL_INFO_VOCAB_SIZE] = kVocab;
  out[LLMC_MODEL_INFO_N_LAYERS] = kLayers;
  out[LLMC_MODEL_INFO_MAX_SEQ_LEN] = kSeq;
  out[LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE] = (int64_t)kWeightFloats * 4;
  out[LLMC_MODEL_INFO_KV_CACHE_BYTES] = (int64_t)kCacheFloats * 4;
  out[LLMC_MODEL_INFO_ARENA_BYTES] = (int64_t)sizeof(arena_t);
  out[LLMC_MODEL_INFO_PREFILL_CHUNK] = 8;
}

/// out = weight[rows, cols] @ in.
static void matvec(float *out, const float *weight, const float *in, int rows,
                   int cols) {
  for (int r = 0; r < rows; ++r) {
    float sum = 0.0f;
    for (int c = 0; c < cols; ++c)
      sum += weight[(size_t)r * cols + c] * in[c];
    out[r] = sum;
  }
}

/// out = in / rms(in) * gain (eps 1e-5).
static void rmsnorm(float *out, const float *in, const float *gain, int n) {
  float ss = 0.0f;
  for (int i = 0; i < n; ++i)
    ss += in[i] * in[i];
  float scale = 1.0f / sqrtf(ss / (float)n + 1e-5f);
  for (int i = 0; i < n; ++i)
    out[i] = gain[i] * (in[i] * scale);
}

static void softmax(float *x, int n) {
  float max = x[0];
  for (int i = 1; i < n; ++i)
    if (x[i] > max)
      max = x[i];
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = expf(x[i] - max);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i)
    x[i] /= sum;
}

/// Rotates consecutive pairs of each head by pos * theta^(-2i/head_size).
static void rope(float *vec, int size, int64_t pos) {
  for (int i = 0; i < size; i += 2) {
    int pair = i % kHeadSize;
    float freq = 1.0f / powf(10000.0f, (float)pair / (float)kHeadSize);
    float angle = (float)pos * freq;
    float c = cosf(angle), s = sinf(angle);
    float a = vec[i], b = vec[i + 1];
    vec[i] = a * c - b * s;
    vec[i + 1] = a * s + b * c;
  }
}

void stories260k_model_forward(const uint8_t *weights_data, uint8_t *kv_cache,
                               uint8_t *arena_bytes, int32_t token, int64_t pos,
                               float *logits,
                               llmc_parallel_for_fn_t parallel_for,
                               void *pool) {
  (void)parallel_for; // One thread: its loops are small.
  (void)pool;
  const float *w = (const float *)weights_data;
  const float *embedding = w;
  const float *rms_att = embedding + kEmbeddingSize;
  const float *wq = rms_att + kRmsAttSize;
  const float *wk = wq + kWqSize;
  const float *wv = wk + kWkSize;
  const float *wo = wv + kWvSize;
  const float *rms_ffn = wo + kWoSize;
  const float *w1 = rms_ffn + kRmsFfnSize;
  const float *w2 = w1 + kW1Size;
  const float *w3 = w2 + kW2Size;
  const float *rms_final = w3 + kW3Size;
  float *key_cache = (float *)kv_cache;
  float *value_cache = key_cache + kLayers * kSeq * kKvDim;
  arena_t *a = (arena_t *)arena_bytes;

  for (int i = 0; i < kDim; ++i)
    a->x[i] = embedding[(size_t)token * kDim + i];

  for (int l = 0; l < kLayers; ++l) {
    // Attention: q, k, v of this position; k, v go to the cache.
    rmsnorm(a->xb, a->x, rms_att + l * kDim, kDim);
    float *k = key_cache + ((size_t)l * kSeq + (size_t)pos) * kKvDim;
    float *v = value_cache + ((size_t)l * kSeq + (size_t)pos) * kKvDim;
    matvec(a->q, wq + (size_t)l * kDim * kDim, a->xb, kDim, kDim);
    matvec(k, wk + (size_t)l * kKvDim * kDim, a->xb, kKvDim, kDim);
    matvec(v, wv + (size_t)l * kKvDim * kDim, a->xb, kKvDim, kDim);
    rope(a->q, kDim, pos);
    rope(k, kKvDim, pos);
    // Each query head attends over positions 0..pos of its KV head (GQA).
    for (int h = 0; h < kHeads; ++h) {
      const float *q = a->q + h * kHeadSize;
      int kv_head = h / (kHeads / kKvHeads);
      for (int64_t t = 0; t <= pos; ++t) {
        const float *kt = key_cache + ((size_t)l * kSeq + (size_t)t) * kKvDim +
                          kv_head * kHeadSize;
        float score = 0.0f;
        for (int i = 0; i < kHeadSize; ++i)
          score += q[i] * kt[i];
        a->att[t] = score / sqrtf((float)kHeadSize);
      }
      softmax(a->att, (int)pos + 1);
      float *out = a->xb + h * kHeadSize;
      for (int i = 0; i < kHeadSize; ++i)
        out[i] = 0.0f;
      for (int64_t t = 0; t <= pos; ++t) {
        const float *vt = value_cache +
                          ((size_t)l * kSeq + (size_t)t) * kKvDim +
                          kv_head * kHeadSize;
        for (int i = 0; i < kHeadSize; ++i)
          out[i] += a->att[t] * vt[i];
      }
    }
    matvec(a->xb2, wo + (size_t)l * kDim * kDim, a->xb, kDim, kDim);
    for (int i = 0; i < kDim; ++i)
      a->x[i] += a->xb2[i];

    // SwiGLU feed-forward.
    rmsnorm(a->xb, a->x, rms_ffn + l * kDim, kDim);
    matvec(a->hb, w1 + (size_t)l * kHidden * kDim, a->xb, kHidden, kDim);
    matvec(a->hb2, w3 + (size_t)l * kHidden * kDim, a->xb, kHidden, kDim);
    for (int i = 0; i < kHidden; ++i) {
      float g = a->hb[i];
      a->hb[i] = g / (1.0f + expf(-g)) * a->hb2[i];
    }
    matvec(a->xb, w2 + (size_t)l * kDim * kHidden, a->hb, kDim, kHidden);
    for (int i = 0; i < kDim; ++i)
      a->x[i] += a->xb[i];
  }

  // Final norm; the classifier shares the token embedding.
  rmsnorm(a->x, a->x, rms_final, kDim);
  matvec(logits, embedding, a->x, kVocab, kDim);
}

#ifdef STORIES260K_EXPORT_ABI
void llmc_model_info(int64_t *out) { stories260k_model_info(out); }
void llmc_model_forward(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, int32_t token, int64_t pos,
                        float *logits, llmc_parallel_for_fn_t parallel_for,
                        void *pool) {
  stories260k_model_forward(weights_data, kv_cache, arena, token, pos, logits,
                            parallel_for, pool);
}
/// Prefill as one forward call per token (the runtime chunks by 8).
void llmc_model_prefill(const uint8_t *weights_data, uint8_t *kv_cache,
                        uint8_t *arena, const int32_t *tokens, int64_t n,
                        int64_t pos, float *logits,
                        llmc_parallel_for_fn_t parallel_for, void *pool) {
  for (int64_t i = 0; i < n; ++i)
    stories260k_model_forward(weights_data, kv_cache, arena, tokens[i], pos + i,
                              logits, parallel_for, pool);
}
#endif
