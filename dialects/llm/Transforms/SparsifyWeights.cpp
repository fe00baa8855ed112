//===- SparsifyWeights.cpp - Mark N:M-pruned weights sparse -----*- C++ -*-===//
//
// Implements llm-sparsify-weights: checks that every group of m consecutive
// inputs of a linear weight's rows holds at most n nonzero quants and sets
// the weight's #llm.sparsity<n:m>, which code generation turns into the
// compressed 2:4 layout and kernels that skip the zeros.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMSPARSIFYWEIGHTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMSparsifyWeightsPass
    : public llmc::llm::impl::LLMSparsifyWeightsPassBase<
          LLMSparsifyWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto sparsity = SparsityAttr::getChecked(
        [&] { return module.emitError() << "llm-sparsify-weights: "; },
        &getContext(), static_cast<int64_t>(n), static_cast<int64_t>(m));
    if (!sparsity)
      return signalPassFailure();
    WeightFilter filter;
    if (failed(filter.init(module, "llm-sparsify-weights", only, skip)))
      return signalPassFailure();
    llvm::DenseSet<StringAttr> excluded;
    if (!includeEmbeddings)
      excluded = getEmbeddingAndClassifierWeights(module);

    WeightDataReader reader;
    std::vector<char> scratch;
    int64_t marked = 0;
    for (auto weight : module.getOps<WeightOp>()) {
      if (weight.getTensorType().getRank() != 2 || weight.getSparsityAttr() ||
          excluded.contains(weight.getSymNameAttr()) ||
          !filter.selects(weight.getSymName()))
        continue;
      // Only the weights of linears: the kernels that skip zeros are the
      // linear ones (a tied embedding table is read by rows).
      SmallVector<Operation *> users = getWeightUsers(module, weight);
      if (users.empty())
        continue;
      bool onlyLinears = llvm::all_of(users, [&](Operation *user) {
        auto linear = dyn_cast<LinearOp>(user);
        return linear &&
               linear.getWeightAttr().getAttr() == weight.getSymNameAttr();
      });
      if (!onlyLinears) {
        if (!includeEmbeddings)
          continue;
        weight.emitOpError() << "cannot be stored " << sparsity
                             << " sparse: it is used by an op other than "
                                "llm.linear";
        return signalPassFailure();
      }
      FormatAttr format = weight.getFormatOrDefault();
      if (format.isDense()) {
        ++numSkippedFloat;
        continue;
      }
      bool symmetricInteger = format.getKind() == FormatKind::q8_0 ||
                              format.getKind() == FormatKind::q4_0 ||
                              ((format.getKind() == FormatKind::int8 ||
                                format.getKind() == FormatKind::int4) &&
                               format.getSymmetric());
      if (!symmetricInteger) {
        weight.emitOpError()
            << "cannot be stored " << sparsity << " sparse in format " << format
            << ": the sparse layout needs a symmetric integer format (int8, "
               "int4, q8_0 or q4_0), where a zero weight is a zero quant";
        return signalPassFailure();
      }
      llvm::Expected<ArrayRef<char>> bytes = reader.getBytes(weight, scratch);
      if (!bytes) {
        weight.emitOpError() << llvm::toString(bytes.takeError());
        return signalPassFailure();
      }
      int64_t rows = weight.getRows(), cols = weight.getCols();
      UnpackedWeight u = unpackWeight(format, rows, cols, *bytes);
      if (std::optional<DenseGroup> dense = findDenseGroup(
              u, format, rows, cols, sparsity.getN(), sparsity.getM())) {
        weight.emitOpError()
            << "is not " << sparsity.getN() << ":" << sparsity.getM()
            << " sparse: row " << dense->row << ", inputs " << dense->col
            << ".." << dense->col + m - 1 << " hold " << dense->nonzeros
            << " nonzero values (prune it "
            << "first, e.g. llm-prune-nm{n=" << sparsity.getN()
            << " m=" << sparsity.getM() << "})";
        return signalPassFailure();
      }
      weight.setSparsityAttr(sparsity);
      ++numSparsified;
      ++marked;
    }
    if (marked == 0) {
      module.emitError() << "llm-sparsify-weights: no weight was marked "
                         << sparsity
                         << " sparse (it needs linear weights quantized to "
                            "int8, int4, q8_0 or q4_0)";
      return signalPassFailure();
    }
  }
};
} // namespace
