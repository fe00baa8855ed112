//===- DequantizeWeights.cpp - Expand weights to f32 ------------*- C++ -*-===//
//
// Implements llm-dequantize-weights: decodes every non-f32 weight into f32
// bytes, giving a dense model that computes what the quantized one does.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"

#include "llvm/Support/Regex.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMDEQUANTIZEWEIGHTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMDequantizeWeightsPass
    : public llmc::llm::impl::LLMDequantizeWeightsPassBase<
          LLMDequantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Regex onlyRe(only);
    std::string error;
    if (!only.empty() && !onlyRe.isValid(error)) {
      module.emitError() << "llm-dequantize-weights: invalid only regular "
                            "expression: "
                         << error;
      return signalPassFailure();
    }
    WeightDataReader reader;
    for (auto weight : module.getOps<WeightOp>()) {
      if (weight.getFormatOrDefault().getKind() == FormatKind::f32 ||
          (!only.empty() && !onlyRe.match(weight.getSymName())))
        continue;
      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return signalPassFailure();
      }
      ArrayRef<char> bytes(reinterpret_cast<const char *>(values->data()),
                           values->size() * sizeof(float));
      weight.removeFormatAttr();
      weight.removeSparsityAttr(); // sparse storage needs integer quants
      weight.setDataAttr(
          createByteResource(&getContext(), weight.getSymName(), bytes));
      ++numExpanded;
    }
  }
};
} // namespace
