//===- StripModelData.cpp - Drop weights and tokenizer ops ------*- C++ -*-===//
//
// Implements llm-strip-model-data: once the weights file is written, the
// llm.weight and llm.tokenizer ops are removed so the module lowers to LLVM.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/LLMOps.h"
#include "llmc/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace llmc {
#define GEN_PASS_DEF_LLMSTRIPMODELDATAPASS
#include "llmc/Conversion/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {
struct LLMStripModelDataPass
    : public llmc::impl::LLMStripModelDataPassBase<LLMStripModelDataPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> dead;
    for (Operation &op : module.getBody()->getOperations())
      if (isa<llmc::llm::WeightOp, llmc::llm::TokenizerOp>(op))
        dead.push_back(&op);
    for (Operation *op : dead) {
      if (auto weight = dyn_cast<llmc::llm::WeightOp>(op))
        if (!SymbolTable::symbolKnownUseEmpty(weight, module)) {
          weight.emitOpError("is still used; lower the llm ops first "
                             "(convert-llm-to-loops)");
          return signalPassFailure();
        }
      op->erase();
    }
    module->removeAttr("llm.device_layout");
    module->removeAttr("llm.observations");
  }
};
} // namespace
