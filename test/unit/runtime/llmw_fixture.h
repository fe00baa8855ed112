/* Test fixture: builds LLMW weights files and LLMT tokenizer sections. */
/*
 * Plain C so that host tools (make_fake_weights) and the C++ unit tests share
 * it. Functions return 0 on success and nonzero on failure; buffers are from
 * malloc/posix_memalign and are released with free().
 */
#ifndef LLMC_TEST_UNIT_RUNTIME_LLMW_FIXTURE_H_
#define LLMC_TEST_UNIT_RUNTIME_LLMW_FIXTURE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One vocabulary entry of a tokenizer section to build.
typedef struct llmw_fixture_token_t {
  const char *piece;
  uint32_t size;
  float score;
  uint32_t type; ///< llmc_token_type_t.
} llmw_fixture_token_t;

/// Builds an LLMT section from `count` tokens; max_token_length is the
/// longest piece. The section is padded to a multiple of 8 bytes.
int llmw_fixture_build_tokenizer(const llmw_fixture_token_t *tokens,
                                 uint32_t count, int32_t bos_id, int32_t eos_id,
                                 uint32_t flags, uint8_t **out_section,
                                 size_t *out_size);

/// Converts llama2.c's tokenizer.bin (int32 max_token_length, then per token
/// float score, int32 len, bytes) with `vocab_size` tokens into an LLMT
/// section: id 0 <unk> is UNKNOWN, 1 (BOS) and 2 (EOS) are CONTROL, "<0xXX>"
/// pieces are BYTE, the rest NORMAL; flags: dummy prefix and byte fallback.
int llmw_fixture_convert_llama2c_tokenizer(const uint8_t *bin, size_t size,
                                           uint32_t vocab_size,
                                           uint8_t **out_section,
                                           size_t *out_size);

/// Builds an LLMW file image: header, data at offset 128, tokenizer section
/// after it (8-aligned). The image is 64-byte aligned in memory.
int llmw_fixture_build_file(uint64_t model_id, const uint8_t *data,
                            size_t data_size, const uint8_t *tokenizer,
                            size_t tokenizer_size, uint8_t **out_file,
                            size_t *out_size);

/// Builds the weights file of the fake model (fake_model.h) whose script is
/// BOS + `story` encoded with the llama2.c tokenizer `tok_bin` + EOS, and
/// whose bigram table follows the same sequence.
int llmw_fixture_build_fake_model_file(const uint8_t *tok_bin, size_t tok_size,
                                       const char *story, uint8_t **out_file,
                                       size_t *out_size);

/// Builds the weights file of stories260k_model.c: the data section is
/// llama2.c's stories260K.bin without its 28-byte header, the tokenizer
/// section comes from tok512.bin.
int llmw_fixture_build_stories260k_file(const uint8_t *model_bin,
                                        size_t model_size,
                                        const uint8_t *tok_bin, size_t tok_size,
                                        uint8_t **out_file, size_t *out_size);

/// The story the fake model tells in the fixtures.
#define LLMW_FIXTURE_STORY                                                     \
  "Once upon a time, there was a tiny fake model. It could only say this "     \
  "one sentence, and then it stopped."

/// Reads a whole file into a malloc'd buffer.
int llmw_fixture_read_file(const char *path, uint8_t **out_data,
                           size_t *out_size);
/// Writes `size` bytes to `path`.
int llmw_fixture_write_file(const char *path, const uint8_t *data, size_t size);

/// Little-endian stores for patching images.
void llmw_fixture_store_u32(uint8_t *p, uint32_t value);
void llmw_fixture_store_u64(uint8_t *p, uint64_t value);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_TEST_UNIT_RUNTIME_LLMW_FIXTURE_H_ */
