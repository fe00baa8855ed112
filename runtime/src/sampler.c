/* Token sampling: greedy, temperature, top-k and top-p with a seeded RNG. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "llmc/runtime.h"

/// A probability and its token, for sorting.
typedef struct llmc_candidate_t {
  float prob;
  int32_t index;
} llmc_candidate_t;

struct llmc_sampler_t {
  llmc_ref_count_t ref_count;
  llmc_allocator_t allocator;
  int32_t vocab_size;
  llmc_sampler_params_t params;
  uint64_t rng_state;           ///< xorshift* state, never 0.
  llmc_candidate_t *candidates; ///< [vocab_size] scratch.
};

/// Replaces a zero seed (a fixed point of xorshift).
#define LLMC_SAMPLER_ZERO_SEED 0x9E3779B97F4A7C15ull

llmc_sampler_params_t llmc_sampler_params_default(void) {
  llmc_sampler_params_t params = {1.0f, 0.9f, 0, 1};
  return params;
}

llmc_status_t llmc_sampler_create(int32_t vocab_size,
                                  const llmc_sampler_params_t *params,
                                  llmc_allocator_t allocator,
                                  llmc_sampler_t **out_sampler) {
  if (!out_sampler || !params)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "params or out_sampler is NULL");
  *out_sampler = NULL;
  if (vocab_size <= 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "sampler vocab_size %" PRId32 " must be positive",
                            vocab_size);
  if (!isfinite(params->temperature) || params->temperature < 0.0f)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "temperature %g must be a finite number >= 0",
                            (double)params->temperature);
  if (!isfinite(params->top_p) || params->top_p < 0.0f || params->top_p > 1.0f)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "top_p %g must be in [0, 1]",
                            (double)params->top_p);
  if (params->top_k < 0)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "top_k %" PRId32 " must be >= 0", params->top_k);
  llmc_sampler_t *sampler = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(allocator, sizeof(*sampler),
                                            _Alignof(llmc_sampler_t),
                                            (void **)&sampler));
  llmc_status_t status = llmc_allocator_alloc(
      allocator, (size_t)vocab_size * sizeof(llmc_candidate_t),
      _Alignof(llmc_candidate_t), (void **)&sampler->candidates);
  if (status) {
    llmc_allocator_free(allocator, sampler);
    return status;
  }
  llmc_ref_init(&sampler->ref_count);
  sampler->allocator = allocator;
  sampler->vocab_size = vocab_size;
  sampler->params = *params;
  sampler->rng_state = params->seed ? params->seed : LLMC_SAMPLER_ZERO_SEED;
  *out_sampler = sampler;
  return LLMC_OK;
}

void llmc_sampler_retain(llmc_sampler_t *sampler) {
  if (sampler)
    llmc_ref_inc(&sampler->ref_count);
}

void llmc_sampler_release(llmc_sampler_t *sampler) {
  if (!sampler || !llmc_ref_dec(&sampler->ref_count))
    return;
  llmc_allocator_free(sampler->allocator, sampler->candidates);
  llmc_allocator_free(sampler->allocator, sampler);
}

/// xorshift* (Marsaglia's xorshift with a multiplicative output scramble):
/// the upper 32 bits of the scrambled 64-bit state.
static uint32_t llmc_random_u32(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (uint32_t)((*state * 0x2545F4914F6CDD1Dull) >> 32);
}

/// A uniform float in [0, 1) from the top 24 bits.
static float llmc_random_f32(uint64_t *state) {
  return (float)(llmc_random_u32(state) >> 8) / 16777216.0f;
}

int32_t llmc_argmax(const float *values, int32_t count) {
  int32_t best = -1;
  for (int32_t i = 0; i < count; ++i) {
    if (isnan(values[i]))
      continue;
    if (best < 0 || values[i] > values[best])
      best = i;
  }
  return best < 0 ? 0 : best;
}

/// In-place softmax, stable against large logits.
static void llmc_softmax(float *x, int32_t count) {
  float max = x[llmc_argmax(x, count)];
  float sum = 0.0f;
  for (int32_t i = 0; i < count; ++i) {
    x[i] = expf(x[i] - max);
    sum += x[i];
  }
  for (int32_t i = 0; i < count; ++i)
    x[i] /= sum;
}

/// Descending probability, then ascending index (a total order, so the
/// result does not depend on the sort algorithm).
static int llmc_compare_candidates(const void *lhs, const void *rhs) {
  const llmc_candidate_t *a = lhs, *b = rhs;
  if (a->prob > b->prob)
    return -1;
  if (a->prob < b->prob)
    return 1;
  return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

/// Sifts candidates[i] down in a min-heap (by the order above, reversed) of
/// `count` entries, so the root is the least likely kept candidate.
static void llmc_heap_sift_down(llmc_candidate_t *heap, int32_t count,
                                int32_t i) {
  for (;;) {
    int32_t smallest = i, left = 2 * i + 1, right = 2 * i + 2;
    if (left < count &&
        llmc_compare_candidates(&heap[left], &heap[smallest]) > 0)
      smallest = left;
    if (right < count &&
        llmc_compare_candidates(&heap[right], &heap[smallest]) > 0)
      smallest = right;
    if (smallest == i)
      return;
    llmc_candidate_t tmp = heap[i];
    heap[i] = heap[smallest];
    heap[smallest] = tmp;
    i = smallest;
  }
}

/// Keeps the k most likely of the `count` probabilities in candidates[0..k),
/// sorted most likely first (O(count log k)).
static void llmc_select_top_k(const float *probs, int32_t count, int32_t k,
                              llmc_candidate_t *candidates) {
  for (int32_t i = 0; i < k; ++i) {
    candidates[i].prob = probs[i];
    candidates[i].index = i;
  }
  for (int32_t i = k / 2 - 1; i >= 0; --i)
    llmc_heap_sift_down(candidates, k, i);
  for (int32_t i = k; i < count; ++i) {
    llmc_candidate_t c = {probs[i], i};
    if (llmc_compare_candidates(&c, &candidates[0]) < 0) {
      candidates[0] = c;
      llmc_heap_sift_down(candidates, k, 0);
    }
  }
  qsort(candidates, (size_t)k, sizeof(llmc_candidate_t),
        llmc_compare_candidates);
}

/// Samples from `count` sorted candidates of total mass `mass`, restricted to
/// the nucleus (the shortest prefix whose mass exceeds top_p * mass) when
/// 0 < top_p < 1. `coin` is uniform in [0, 1).
static int32_t llmc_sample_sorted(const llmc_candidate_t *candidates,
                                  int32_t count, float mass, float top_p,
                                  float coin) {
  int32_t last = count - 1;
  float kept = mass;
  if (top_p > 0.0f && top_p < 1.0f) {
    float cumulative = 0.0f;
    for (int32_t i = 0; i < count; ++i) {
      cumulative += candidates[i].prob;
      if (cumulative > top_p * mass) {
        last = i;
        break;
      }
    }
    kept = cumulative;
  }
  float r = coin * kept;
  float cdf = 0.0f;
  for (int32_t i = 0; i <= last; ++i) {
    cdf += candidates[i].prob;
    if (r < cdf)
      return candidates[i].index;
  }
  return candidates[last].index; // Rounding.
}

llmc_status_t llmc_sampler_sample(llmc_sampler_t *sampler, float *logits,
                                  int32_t *out_token) {
  if (!sampler || !logits || !out_token)
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "sampler, logits or out_token is NULL");
  const int32_t n = sampler->vocab_size;
  const llmc_sampler_params_t *params = &sampler->params;
  if (params->temperature == 0.0f) {
    *out_token = llmc_argmax(logits, n);
    return LLMC_OK;
  }
  for (int32_t i = 0; i < n; ++i)
    logits[i] /= params->temperature;
  llmc_softmax(logits, n);
  float coin = llmc_random_f32(&sampler->rng_state);
  const float top_p = params->top_p;
  const int use_top_p = top_p > 0.0f && top_p < 1.0f;

  if (params->top_k > 0 && params->top_k < n) {
    // Top-k, renormalized, then (optionally) the nucleus within it.
    llmc_select_top_k(logits, n, params->top_k, sampler->candidates);
    float mass = 0.0f;
    for (int32_t i = 0; i < params->top_k; ++i)
      mass += sampler->candidates[i].prob;
    *out_token = llmc_sample_sorted(sampler->candidates, params->top_k, mass,
                                    top_p, coin);
    return LLMC_OK;
  }
  if (use_top_p) {
    // Probabilities below (1 - top_p) / (n - 1) cannot be in the nucleus, so
    // sort only the others (as llama2.c does).
    const float cutoff = n > 1 ? (1.0f - top_p) / (float)(n - 1) : 0.0f;
    int32_t count = 0;
    for (int32_t i = 0; i < n; ++i) {
      if (logits[i] >= cutoff) {
        sampler->candidates[count].prob = logits[i];
        sampler->candidates[count].index = i;
        ++count;
      }
    }
    if (count == 0) { // Only with NaNs; fall back to greedy.
      *out_token = llmc_argmax(logits, n);
      return LLMC_OK;
    }
    qsort(sampler->candidates, (size_t)count, sizeof(llmc_candidate_t),
          llmc_compare_candidates);
    *out_token =
        llmc_sample_sorted(sampler->candidates, count, 1.0f, top_p, coin);
    return LLMC_OK;
  }
  // Plain multinomial sampling over all tokens.
  float cdf = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    cdf += logits[i];
    if (coin < cdf) {
      *out_token = i;
      return LLMC_OK;
    }
  }
  *out_token = n - 1; // Rounding.
  return LLMC_OK;
}

int32_t llmc_sampler_vocab_size(const llmc_sampler_t *sampler) {
  return sampler->vocab_size;
}
