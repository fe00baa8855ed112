//===- HFTokenizerReader.cpp - Reader for Hugging Face tokenizer.json -----===//
//
// A tokenizer.json of the `tokenizers` library:
//   {"added_tokens": [{"id", "content", "special"}, ...],
//    "normalizer": ..., "pre_tokenizer": ..., "decoder": ...,
//    "model": {"type": "BPE", "vocab": {piece: id}, "merges": ["a b", ...]
//              or [["a", "b"], ...], "unk_token", "byte_fallback"}}
// Two forms of BPE model are read:
//  - SentencePiece-style, as Llama-2 conversions write it (pieces spelled
//    with "▁" for a space, "<0xXX>" byte-fallback pieces, a "Prepend ▁"
//    normalizer or a Metaspace pre-tokenizer). BPE applies the merge of
//    lowest rank first; llmc's SentencePiece runtime merges the pair whose
//    concatenation has the highest score, so the merge ranks become scores:
//    the first merge that produces a piece gives it the score -rank.
//  - Byte-level (GPT-2, Llama-3, Qwen2: a ByteLevel pre-tokenizer or
//    decoder): pieces are spelled in GPT-2's printable byte alphabet and
//    decoded here to the raw bytes; the merges are kept as (left, right)
//    id pairs in rank order; the pre-tokenizer regex must be GPT-2's,
//    Llama-3's or Qwen2's, which the runtime implements.
// Normalizers other than the SentencePiece space handling (e.g. Qwen2's
// NFC) are not applied: text is expected to be normalized already.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace llvm;
using llmc::detail::makeError;

