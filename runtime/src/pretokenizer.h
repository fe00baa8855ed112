/* The regex pre-tokenizers of byte-level BPE (see pretokenizer.c). */
#ifndef LLMC_RUNTIME_PRETOKENIZER_H_
#define LLMC_RUNTIME_PRETOKENIZER_H_

#include <stddef.h>
#include <stdint.h>

/// End of the chunk of text[0..size) that starts at `pos` (< size) under the
/// pre-tokenizer `kind` (llmc_pre_tokenizer_t); always > pos. An unknown
/// kind (or LLMC_PRE_TOKENIZER_NONE) makes the rest of the text one chunk.
size_t llmc_pretokenize_next(uint32_t kind, const char *text, size_t size,
                             size_t pos);

#endif /* LLMC_RUNTIME_PRETOKENIZER_H_ */
