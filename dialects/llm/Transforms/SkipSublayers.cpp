//===- SkipSublayers.cpp - Remove attention or MLP sublayers ----*- C++ -*-===//
//
// Implements llm-skip-sublayers: replaces chosen llm.residual sublayers by
// their input (arXiv 2404.05741, 2406.15786) and compacts the KV cache.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Structure.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMSKIPSUBLAYERSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMSkipSublayersPass
    : public llmc::llm::impl::LLMSkipSublayersPassBase<LLMSkipSublayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<SublayerKind> sublayer = symbolizeSublayerKind(kind);
    if (!sublayer) {
      module.emitError() << "llm-skip-sublayers: kind must be attention or "
                            "mlp, got '"
                         << kind << "'";
      return signalPassFailure();
    }
    // Candidates: the sublayers of this kind, by enclosing layer index.
    std::map<int64_t, SmallVector<ResidualOp>> byLayer;
    module.walk([&](ResidualOp op) {
      if (op.getKind() == *sublayer)
        byLayer[getEnclosingLayerIndex(op)].push_back(op);
    });
    SmallVector<int64_t> candidates;
    for (auto &[layer, ops] : byLayer)
      candidates.push_back(layer);
    std::string what =
        std::string(stringifySublayerKind(*sublayer)) + " sublayer";
    SkipSelection selection{layers, count, by, scores,
                            stringifySublayerKind(*sublayer)};
    FailureOr<SmallVector<int64_t>> chosen = selectLayersToSkip(
        module, "llm-skip-sublayers", what, selection, candidates);
    if (failed(chosen))
      return signalPassFailure();
    for (int64_t layer : *chosen)
      for (ResidualOp op : byLayer[layer]) {
        bypassStructureOp(op);
        ++numSkipped;
      }
    numSlotsRemoved += compactKVCache(module);
  }
};
} // namespace
