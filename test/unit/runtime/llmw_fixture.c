/* Test fixture: builds LLMW weights files and LLMT tokenizer sections. */
#define _POSIX_C_SOURCE 200809L

#include "llmw_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_model.h"
#include "llmc/format.h"
#include "llmc/runtime.h"
#include "stories260k_model.h"

void llmw_fixture_store_u32(uint8_t *p, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    p[i] = (uint8_t)(value >> (8 * i));
}

void llmw_fixture_store_u64(uint8_t *p, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    p[i] = (uint8_t)(value >> (8 * i));
}

static void llmw_fixture_store_f32(uint8_t *p, float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  llmw_fixture_store_u32(p, bits);
}

int llmw_fixture_build_tokenizer(const llmw_fixture_token_t *tokens,
                                 uint32_t count, int32_t bos_id, int32_t eos_id,
                                 uint32_t flags, uint8_t **out_section,
                                 size_t *out_size) {
  size_t size = LLMC_TOKENIZER_HEADER_SIZE;
  uint32_t max_length = 0;
  for (uint32_t i = 0; i < count; ++i) {
    size += LLMC_TOKEN_RECORD_HEADER_SIZE + tokens[i].size;
    if (tokens[i].size > max_length)
      max_length = tokens[i].size;
  }
  size = (size + 7) & ~(size_t)7;
  uint8_t *section = calloc(1, size);
  if (!section)
    return 1;
  memcpy(section, LLMC_TOKENIZER_MAGIC, LLMC_TOKENIZER_MAGIC_SIZE);
  llmw_fixture_store_u32(section + 4, LLMC_TOKENIZER_VERSION);
  llmw_fixture_store_u32(section + 8, count);
  llmw_fixture_store_u32(section + 12, max_length);
  llmw_fixture_store_u32(section + 16, (uint32_t)bos_id);
  llmw_fixture_store_u32(section + 20, (uint32_t)eos_id);
  llmw_fixture_store_u32(section + 24, flags);
  size_t offset = LLMC_TOKENIZER_HEADER_SIZE;
  for (uint32_t i = 0; i < count; ++i) {
    llmw_fixture_store_f32(section + offset, tokens[i].score);
    llmw_fixture_store_u32(section + offset + 4, tokens[i].type);
    llmw_fixture_store_u32(section + offset + 8, tokens[i].size);
    offset += LLMC_TOKEN_RECORD_HEADER_SIZE;
    if (tokens[i].size)
      memcpy(section + offset, tokens[i].piece, tokens[i].size);
    offset += tokens[i].size;
  }
  *out_section = section;
  *out_size = size;
  return 0;
}

static int llmw_fixture_is_byte_piece(const char *piece, uint32_t size) {
  return size == 6 && memcmp(piece, "<0x", 3) == 0 && piece[5] == '>';
}

int llmw_fixture_convert_llama2c_tokenizer(const uint8_t *bin, size_t size,
                                           uint32_t vocab_size,
                                           uint8_t **out_section,
                                           size_t *out_size) {
  if (size < 4)
    return 1;
  llmw_fixture_token_t *tokens = calloc(vocab_size, sizeof(*tokens));
  if (!tokens)
    return 1;
  size_t offset = 4; // Skip max_token_length; the builder recomputes it.
  for (uint32_t i = 0; i < vocab_size; ++i) {
    if (size - offset < 8) {
      free(tokens);
      return 1;
    }
    float score;
    int32_t length;
    memcpy(&score, bin + offset, 4);
    memcpy(&length, bin + offset + 4, 4);
    offset += 8;
    if (length < 0 || (size_t)length > size - offset) {
      free(tokens);
      return 1;
    }
    llmw_fixture_token_t *token = &tokens[i];
    token->piece = (const char *)bin + offset;
    token->size = (uint32_t)length;
    token->score = score;
    if (i == 0)
      token->type = LLMC_TOKEN_TYPE_UNKNOWN;
    else if (i == 1 || i == 2)
      token->type = LLMC_TOKEN_TYPE_CONTROL;
    else if (llmw_fixture_is_byte_piece(token->piece, token->size))
      token->type = LLMC_TOKEN_TYPE_BYTE;
    else
      token->type = LLMC_TOKEN_TYPE_NORMAL;
    offset += (size_t)length;
  }
  int result = llmw_fixture_build_tokenizer(
      tokens, vocab_size, 1, 2,
      LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX | LLMC_TOKENIZER_FLAG_BYTE_FALLBACK,
      out_section, out_size);
  free(tokens);
  return result;
}

