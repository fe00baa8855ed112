//===- ObserveResiduals.cpp - Observation points for calibration -*- C++ -*-=//
//
// Implements llm-observe-residuals: llm.observe ops on the input and output
// of every residual sublayer, for importance scores measured on the host.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Structure.h"

#include "mlir/IR/Builders.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMOBSERVERESIDUALSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMObserveResidualsPass
    : public llmc::llm::impl::LLMObserveResidualsPassBase<
          LLMObserveResidualsPass> {
  void runOnOperation() override {
    OpBuilder b(&getContext());
    getOperation().walk([&](ResidualOp op) {
      std::string base = (stringifySublayerKind(op.getKind()) + "." +
                          std::to_string(getEnclosingLayerIndex(op)))
                             .str();
      b.setInsertionPoint(op);
      ObserveOp::create(b, op.getLoc(), op.getInput(),
                        b.getStringAttr(base + ".in"));
      b.setInsertionPointAfter(op);
      ObserveOp::create(b, op.getLoc(), op.getResult(),
                        b.getStringAttr(base + ".out"));
      numObserved += 2;
    });
  }
};
} // namespace
