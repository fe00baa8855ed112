//===- TokenSets.h - Token sets to evaluate on ------------------*- C++ -*-===//
//
// Fixed token sequences both models run on: a text file tokenized with the
// reference model's tokenizer and cut into chunks, or sequences sampled
// from the reference model with fixed seeds.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_TOKENSETS_H
#define LLMC_EVAL_TOKENSETS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llmc::eval {

class HostModel;

/// A named set of token sequences, each run from position 0.
struct TokenSet {
  std::string kind;        ///< "text" or "sampled".
  std::string name;        ///< The file, or "sampled".
  std::string description; ///< How it was made, for the report.
  std::vector<std::vector<int32_t>> sequences;
};

/// Splits `tokens` into consecutive chunks of `ctx` tokens (the last one
/// may be shorter); chunks of fewer than 2 tokens predict nothing and are
/// dropped. At most `maxChunks` chunks (0 = all).
std::vector<std::vector<int32_t>>
splitIntoChunks(llvm::ArrayRef<int32_t> tokens, int64_t ctx,
                int64_t maxChunks = 0);

/// Reads a text file for textTokenSet. Errors name the file: missing,
/// unreadable, empty or only whitespace.
llvm::Expected<std::string> readTextFile(llvm::StringRef path);

/// Encodes `text` whole with `model`'s tokenizer (BOS first) and splits it
/// into chunks of `ctx` tokens. `name` (the file) labels the set and the
/// errors.
llvm::Expected<TokenSet> textTokenSet(const HostModel &model,
                                      llvm::StringRef name,
                                      llvm::StringRef text, int64_t ctx,
                                      int64_t maxChunks = 0);

/// How sampled sequences are drawn.
struct SamplingOptions {
  int64_t count = 0;  ///< Number of sequences.
  int64_t length = 0; ///< Tokens per sequence, BOS included.
  uint64_t seed = 1;  ///< Sequence k uses seed + k.
  float temperature = 1.0f;
  float topP = 1.0f; ///< 1 = plain ancestral sampling.
};

/// Samples sequences from `model`: BOS, then tokens drawn from its
/// next-token distribution until `length` tokens or an end-of-sequence
/// (BOS/EOS) token, which ends the sequence and is kept as its last target.
llvm::Expected<TokenSet> sampleTokenSet(HostModel &model,
                                        const SamplingOptions &options);

} // namespace llmc::eval

#endif // LLMC_EVAL_TOKENSETS_H
