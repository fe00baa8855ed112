//===- DropUnusedWeights.cpp - Erase unreferenced weights -------*- C++ -*-===//
//
// Implements llm-drop-unused-weights: weights no op refers to are erased so
// the device weights file holds only what the code reads.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMDROPUNUSEDWEIGHTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMDropUnusedWeightsPass
    : public llmc::llm::impl::LLMDropUnusedWeightsPassBase<
          LLMDropUnusedWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<WeightOp> unused;
    for (auto weight : module.getOps<WeightOp>())
      if (SymbolTable::symbolKnownUseEmpty(weight, module))
        unused.push_back(weight);
    for (WeightOp weight : unused) {
      weight.erase();
      ++numDropped;
    }
  }
};
} // namespace
