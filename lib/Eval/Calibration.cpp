//===- Calibration.cpp - Activation statistics on calibration text -*- C++ -*-//
//
// Averages the observed inputs of every llm.linear over calibration tokens.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Calibration.h"

#include "llm/Transforms/Passes.h"
#include "llmc/Eval/HostModel.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/JSON.h"

using namespace llmc;
using namespace llmc::eval;

llvm::Expected<InputMeans>
llmc::eval::measureInputMeans(mlir::ModuleOp module, const TargetSpec &target,
                              llvm::ArrayRef<std::vector<int32_t>> sequences) {
  mlir::OwningOpRef<mlir::ModuleOp> observed = module.clone();
  mlir::PassManager pm(module.getContext());
  pm.addPass(llm::createLLMObserveLinearInputsPass());
  if (mlir::failed(pm.run(*observed)))
    return llvm::createStringError("cannot insert observation points");
  auto model = HostModel::compile(*observed, target, "calibration model");
  if (!model)
    return model.takeError();
  InputMeans sums;
  for (const Observation &o : (*model)->observations())
    sums[o.name].assign(o.cols, 0.0);
  int64_t steps = 0;
  for (const std::vector<int32_t> &sequence : sequences)
    for (size_t pos = 0; pos < sequence.size(); ++pos) {
      auto logits = (*model)->forward(sequence[pos], static_cast<int64_t>(pos));
      if (!logits)
        return logits.takeError();
      const uint8_t *arena = (*model)->arena();
      for (const Observation &o : (*model)->observations()) {
        const auto *x = reinterpret_cast<const float *>(arena + o.offset);
        std::vector<double> &sum = sums[o.name];
        for (int64_t c = 0; c < o.cols; ++c)
          sum[c] += x[c];
      }
      ++steps;
    }
  for (auto &entry : sums)
    for (double &v : entry.second)
      v /= steps ? static_cast<double>(steps) : 1.0;
  return sums;
}

void llmc::eval::writeInputMeansJson(const InputMeans &means, int64_t tokens,
                                     llvm::raw_ostream &os) {
  llvm::json::Object table;
  for (const auto &entry : means) {
    llvm::json::Array values;
    for (double v : entry.second)
      values.push_back(v);
    table[entry.first()] = std::move(values);
  }
  llvm::json::Object root{{"tokens", tokens}, {"means", std::move(table)}};
  os << llvm::json::Value(std::move(root)) << "\n";
}