namespace llmc {

static constexpr const char kSpaceMark[] = "\xE2\x96\x81";

/// Whether \p value (a normalizer or pre-tokenizer, maybe a Sequence) holds a
/// component of type \p type; \p match is called on each such component.
static bool containsComponent(const json::Value *value, StringRef type,
                              function_ref<bool(const json::Object &)> match) {
  const json::Object *object = value ? value->getAsObject() : nullptr;
  if (!object)
    return false;
  if (object->getString("type") == type && match(*object))
    return true;
  for (StringRef list : {"normalizers", "pretokenizers", "decoders"})
    if (const json::Array *items = object->getArray(list))
      for (const json::Value &item : *items)
        if (containsComponent(&item, type, match))
          return true;
  return false;
}

static bool isBytePiece(StringRef piece) {
  return piece.size() == 6 && piece.starts_with("<0x") &&
         piece.ends_with(">") && isxdigit(piece[3]) && isxdigit(piece[4]);
}

namespace {
/// One merge of model.merges: the ids of its pieces and of their
/// concatenation.
struct Merge {
  int32_t left, right, result;
};

/// Parses merge \p rank, "a b" or ["a", "b"], against the vocabulary.
Expected<Merge> parseMerge(StringRef path, const json::Value &merge,
                           size_t rank, const StringMap<int32_t> &ids) {
  std::string left, right;
  if (std::optional<StringRef> s = merge.getAsString()) {
    auto [l, r] = s->split(' ');
    if (r.empty() || l.empty())
      return makeError(path, "merge " + Twine(rank) + " \"" + *s +
                                 "\" is not two pieces separated by a "
                                 "space");
    left = l.str();
    right = r.str();
  } else if (const json::Array *pair = merge.getAsArray();
             pair && pair->size() == 2 && (*pair)[0].getAsString() &&
             (*pair)[1].getAsString()) {
    left = (*pair)[0].getAsString()->str();
    right = (*pair)[1].getAsString()->str();
  } else {
    return makeError(path, "merge " + Twine(rank) +
                               " is neither \"a b\" nor [\"a\", \"b\"]");
  }
  auto l = ids.find(left), r = ids.find(right);
  if (l == ids.end() || r == ids.end())
    return makeError(path, "merge " + Twine(rank) + " (\"" + left + "\", \"" +
                               right +
                               "\") uses a piece that is not in the "
                               "vocabulary");
  auto result = ids.find(left + right);
  if (result == ids.end())
    return makeError(path, "merge " + Twine(rank) + " (\"" + left + "\", \"" +
                               right +
                               "\") produces a piece that is not in the "
                               "vocabulary");
  return Merge{l->second, r->second, result->second};
}

/// GPT-2's bytes_to_unicode(): byte-level BPE spells every byte as one
/// printable code point; this is its inverse.
struct ByteAlphabet {
  DenseMap<uint32_t, uint8_t> byteOf;
  ByteAlphabet() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      byteOf[printable ? b : 256 + n++] = static_cast<uint8_t>(b);
    }
  }
  /// The bytes \p piece spells, or nullopt if it uses another code point.
  std::optional<std::string> decode(StringRef piece) const {
    std::string out;
    for (size_t i = 0; i < piece.size();) {
      unsigned char c = piece[i];
      uint32_t cp;
      size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 0;
      if (n == 0 || i + n > piece.size())
        return std::nullopt;
      cp = n == 1 ? c : n == 2 ? c & 0x1F : c & 0x0F;
      for (size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (piece[i + k] & 0x3F);
      auto it = byteOf.find(cp);
      if (it == byteOf.end())
        return std::nullopt;
      out += static_cast<char>(it->second);
      i += n;
    }
    return out;
  }
};

/// The regular expressions of the pre-tokenizers the runtime implements.
constexpr const char kGPT2Regex[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char kLlama3Regex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char kQwen2Regex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// Byte-level BPE: pre-tokenizer, raw-byte pieces, merges by rank.
Error readByteLevel(StringRef path, const json::Object &root,
                    const json::Array &merges, const StringMap<int32_t> &ids,
                    TokenizerData &tok) {
  tok.byteLevel = true;
  // The pre-tokenizer: ByteLevel with its own (GPT-2) regex, or a Split by
  // a regex followed by ByteLevel without one.
  std::optional<StringRef> regex;
  bool byteLevelRegex = false, addPrefixSpace = false;
  auto split = [&](const json::Object &o) {
    if (const json::Object *pattern = o.getObject("pattern"))
      regex = pattern->getString("Regex");
    return false;
  };
  auto byteLevelSplit = [&](const json::Object &o) {
    byteLevelRegex |= o.getBoolean("use_regex").value_or(true);
    addPrefixSpace |= o.getBoolean("add_prefix_space").value_or(false);
    return false;
  };
  containsComponent(root.get("pre_tokenizer"), "Split", split);
  containsComponent(root.get("pre_tokenizer"), "ByteLevel", byteLevelSplit);
  if (regex && byteLevelRegex)
    return makeError(path, "the pre-tokenizer splits by a regex and by "
                           "ByteLevel's GPT-2 regex; llmc implements one");
  if (byteLevelRegex || (regex && *regex == kGPT2Regex))
    tok.preTokenizer = PreTokenizerKind::GPT2;
  else if (regex && *regex == kLlama3Regex)
    tok.preTokenizer = PreTokenizerKind::Llama3;
  else if (regex && *regex == kQwen2Regex)
    tok.preTokenizer = PreTokenizerKind::Qwen2;
  else if (regex)
    return makeError(path, "the pre-tokenizer regex \"" + *regex +
                               "\" is not one llmc implements (GPT-2, "
                               "Llama-3, Qwen2)");
  tok.addDummyPrefix = addPrefixSpace;

  // Pieces: the raw bytes of the byte-alphabet spelling; added tokens keep
  // their literal text.
  ByteAlphabet alphabet;
  for (size_t i = 0; i < tok.pieces.size(); ++i) {
    if (tok.types[i] != TokenNormal)
      continue;
    std::optional<std::string> bytes = alphabet.decode(tok.pieces[i]);
    if (!bytes)
      return makeError(path, "token " + Twine(i) + " '" + tok.pieces[i] +
                                 "' is not spelled in the byte-level "
                                 "alphabet");
    tok.pieces[i] = std::move(*bytes);
  }
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    Expected<Merge> merge = parseMerge(path, merges[rank], rank, ids);
    if (!merge)
      return merge.takeError();
    tok.merges.push_back({merge->left, merge->right});
  }
  return Error::success();
}
} // namespace

