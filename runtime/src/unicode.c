/* Unicode character classes and UTF-8 decoding for the pre-tokenizers. */
#include "unicode.h"

static int llmc_unicode_in(const llmc_unicode_range_t *ranges, size_t count,
                           uint32_t cp) {
  size_t lo = 0, hi = count; // first range with last >= cp in [lo, hi]
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ranges[mid].last < cp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < count && ranges[lo].first <= cp;
}

int llmc_unicode_is_letter(uint32_t cp) {
  if (cp < 0x80)
    return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return llmc_unicode_in(llmc_unicode_letters, llmc_unicode_letters_count, cp);
}

int llmc_unicode_is_number(uint32_t cp) {
  if (cp < 0x80)
    return cp >= '0' && cp <= '9';
  return llmc_unicode_in(llmc_unicode_numbers, llmc_unicode_numbers_count, cp);
}

int llmc_unicode_is_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

uint32_t llmc_utf8_decode(const char *text, size_t size, size_t *out_length) {
  const unsigned char *s = (const unsigned char *)text;
  *out_length = 1;
  if (s[0] < 0x80)
    return s[0];
  size_t length;
  uint32_t cp, min;
  if ((s[0] & 0xE0) == 0xC0) {
    length = 2, cp = s[0] & 0x1F, min = 0x80;
  } else if ((s[0] & 0xF0) == 0xE0) {
    length = 3, cp = s[0] & 0x0F, min = 0x800;
  } else if ((s[0] & 0xF8) == 0xF0) {
    length = 4, cp = s[0] & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (length > size)
    return 0xFFFD;
  for (size_t i = 1; i < length; ++i) {
    if ((s[i] & 0xC0) != 0x80)
      return 0xFFFD;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0xFFFD;
  *out_length = length;
  return cp;
}
