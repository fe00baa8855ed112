//===- InlineStructure.cpp - Flatten llm.layer / llm.residual ---*- C++ -*-===//
//
// Implements llm-inline-structure: replaces structure ops by their bodies
// and explicit residual adds, the first step of lowering.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMINLINESTRUCTUREPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
/// Moves the body of a single-block structure op in front of it, with the
/// block argument replaced by the op's input, and returns the yielded value.
Value inlineBody(RewriterBase &rewriter, Operation *op, Value input) {
  Block &body = op->getRegion(0).front();
  auto yield = cast<YieldOp>(body.getTerminator());
  Value result = yield.getValue();
  // A body that yields its argument yields the op's input once inlined.
  if (result == body.getArgument(0))
    result = input;
  rewriter.inlineBlockBefore(&body, op, ValueRange{input});
  rewriter.eraseOp(yield);
  return result;
}

struct LLMInlineStructurePass
    : public llmc::llm::impl::LLMInlineStructurePassBase<
          LLMInlineStructurePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Post-order: residuals (inside layers) are inlined before their layer.
    getOperation()->walk([&](Operation *op) {
      if (auto residual = dyn_cast<ResidualOp>(op)) {
        Value input = residual.getInput();
        Value body = inlineBody(rewriter, residual, input);
        rewriter.setInsertionPoint(residual);
        Value sum = AddOp::create(rewriter, residual.getLoc(), input.getType(),
                                  input, body);
        rewriter.replaceOp(residual, sum);
        ++numSublayers;
      } else if (auto layer = dyn_cast<LayerOp>(op)) {
        Value body = inlineBody(rewriter, layer, layer.getInput());
        rewriter.replaceOp(layer, body);
        ++numLayers;
      }
    });
  }
};
} // namespace
