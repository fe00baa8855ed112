//===- Importance.h - Sublayer and layer importance scores -----*- C++ -*-===//
//
// Measures how much each attention / MLP sublayer and each decoder layer
// changes the residual stream on calibration tokens, from the observation
// points of a model compiled after llm-observe-residuals:
//   sublayer score  S = 1 - cos(x, x + F(x))      (arXiv 2406.15786)
//   layer score    BI = 1 - cos(x_in, x_out)      (ShortGPT, arXiv 2403.03853)
// averaged over tokens. Low scores mark what can be skipped at least cost;
// llm-skip-sublayers / llm-skip-layers read the JSON written here.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_IMPORTANCE_H
#define LLMC_EVAL_IMPORTANCE_H

#include "llmc/Compiler/Compiler.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace llmc::eval {

/// Mean scores by original layer index.
struct ImportanceScores {
  std::map<int64_t, double> attention, mlp, layer;
  int64_t tokens = 0;
};

/// Accumulates cosine similarities across forward steps.
class ImportanceAccumulator {
public:
  /// Checks that `observations` are those llm-observe-residuals inserts
  /// (`<kind>.<layer>.in|out`, one row each) and pairs them up.
  static llvm::Expected<ImportanceAccumulator>
  create(llvm::ArrayRef<Observation> observations);

  /// Adds one forward step, reading the observed rows from `arena`.
  void addStep(const uint8_t *arena);

  ImportanceScores finish() const;

private:
  struct Pair {
    int64_t inOffset = -1, outOffset = -1, cols = 0;
    double sum = 0;
  };
  /// Keyed by kind ("attention", "mlp", "layer") and layer index.
  std::map<std::pair<std::string, int64_t>, Pair> pairs;
  int64_t steps = 0;
};

/// Scores `module` (not modified: a clone gets llm-observe-residuals) on
/// `sequences` of tokens, each run from position 0, compiled for `target`
/// (the host). The sequences come from the model's tokenizer, e.g. a text
/// token set (TokenSets.h).
llvm::Expected<ImportanceScores>
measureImportance(mlir::ModuleOp module, const TargetSpec &target,
                  llvm::ArrayRef<std::vector<int32_t>> sequences);

/// 1 - cos(a, b), computed in double; 0 when either vector is zero.
double cosineDistance(const float *a, const float *b, int64_t n);

/// Writes scores as {"tokens": N, "attention": {"0": s, ...}, "mlp": {...},
/// "layer": {...}} (what the skipping passes read).
void writeScoresJson(const ImportanceScores &scores, llvm::raw_ostream &os);

} // namespace llmc::eval

#endif // LLMC_EVAL_IMPORTANCE_H
