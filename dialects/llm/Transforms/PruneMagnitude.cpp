//===- PruneMagnitude.cpp - Unstructured magnitude pruning ------*- C++ -*-===//
//
// Implements llm-prune-magnitude: zeros the fraction `sparsity` of smallest
// |w| per output row or per matrix (the weights-only magnitude baseline, as
// compared against in Wanda, arXiv 2306.11695). Zeros stay densely stored.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

#include <algorithm>
#include <cmath>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMPRUNEMAGNITUDEPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

/// Zeros the `count` entries of smallest magnitude of `values`; among equal
/// magnitudes the earlier entries go first. Finds the count-th smallest |w|
/// as the threshold t, zeros every |w| < t, then entries with |w| == t in
/// order until `count` are zero (memory: one float per entry).
static void zeroSmallest(MutableArrayRef<float> values, size_t count) {
  if (count == 0)
    return;
  std::vector<float> magnitudes(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    magnitudes[i] = std::fabs(values[i]);
  std::nth_element(magnitudes.begin(), magnitudes.begin() + (count - 1),
                   magnitudes.end());
  float threshold = magnitudes[count - 1];
  size_t below = 0;
  for (float &v : values)
    if (std::fabs(v) < threshold) {
      v = 0.0f;
      ++below;
    }
  for (size_t i = 0; i < values.size() && below < count; ++i)
    if (std::fabs(values[i]) == threshold) {
      values[i] = 0.0f;
      ++below;
    }
}

/// floor(sparsity * n) for sparsity in [0, 1), tolerant of the rounding of
/// the product (0.29 * 100 is 28.999...); at least one entry survives.
static size_t entriesToPrune(double sparsity, int64_t n) {
  auto count = static_cast<int64_t>(std::floor(sparsity * n + 1e-9));
  return static_cast<size_t>(std::clamp<int64_t>(count, 0, n - 1));
}

namespace {
struct LLMPruneMagnitudePass
    : public llmc::llm::impl::LLMPruneMagnitudePassBase<LLMPruneMagnitudePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!(sparsity >= 0.0 && sparsity < 1.0)) {
      module.emitError() << "llm-prune-magnitude: sparsity must be in [0, 1), "
                            "got "
                         << formatOptionValue(sparsity);
      return signalPassFailure();
    }
    if (scope != "row" && scope != "layer") {
      module.emitError() << "llm-prune-magnitude: scope must be row or layer, "
                            "got '"
                         << scope << "'";
      return signalPassFailure();
    }
    WeightFilter filter;
    if (failed(filter.init(module, "llm-prune-magnitude", only, skip)))
      return signalPassFailure();
    llvm::DenseSet<StringAttr> excluded;
    if (!includeEmbeddings)
      excluded = getEmbeddingAndClassifierWeights(module);

    WeightDataReader reader;
    FailureOr<BiasCorrection> correction =
        BiasCorrection::load(module, "llm-prune-magnitude", biasCorrection);
    if (failed(correction))
      return signalPassFailure();
    for (auto weight : module.getOps<WeightOp>()) {
      if (weight.getTensorType().getRank() != 2 ||
          excluded.contains(weight.getSymNameAttr()) ||
          !filter.selects(weight.getSymName()))
        continue;
      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return signalPassFailure();
      }
      std::vector<float> original =
          correction->enabled() ? *values : std::vector<float>();
      int64_t rows = weight.getRows(), cols = weight.getCols();
      MutableArrayRef<float> all(*values);
      if (scope == "row") {
        size_t count = entriesToPrune(sparsity, cols);
        for (int64_t row = 0; row < rows; ++row)
          zeroSmallest(all.slice(row * cols, cols), count);
        numZeroed += count * rows;
      } else {
        size_t count = entriesToPrune(sparsity, rows * cols);
        zeroSmallest(all, count);
        numZeroed += count;
      }
      if (correction->enabled())
        correction->record(weight, rows, cols, original, *values);
      setWeightValues(weight, {rows, cols}, *values);
      ++numPruned;
    }
    if (failed(correction->apply(module, reader)))
      return signalPassFailure();
  }
};
} // namespace
