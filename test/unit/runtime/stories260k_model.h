/* A plain C Llama forward pass for stories260K, as a stand-in compiled model.
 */
/*
 * Test fixture: it implements the model ABI (abi.h) for the stories260K shape
 * with f32 weights laid out as in llama2.c's legacy checkpoint (the data
 * section is that file minus its 28-byte header), so that the runtime's
 * tokenizer, sampler and generation loop can be checked end to end against
 * the reference greedy output in shared/models/README.md. Compiled with
 * -DSTORIES260K_EXPORT_ABI it also defines llmc_model_info/llmc_model_forward
 * for linking into llmc-run.
 */
#ifndef LLMC_TEST_UNIT_RUNTIME_STORIES260K_MODEL_H_
#define LLMC_TEST_UNIT_RUNTIME_STORIES260K_MODEL_H_

#include <stdint.h>

#include "llmc/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STORIES260K_MODEL_ID 0x53544f5259323630ull /* "STORY260" */
#define STORIES260K_DIM 64
#define STORIES260K_HIDDEN_DIM 172
#define STORIES260K_N_LAYERS 5
#define STORIES260K_N_HEADS 8
#define STORIES260K_N_KV_HEADS 4
#define STORIES260K_VOCAB_SIZE 512
#define STORIES260K_MAX_SEQ_LEN 512
/// Bytes of llama2.c's header (7 int32) before the weights.
#define STORIES260K_BIN_HEADER_SIZE 28

void stories260k_model_info(int64_t *out);
void stories260k_model_forward(const uint8_t *weights_data, uint8_t *kv_cache,
                               uint8_t *arena, int32_t token, int64_t pos,
                               float *logits,
                               llmc_parallel_for_fn_t parallel_for, void *pool);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_TEST_UNIT_RUNTIME_STORIES260K_MODEL_H_ */
