//===- Evaluator.h - Compare a candidate model with a reference -*- C++ -*-===//
//
// Runs a reference and a candidate HostModel on the same token sequences
// and accumulates the paired metrics (Metrics.h), and compares their greedy
// generations from one prompt.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_EVALUATOR_H
#define LLMC_EVAL_EVALUATOR_H

#include "llmc/Eval/Metrics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace llmc::eval {

class HostModel;
struct TokenSet;

/// Checks that the models can be compared position by position: the same
/// vocabulary size, BOS/EOS and pieces. The error says where they differ.
llvm::Error checkSameVocabulary(const HostModel &reference,
                                const HostModel &candidate);

/// Runs both models on every sequence of `set` (from position 0) and
/// scores every position that has a next token. Non-finite logits are an
/// error naming the model, the sequence and the position.
llvm::Expected<QualitySummary> evaluateTokenSet(HostModel &reference,
                                                HostModel &candidate,
                                                const TokenSet &set);

/// Greedy continuation of `prompt` by one model: up to `steps` tokens,
/// ending early after a BOS/EOS token (which is included).
llvm::Expected<std::vector<int32_t>>
generateGreedy(HostModel &model, llvm::ArrayRef<int32_t> prompt, int64_t steps);

/// Both models' greedy continuations of the same prompt.
struct GreedyComparison {
  std::vector<int32_t> prompt;
  int64_t steps = 0;              ///< Tokens asked for (after clamping).
  std::vector<int32_t> reference; ///< Generated tokens, prompt excluded.
  std::vector<int32_t> candidate;
  /// Index (0-based, among the generated tokens) of the first token that
  /// differs, a missing token counting as different; none if they agree.
  std::optional<int64_t> firstDivergence;
};

/// First index at which `a` and `b` differ (a shorter sequence differs at
/// its end); none if they are equal.
std::optional<int64_t> firstDivergence(llvm::ArrayRef<int32_t> a,
                                       llvm::ArrayRef<int32_t> b);

/// Runs generateGreedy on both models. `steps` is clamped so the prompt and
/// the generated tokens fit both models' max_seq_len.
llvm::Expected<GreedyComparison> compareGreedy(HostModel &reference,
                                               HostModel &candidate,
                                               llvm::ArrayRef<int32_t> prompt,
                                               int64_t steps);

} // namespace llmc::eval

#endif // LLMC_EVAL_EVALUATOR_H
