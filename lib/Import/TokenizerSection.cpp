//===- TokenizerSection.cpp - Serialize the LLMT section --------*- C++ -*-===//
//
// Writes a vocabulary in the tokenizer-section format the runtime reads
// (runtime/include/llmc/format.h).
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/Importer.h"
#include "llmc/format.h"

#include <cstring>

using namespace llmc;

template <typename T> static void append(std::vector<char> &out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

/// SentencePiece marks a word-initial space with U+2581; the device format
/// stores a plain space.
static std::string toDeviceSpelling(const std::string &piece) {
  static const char kSpaceMark[] = "\xE2\x96\x81";
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, 3, kSpaceMark) == 0) {
      out += ' ';
      i += 3;
    } else {
      out += piece[i++];
    }
  }
  return out;
}

static_assert(static_cast<uint32_t>(PreTokenizerKind::GPT2) ==
                      LLMC_PRE_TOKENIZER_GPT2 &&
                  static_cast<uint32_t>(PreTokenizerKind::Llama3) ==
                      LLMC_PRE_TOKENIZER_LLAMA3 &&
                  static_cast<uint32_t>(PreTokenizerKind::Qwen2) ==
                      LLMC_PRE_TOKENIZER_QWEN2,
              "PreTokenizerKind numbers llmc_pre_tokenizer_t");

std::vector<char> llmc::serializeTokenizer(const TokenizerData &tokenizer) {
  std::vector<std::string> pieces;
  pieces.reserve(tokenizer.pieces.size());
  uint32_t maxLen = 0;
  bool byteFallback = false;
  for (size_t i = 0; i < tokenizer.pieces.size(); ++i) {
    pieces.push_back(tokenizer.byteLevel
                         ? tokenizer.pieces[i]
                         : toDeviceSpelling(tokenizer.pieces[i]));
    maxLen = std::max<uint32_t>(maxLen, pieces.back().size());
    if (i < tokenizer.types.size() && tokenizer.types[i] == TokenByte)
      byteFallback = true;
  }
  std::vector<char> out;
  llmc_tokenizer_header_t header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.magic, LLMC_TOKENIZER_MAGIC, LLMC_TOKENIZER_MAGIC_SIZE);
  header.version = LLMC_TOKENIZER_VERSION;
  header.vocab_size = static_cast<uint32_t>(pieces.size());
  header.max_token_length = maxLen;
  header.bos_id = tokenizer.bosId;
  header.eos_id = tokenizer.eosId;
  header.flags =
      (tokenizer.addDummyPrefix ? LLMC_TOKENIZER_FLAG_ADD_DUMMY_PREFIX : 0u) |
      (byteFallback ? LLMC_TOKENIZER_FLAG_BYTE_FALLBACK : 0u) |
      (tokenizer.byteLevel ? LLMC_TOKENIZER_FLAG_BYTE_LEVEL : 0u);
  header.pre_tokenizer =
      tokenizer.byteLevel ? static_cast<uint32_t>(tokenizer.preTokenizer) : 0;
  const char *raw = reinterpret_cast<const char *>(&header);
  out.insert(out.end(), raw, raw + sizeof(header));
  for (size_t i = 0; i < pieces.size(); ++i) {
    append(out, i < tokenizer.scores.size() ? tokenizer.scores[i] : 0.0f);
    append(out, i < tokenizer.types.size() ? tokenizer.types[i]
                                           : uint32_t(TokenNormal));
    append(out, static_cast<uint32_t>(pieces[i].size()));
    out.insert(out.end(), pieces[i].begin(), pieces[i].end());
  }
  if (tokenizer.byteLevel) {
    append(out, static_cast<uint32_t>(tokenizer.merges.size()));
    for (auto [left, right] : tokenizer.merges) {
      append(out, static_cast<uint32_t>(left));
      append(out, static_cast<uint32_t>(right));
    }
  }
  return out;
}