Expected<TokenizerData> readHFTokenizer(StringRef path, StringRef text,
                                        int64_t vocabSize, int32_t bosId,
                                        int32_t eosId) {
  Expected<json::Value> root = json::parse(text);
  if (!root)
    return makeError(path, "bad JSON: " + toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  const json::Object *model = object ? object->getObject("model") : nullptr;
  if (!model)
    return makeError(path, "no object \"model\"");
  StringRef modelType = model->getString("type").value_or("");
  if (modelType != "BPE")
    return makeError(path, "tokenizer model type \"" + modelType +
                               "\" is not supported (BPE)");
  auto always = [](const json::Object &) { return true; };
  bool byteLevel =
      containsComponent(object->get("pre_tokenizer"), "ByteLevel", always) ||
      containsComponent(object->get("decoder"), "ByteLevel", always);

  const json::Object *vocab = model->getObject("vocab");
  if (!vocab)
    return makeError(path, "no object \"model.vocab\"");
  std::vector<std::string> pieces;
  auto place = [&](StringRef piece, int64_t id) -> Error {
    if (id < 0 || id >= vocabSize)
      return makeError(path, "token '" + piece + "' has id " + Twine(id) +
                                 ", outside the model's vocabulary of " +
                                 Twine(vocabSize));
    if (pieces.size() <= static_cast<size_t>(id))
      pieces.resize(id + 1);
    pieces[id] = piece.str();
    return Error::success();
  };
  for (const auto &[piece, idValue] : *vocab) {
    std::optional<int64_t> id = idValue.getAsInteger();
    if (!id)
      return makeError(path, "the id of token '" + piece.str() +
                                 "' is not an integer");
    if (Error err = place(piece, *id))
      return std::move(err);
  }
  TokenizerData tok;
  tok.pieces = std::move(pieces);
  tok.pieces.resize(vocabSize);
  tok.types.assign(vocabSize, TokenNormal);
  std::vector<bool> present(vocabSize, false);
  for (const auto &[piece, idValue] : *vocab)
    present[*idValue.getAsInteger()] = true;

  if (const json::Array *added = object->getArray("added_tokens"))
    for (const json::Value &value : *added) {
      const json::Object *token = value.getAsObject();
      std::optional<int64_t> id =
          token ? token->getInteger("id") : std::nullopt;
      std::optional<StringRef> content =
          token ? token->getString("content") : std::nullopt;
      if (!id || !content)
        return makeError(path, "an added token has no integer \"id\" and "
                               "string \"content\"");
      if (Error err = place(*content, *id))
        return std::move(err);
      tok.pieces[*id] = content->str();
      present[*id] = true;
      tok.types[*id] = token->getBoolean("special").value_or(false)
                           ? TokenControl
                           : TokenUserDefined;
    }
  bool byteFallback = model->getBoolean("byte_fallback").value_or(false);
  std::optional<StringRef> unk = model->getString("unk_token");
  StringMap<int32_t> ids;
  for (int64_t i = 0; i < vocabSize; ++i) {
    if (!present[i]) {
      tok.types[i] = TokenUnused; // padding up to config.json's vocab_size
      continue;
    }
    ids.try_emplace(tok.pieces[i], static_cast<int32_t>(i));
    // The unknown token keeps SentencePiece's type even when it is also an
    // added special token (as in Llama-2 conversions).
    if (unk && tok.pieces[i] == *unk)
      tok.types[i] = TokenUnknown;
    else if (tok.types[i] == TokenNormal && byteFallback &&
             isBytePiece(tok.pieces[i]))
      tok.types[i] = TokenByte;
  }

  const json::Array *merges = model->getArray("merges");
  if (!merges)
    return makeError(path, "no array \"model.merges\"");
  if (byteLevel)
    if (Error err = readByteLevel(path, *object, *merges, ids, tok))
      return std::move(err);
  /// Scores from merge ranks: the first merge producing a piece wins.
  float unmerged = -static_cast<float>(merges->size()) - 1.0f;
  tok.scores.assign(vocabSize, unmerged);
  std::vector<bool> scored(vocabSize, false);
  for (size_t rank = 0; rank < merges->size() && !byteLevel; ++rank) {
    Expected<Merge> merge = parseMerge(path, (*merges)[rank], rank, ids);
    if (!merge)
      return merge.takeError();
    int32_t id = merge->result;
    if (!scored[id]) {
      scored[id] = true;
      tok.scores[id] = -static_cast<float>(rank);
    }
  }

  // A space is spelled "▁" in the pieces; a prepended "▁" is SentencePiece's
  // dummy prefix.
  auto prepends = [&](const json::Object &o) {
    return o.getString("prepend") == StringRef(kSpaceMark);
  };
  auto metaspacePrefix = [](const json::Object &o) {
    if (std::optional<StringRef> scheme = o.getString("prepend_scheme"))
      return *scheme != "never";
    return o.getBoolean("add_prefix_space").value_or(true);
  };
  if (!byteLevel)
    tok.addDummyPrefix =
        containsComponent(object->get("normalizer"), "Prepend", prepends) ||
        containsComponent(object->get("pre_tokenizer"), "Metaspace",
                          metaspacePrefix);
  tok.bosId = bosId >= 0 && bosId < vocabSize ? bosId : -1;
  tok.eosId = eosId >= 0 && eosId < vocabSize ? eosId : -1;
  for (const std::string &piece : tok.pieces)
    tok.maxTokenLength =
        std::max(tok.maxTokenLength, static_cast<unsigned>(piece.size()));
  return tok;
}

} // namespace llmc
