//===- PruneNM.cpp - N:M semi-structured magnitude pruning ------*- C++ -*-===//
//
// Implements llm-prune-nm: in every group of M consecutive inputs of a row,
// keeps the N entries of largest |w| (the N:M pattern of SparseGPT, arXiv
// 2301.00774, and Wanda, arXiv 2306.11695, with the magnitude score).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMPRUNENMPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

/// Zeros all but the `keep` entries of largest |w| of one group; among
/// equal magnitudes the earlier entries go first (are zeroed), so the later
/// ones are kept. `order` is scratch of the group's size.
static void pruneGroup(MutableArrayRef<float> group, int64_t keep,
                       SmallVectorImpl<int64_t> &order) {
  std::iota(order.begin(), order.end(), 0);
  // Smallest magnitude first, earlier position first among equals.
  llvm::sort(order, [&](int64_t a, int64_t b) {
    float ma = std::fabs(group[a]), mb = std::fabs(group[b]);
    return ma != mb ? ma < mb : a < b;
  });
  for (int64_t i = 0, e = group.size() - keep; i < e; ++i)
    group[order[i]] = 0.0f;
}

namespace {
struct LLMPruneNMPass
    : public llmc::llm::impl::LLMPruneNMPassBase<LLMPruneNMPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (m < 1 || n < 1 || n > m) {
      module.emitError() << "llm-prune-nm: need 1 <= n <= m, got n="
                         << static_cast<int64_t>(n)
                         << " m=" << static_cast<int64_t>(m);
      return signalPassFailure();
    }
    WeightFilter filter;
    if (failed(filter.init(module, "llm-prune-nm", only, skip)))
      return signalPassFailure();
    llvm::DenseSet<StringAttr> excluded;
    if (!includeEmbeddings)
      excluded = getEmbeddingAndClassifierWeights(module);

    WeightDataReader reader;
    FailureOr<BiasCorrection> correction =
        BiasCorrection::load(module, "llm-prune-nm", biasCorrection);
    if (failed(correction))
      return signalPassFailure();
    SmallVector<int64_t> order(m);
    for (auto weight : module.getOps<WeightOp>()) {
      if (weight.getTensorType().getRank() != 2 ||
          excluded.contains(weight.getSymNameAttr()) ||
          !filter.selects(weight.getSymName()))
        continue;
      int64_t rows = weight.getRows(), cols = weight.getCols();
      if (cols % m != 0) {
        ++numSkippedShape;
        continue;
      }
      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return signalPassFailure();
      }
      std::vector<float> original =
          correction->enabled() ? *values : std::vector<float>();
      // Rows are contiguous and a multiple of m long, so the groups of all
      // rows tile the matrix.
      MutableArrayRef<float> all(*values);
      for (int64_t start = 0; start < rows * cols; start += m)
        pruneGroup(all.slice(start, m), n, order);
      if (correction->enabled())
        correction->record(weight, rows, cols, original, *values);
      setWeightValues(weight, {rows, cols}, *values);
      ++numPruned;
      numZeroed += rows * cols / m * (m - n);
    }
    if (failed(correction->apply(module, reader)))
      return signalPassFailure();
  }
};
} // namespace
