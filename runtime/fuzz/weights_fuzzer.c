/* libFuzzer target: the weights loader and tokenizer on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmc/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/// Opens `size` bytes as a weights file and exercises what it contains.
static void llmc_fuzz_one(const uint8_t *data, size_t size) {
  llmc_allocator_t allocator = llmc_allocator_system();
  llmc_weights_t *weights = NULL;
  llmc_status_t status =
      llmc_weights_open_memory(data, size, "fuzz.llmw", allocator, &weights);
  if (status) {
    llmc_status_free(status);
    return;
  }
  // Compatibility check against a made-up model description.
  llmc_model_info_t info;
  memset(&info, 0, sizeof(info));
  info.abi_version = LLMC_MODEL_ABI_VERSION;
  info.model_id = llmc_weights_header(weights)->model_id;
  info.weights_data_size = 64;
  llmc_status_free(llmc_weights_check_model(weights, &info));

  // Touch every byte of the data section (ASan catches a bad bound).
  const uint8_t *bytes = llmc_weights_data(weights);
  uint8_t sum = 0;
  for (uint64_t i = 0; i < llmc_weights_header(weights)->data_size; ++i)
    sum ^= bytes[i];
  (void)sum;

  llmc_tokenizer_t *tokenizer = NULL;
  status =
      llmc_tokenizer_create_from_weights(weights, 0, allocator, &tokenizer);
  if (!status) {
    // Round-trip a few strings through the parsed vocabulary.
    static const char *const kTexts[] = {"Once upon a time", "",
                                         "\xff\xfe caf\xc3\xa9 \xe4\xbd\xa0",
                                         "<0x41> \n\t"};
    for (size_t t = 0; t < sizeof(kTexts) / sizeof(kTexts[0]); ++t) {
      size_t length = strlen(kTexts[t]);
      size_t capacity = llmc_tokenizer_encode_capacity(length);
      int32_t tokens[64];
      size_t count = 0;
      llmc_status_t encode_status = llmc_tokenizer_encode(
          tokenizer, kTexts[t], length,
          LLMC_ENCODE_ADD_BOS | LLMC_ENCODE_ADD_EOS, tokens, capacity, &count);
      if (encode_status) {
        llmc_status_free(encode_status);
        continue;
      }
      int32_t prev = -1;
      for (size_t i = 0; i < count; ++i) {
        llmc_string_view_t piece;
        llmc_status_t decode_status =
            llmc_tokenizer_decode(tokenizer, prev, tokens[i], &piece);
        if (decode_status) {
          llmc_status_free(decode_status);
          abort(); // Encoded tokens must decode.
        }
        prev = tokens[i];
      }
    }
    llmc_string_view_t piece;
    for (int32_t id = 0; id < llmc_tokenizer_vocab_size(tokenizer); ++id) {
      if (llmc_tokenizer_piece(tokenizer, id, &piece) == LLMC_OK &&
          llmc_tokenizer_lookup(tokenizer, piece.data, piece.size) >
              llmc_tokenizer_vocab_size(tokenizer))
        abort();
    }
    llmc_tokenizer_release(tokenizer);
  } else {
    llmc_status_free(status);
  }
  llmc_weights_release(weights);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llmc_fuzz_one(data, size);
  // Again with header.file_size patched to the input size, so that mutations
  // get past the size check and reach the section and tokenizer validation.
  if (size >= LLMC_WEIGHTS_HEADER_SIZE) {
    uint8_t *copy = malloc(size);
    if (!copy)
      return 0;
    memcpy(copy, data, size);
    for (int i = 0; i < 8; ++i)
      copy[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
    llmc_fuzz_one(copy, size);
    free(copy);
  }
  return 0;
}
