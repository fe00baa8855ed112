//===- Report.h - The result of `llmc eval`, as a table or JSON -*- C++ -*-===//
//
// Everything `llmc eval` measured, and its two renderings: a readable table
// and one JSON object with stable keys (docs/evaluation.md).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_REPORT_H
#define LLMC_EVAL_REPORT_H

#include "llmc/Eval/Metrics.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llmc::eval {

/// One model of the pair.
struct ModelReport {
  std::string source;   ///< The model file or module it was compiled from.
  std::string compress; ///< The compression pipeline ("" for none).
  uint64_t modelId = 0;
  int64_t weightsDataBytes = 0; ///< Bytes of weights the compiled code reads.
  int64_t forwardCalls = 0;     ///< Timed decode steps on the host.
  double forwardSeconds = 0;
  double tokensPerSecond() const {
    return forwardSeconds > 0 ? double(forwardCalls) / forwardSeconds : 0;
  }
};

/// The paired metrics over one token set.
struct TokenSetReport {
  std::string kind; ///< "text" or "sampled".
  std::string name;
  std::string description;
  int64_t sequences = 0;
  QualitySummary quality;
};

/// The greedy comparison (absent when disabled).
struct GreedyReport {
  int64_t promptTokens = 0;
  int64_t steps = 0; ///< Tokens each model was asked to generate.
  std::optional<int64_t> firstDivergence;
  std::string promptText, referenceText, candidateText;
};

struct EvalReport {
  std::string target; ///< Host target the models were compiled for.
  int64_t ctx = 0;
  ModelReport reference, candidate;
  std::vector<TokenSetReport> tokenSets;
  std::optional<GreedyReport> greedy;
};

/// The readable table.
void printTable(llvm::raw_ostream &os, const EvalReport &report);

/// One JSON object:
///   {"format": "llmc-eval", "version": 1, "target", "ctx",
///    "reference"/"candidate": {"source", "compress", "model_id",
///      "weights_data_bytes", "forward_calls", "tokens_per_second"},
///    "token_sets": [{"kind", "name", "description", "sequences",
///      "positions", "reference_ppl", "candidate_ppl", "ppl_ratio",
///      "delta_ppl_percent", "kl_mean", "kl_p99", "kl_max",
///      "same_top1_percent", "band"}],
///    "greedy": {"prompt_tokens", "steps", "first_divergence" (null for
///      none), "prompt", "reference_text", "candidate_text"} or null}
llvm::json::Value toJSON(const EvalReport &report);

} // namespace llmc::eval

#endif // LLMC_EVAL_REPORT_H
