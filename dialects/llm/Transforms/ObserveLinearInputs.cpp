//===- ObserveLinearInputs.cpp - Observe the inputs of linears --*- C++ -*-===//
//
// Implements llm-observe-linear-inputs: an llm.observe on each llm.linear's
// input, named after its weight, for calibration statistics (E[x]).
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMOBSERVELINEARINPUTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMObserveLinearInputsPass
    : public llmc::llm::impl::LLMObserveLinearInputsPassBase<
          LLMObserveLinearInputsPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    llvm::StringMap<int> seen;
    getOperation().walk([&](LinearOp op) {
      std::string name = ("linear." + op.getWeight()).str();
      // A weight used by several linears: one name per use.
      if (int count = seen[name]++)
        name += "#" + std::to_string(count);
      b.setInsertionPoint(op);
      ObserveOp::create(b, op.getLoc(), op.getInput(), b.getStringAttr(name));
    });
  }
};
} // namespace
