//===- SkipLayers.cpp - Remove whole decoder layers -------------*- C++ -*-===//
//
// Implements llm-skip-layers: replaces chosen llm.layer ops by their input
// (ShortGPT's block-influence pruning, arXiv 2403.03853) and compacts the
// KV cache.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Structure.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMSKIPLAYERSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMSkipLayersPass
    : public llmc::llm::impl::LLMSkipLayersPassBase<LLMSkipLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::map<int64_t, SmallVector<LayerOp>> byIndex;
    module.walk([&](LayerOp op) {
      byIndex[static_cast<int64_t>(op.getIndex())].push_back(op);
    });
    SmallVector<int64_t> candidates;
    for (auto &[index, ops] : byIndex)
      candidates.push_back(index);
    SkipSelection selection{layers, count, by, scores, "layer"};
    FailureOr<SmallVector<int64_t>> chosen = selectLayersToSkip(
        module, "llm-skip-layers", "layer", selection, candidates);
    if (failed(chosen))
      return signalPassFailure();
    for (int64_t index : *chosen)
      for (LayerOp op : byIndex[index]) {
        bypassStructureOp(op);
        ++numSkipped;
      }
    numSlotsRemoved += compactKVCache(module);
  }
};
} // namespace