int llmw_fixture_build_file(uint64_t model_id, const uint8_t *data,
                            size_t data_size, const uint8_t *tokenizer,
                            size_t tokenizer_size, uint8_t **out_file,
                            size_t *out_size) {
  const size_t data_offset = LLMC_WEIGHTS_HEADER_SIZE;
  const size_t tokenizer_offset = (data_offset + data_size + 7) & ~(size_t)7;
  const size_t size = tokenizer_offset + tokenizer_size;
  void *memory = NULL;
  if (posix_memalign(&memory, 64, size) != 0)
    return 1;
  uint8_t *file = memory;
  memset(file, 0, size);
  memcpy(file, LLMC_WEIGHTS_MAGIC, LLMC_WEIGHTS_MAGIC_SIZE);
  llmw_fixture_store_u32(file + 8, LLMC_WEIGHTS_VERSION);
  llmw_fixture_store_u32(file + 12, LLMC_WEIGHTS_HEADER_SIZE);
  llmw_fixture_store_u64(file + 16, size);
  llmw_fixture_store_u64(file + 24, model_id);
  llmw_fixture_store_u64(file + 32, data_offset);
  llmw_fixture_store_u64(file + 40, data_size);
  llmw_fixture_store_u64(file + 48, tokenizer_offset);
  llmw_fixture_store_u64(file + 56, tokenizer_size);
  if (data_size)
    memcpy(file + data_offset, data, data_size);
  if (tokenizer_size)
    memcpy(file + tokenizer_offset, tokenizer, tokenizer_size);
  *out_file = file;
  *out_size = size;
  return 0;
}

int llmw_fixture_build_fake_model_file(const uint8_t *tok_bin, size_t tok_size,
                                       const char *story, uint8_t **out_file,
                                       size_t *out_size) {
  uint8_t *section = NULL;
  size_t section_size = 0;
  if (llmw_fixture_convert_llama2c_tokenizer(
          tok_bin, tok_size, FAKE_MODEL_VOCAB_SIZE, &section, &section_size))
    return 1;
  llmc_tokenizer_t *tokenizer = NULL;
  llmc_status_t status =
      llmc_tokenizer_create(section, section_size, FAKE_MODEL_VOCAB_SIZE,
                            "fixture", llmc_allocator_system(), &tokenizer);
  if (status) {
    fprintf(stderr, "fixture: %s\n", llmc_status_message(status));
    llmc_status_free(status);
    free(section);
    return 1;
  }
  int32_t script[FAKE_MODEL_MAX_SEQ_LEN];
  size_t count = 0;
  size_t story_size = strlen(story);
  int32_t *tokens =
      malloc(llmc_tokenizer_encode_capacity(story_size) * sizeof(int32_t));
  status = llmc_tokenizer_encode(
      tokenizer, story, story_size, LLMC_ENCODE_ADD_BOS | LLMC_ENCODE_ADD_EOS,
      tokens, llmc_tokenizer_encode_capacity(story_size), &count);
  llmc_tokenizer_release(tokenizer);
  if (status || count > FAKE_MODEL_MAX_SEQ_LEN) {
    llmc_status_free(status);
    free(tokens);
    free(section);
    return 1;
  }
  memcpy(script, tokens, count * sizeof(int32_t));
  free(tokens);
  int32_t next[FAKE_MODEL_VOCAB_SIZE];
  fake_model_next_from_sequence(script, count, /*end_token=*/2, next);
  uint8_t data[FAKE_MODEL_DATA_SIZE];
  fake_model_build_data(script, count, next, data);
  int result =
      llmw_fixture_build_file(FAKE_MODEL_ID, data, sizeof(data), section,
                              section_size, out_file, out_size);
  free(section);
  return result;
}

int llmw_fixture_build_stories260k_file(const uint8_t *model_bin,
                                        size_t model_size,
                                        const uint8_t *tok_bin, size_t tok_size,
                                        uint8_t **out_file, size_t *out_size) {
  if (model_size <= STORIES260K_BIN_HEADER_SIZE)
    return 1;
  int32_t dims[7];
  memcpy(dims, model_bin, sizeof(dims));
  if (dims[0] != STORIES260K_DIM || dims[1] != STORIES260K_HIDDEN_DIM ||
      dims[2] != STORIES260K_N_LAYERS || dims[3] != STORIES260K_N_HEADS ||
      dims[4] != STORIES260K_N_KV_HEADS || dims[5] != STORIES260K_VOCAB_SIZE ||
      dims[6] != STORIES260K_MAX_SEQ_LEN)
    return 1;
  uint8_t *section = NULL;
  size_t section_size = 0;
  if (llmw_fixture_convert_llama2c_tokenizer(
          tok_bin, tok_size, STORIES260K_VOCAB_SIZE, &section, &section_size))
    return 1;
  int result = llmw_fixture_build_file(
      STORIES260K_MODEL_ID, model_bin + STORIES260K_BIN_HEADER_SIZE,
      model_size - STORIES260K_BIN_HEADER_SIZE, section, section_size, out_file,
      out_size);
  free(section);
  return result;
}

int llmw_fixture_read_file(const char *path, uint8_t **out_data,
                           size_t *out_size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return 1;
  if (fseek(file, 0, SEEK_END) != 0) {
    fclose(file);
    return 1;
  }
  long size = ftell(file);
  rewind(file);
  uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
  if (size < 0 || !data || fread(data, 1, (size_t)size, file) != (size_t)size) {
    free(data);
    fclose(file);
    return 1;
  }
  fclose(file);
  *out_data = data;
  *out_size = (size_t)size;
  return 0;
}

int llmw_fixture_write_file(const char *path, const uint8_t *data,
                            size_t size) {
  FILE *file = fopen(path, "wb");
  if (!file)
    return 1;
  int ok = fwrite(data, 1, size, file) == size;
  return (fclose(file) == 0 && ok) ? 0 : 1;
}
