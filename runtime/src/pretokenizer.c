/* The regex pre-tokenizers of byte-level BPE, as hand-written matchers. */
/*
 * Each kind splits text into chunks exactly as its regular expression does
 * under leftmost-first alternation (the `tokenizers` library's semantics),
 * with \p{L}, \p{N} from unicode_tables.c and \s the White_Space property:
 *
 *   GPT2    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+
 *           |\s+(?!\S)|\s+
 *   LLAMA3  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   QWEN2   as LLAMA3 with \p{N} (one digit per chunk) instead of \p{N}{1,3}
 */
#include "pretokenizer.h"

#include "llmc/format.h"
#include "unicode.h"

enum {
  LLMC_CLASS_LETTER,
  LLMC_CLASS_NUMBER,
  LLMC_CLASS_SPACE,
  LLMC_CLASS_OTHER
};

/// Class of the code point at text[pos] and its length in bytes.
static int llmc_class_at(const char *text, size_t size, size_t pos,
                         size_t *out_length, uint32_t *out_cp) {
  uint32_t cp = llmc_utf8_decode(text + pos, size - pos, out_length);
  if (out_cp)
    *out_cp = cp;
  if (llmc_unicode_is_letter(cp))
    return LLMC_CLASS_LETTER;
  if (llmc_unicode_is_number(cp))
    return LLMC_CLASS_NUMBER;
  if (llmc_unicode_is_space(cp))
    return LLMC_CLASS_SPACE;
  return LLMC_CLASS_OTHER;
}

/// End of the run of code points of class `cls` from `pos`, at most `max`
/// of them (0: unbounded).
static size_t llmc_skip_class(const char *text, size_t size, size_t pos,
                              int cls, size_t max) {
  size_t count = 0, length;
  while (pos < size && (max == 0 || count < max) &&
         llmc_class_at(text, size, pos, &length, NULL) == cls) {
    pos += length;
    ++count;
  }
  return pos;
}

static int llmc_lower_ascii(char c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/// Length of the contraction ('s 't 're 've 'm 'll 'd) at pos, or 0.
static size_t llmc_contraction(const char *text, size_t size, size_t pos,
                               int ignore_case) {
  static const char *const suffixes[] = {"s", "t", "re", "ve", "m", "ll", "d"};
  if (text[pos] != '\'')
    return 0;
  for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); ++s) {
    size_t n = 0;
    while (suffixes[s][n] && pos + 1 + n < size &&
           (ignore_case ? llmc_lower_ascii(text[pos + 1 + n])
                        : text[pos + 1 + n]) == suffixes[s][n])
      ++n;
    if (!suffixes[s][n])
      return 1 + n;
  }
  return 0;
}

static int llmc_is_newline(char c) { return c == '\r' || c == '\n'; }

/// \s+(?!\S) then \s+ at pos, which holds a space.
static size_t llmc_match_spaces(const char *text, size_t size, size_t pos) {
  size_t end = llmc_skip_class(text, size, pos, LLMC_CLASS_SPACE, 0);
  if (end == size)
    return end;
  // Leave the last space to the chunk that follows, if one remains.
  size_t last = pos, length;
  for (size_t p = pos; p < end; p += length) {
    last = p;
    llmc_utf8_decode(text + p, size - p, &length);
  }
  return last > pos ? last : end;
}

static size_t llmc_next_gpt2(const char *text, size_t size, size_t pos) {
  size_t n = llmc_contraction(text, size, pos, 0);
  if (n)
    return pos + n;
  size_t start = text[pos] == ' ' ? pos + 1 : pos;
  size_t length;
  if (start < size) {
    int cls = llmc_class_at(text, size, start, &length, NULL);
    if (cls != LLMC_CLASS_SPACE)
      return llmc_skip_class(text, size, start, cls, 0);
  }
  return llmc_match_spaces(text, size, pos);
}

static size_t llmc_next_llama3(const char *text, size_t size, size_t pos,
                               size_t max_digits) {
  size_t n = llmc_contraction(text, size, pos, 1);
  if (n)
    return pos + n;
  size_t length;
  int cls = llmc_class_at(text, size, pos, &length, NULL);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (cls == LLMC_CLASS_LETTER)
    return llmc_skip_class(text, size, pos, LLMC_CLASS_LETTER, 0);
  if (cls != LLMC_CLASS_NUMBER && !llmc_is_newline(text[pos]) &&
      pos + length < size) {
    size_t next_length;
    if (llmc_class_at(text, size, pos + length, &next_length, NULL) ==
        LLMC_CLASS_LETTER)
      return llmc_skip_class(text, size, pos + length, LLMC_CLASS_LETTER, 0);
  }
  // \p{N}{1,max}
  if (cls == LLMC_CLASS_NUMBER)
    return llmc_skip_class(text, size, pos, LLMC_CLASS_NUMBER, max_digits);
  // ' '?[^\s\p{L}\p{N}]+[\r\n]*
  size_t start = text[pos] == ' ' ? pos + 1 : pos;
  if (start < size &&
      llmc_class_at(text, size, start, &length, NULL) == LLMC_CLASS_OTHER) {
    size_t end = llmc_skip_class(text, size, start, LLMC_CLASS_OTHER, 0);
    while (end < size && llmc_is_newline(text[end]))
      ++end;
    return end;
  }
  // \s*[\r\n]+: through the last newline of the run of spaces.
  size_t end = llmc_skip_class(text, size, pos, LLMC_CLASS_SPACE, 0);
  for (size_t p = end; p > pos; --p)
    if (llmc_is_newline(text[p - 1]))
      return p;
  if (cls == LLMC_CLASS_SPACE)
    return llmc_match_spaces(text, size, pos);
  return pos + length; // not reached: every class is matched above
}

size_t llmc_pretokenize_next(uint32_t kind, const char *text, size_t size,
                             size_t pos) {
  switch (kind) {
  case LLMC_PRE_TOKENIZER_GPT2:
    return llmc_next_gpt2(text, size, pos);
  case LLMC_PRE_TOKENIZER_LLAMA3:
    return llmc_next_llama3(text, size, pos, 3);
  case LLMC_PRE_TOKENIZER_QWEN2:
    return llmc_next_llama3(text, size, pos, 1);
  default:
    return size;
  }
}
