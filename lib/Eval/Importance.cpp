//===- Importance.cpp - Sublayer and layer importance scores ----*- C++ -*-===//
//
// Pairs the observation points of llm-observe-residuals and averages the
// cosine distance between each sublayer's (and layer's) input and output.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Importance.h"

#include "llm/Transforms/Passes.h"
#include "llmc/Eval/HostModel.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <cstring>

using namespace llmc;
using namespace llmc::eval;

double llmc::eval::cosineDistance(const float *a, const float *b, int64_t n) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  if (na == 0 || nb == 0)
    return 0;
  return 1.0 - dot / (std::sqrt(na) * std::sqrt(nb));
}

llvm::Expected<ImportanceAccumulator>
ImportanceAccumulator::create(llvm::ArrayRef<Observation> observations) {
  ImportanceAccumulator acc;
  // layer index -> first input and last output seen, for block influence.
  std::map<int64_t, std::pair<const Observation *, const Observation *>> layers;
  for (const Observation &o : observations) {
    llvm::SmallVector<llvm::StringRef, 3> parts;
    llvm::StringRef(o.name).split(parts, '.');
    int64_t layer;
    if (parts.size() != 3 || (parts[0] != "attention" && parts[0] != "mlp") ||
        parts[1].getAsInteger(10, layer) ||
        (parts[2] != "in" && parts[2] != "out") || o.rows != 1)
      return llvm::createStringError(
          "observation '%s' is not one of llm-observe-residuals' "
          "(<attention|mlp>.<layer>.<in|out>, one row)",
          o.name.c_str());
    Pair &pair = acc.pairs[{parts[0].str(), layer}];
    (parts[2] == "in" ? pair.inOffset : pair.outOffset) = o.offset;
    pair.cols = o.cols;
    auto &ends = layers[layer];
    if (parts[2] == "in" && (!ends.first || parts[0] == "attention"))
      ends.first = &o;
    if (parts[2] == "out" && (!ends.second || parts[0] == "mlp"))
      ends.second = &o;
  }
  for (auto &[key, pair] : acc.pairs)
    if (pair.inOffset < 0 || pair.outOffset < 0)
      return llvm::createStringError(
          "observations of %s sublayer %lld lack an input or an output",
          key.first.c_str(), static_cast<long long>(key.second));
  for (auto &[layer, ends] : layers)
    if (ends.first && ends.second)
      acc.pairs[{"layer", layer}] = {ends.first->offset, ends.second->offset,
                                     ends.first->cols, 0};
  return acc;
}

void ImportanceAccumulator::addStep(const uint8_t *arena) {
  for (auto &[key, pair] : pairs) {
    const float *in = reinterpret_cast<const float *>(arena + pair.inOffset);
    const float *out = reinterpret_cast<const float *>(arena + pair.outOffset);
    pair.sum += cosineDistance(in, out, pair.cols);
  }
  ++steps;
}

ImportanceScores ImportanceAccumulator::finish() const {
  ImportanceScores scores;
  scores.tokens = steps;
  for (const auto &[key, pair] : pairs) {
    double mean = steps ? pair.sum / steps : 0;
    if (key.first == "attention")
      scores.attention[key.second] = mean;
    else if (key.first == "mlp")
      scores.mlp[key.second] = mean;
    else
      scores.layer[key.second] = mean;
  }
  return scores;
}

void llmc::eval::writeScoresJson(const ImportanceScores &scores,
                                 llvm::raw_ostream &os) {
  auto table = [](const std::map<int64_t, double> &m) {
    llvm::json::Object object;
    for (const auto &[layer, score] : m)
      object[std::to_string(layer)] = score;
    return object;
  };
  llvm::json::Object root{{"tokens", scores.tokens},
                          {"attention", table(scores.attention)},
                          {"mlp", table(scores.mlp)},
                          {"layer", table(scores.layer)}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

llvm::Expected<ImportanceScores>
llmc::eval::measureImportance(mlir::ModuleOp module, const TargetSpec &target,
                              llvm::ArrayRef<std::vector<int32_t>> sequences) {
  mlir::OwningOpRef<mlir::ModuleOp> observed = module.clone();
  mlir::PassManager pm(module.getContext());
  pm.addPass(llm::createLLMObserveResidualsPass());
  if (mlir::failed(pm.run(*observed)))
    return llvm::createStringError("cannot insert observation points");
  auto model = HostModel::compile(*observed, target, "observed model");
  if (!model)
    return model.takeError();
  auto acc = ImportanceAccumulator::create((*model)->observations());
  if (!acc)
    return acc.takeError();
  for (const std::vector<int32_t> &sequence : sequences)
    for (size_t pos = 0; pos < sequence.size(); ++pos) {
      auto logits = (*model)->forward(sequence[pos], static_cast<int64_t>(pos));
      if (!logits)
        return logits.takeError();
      acc->addStep((*model)->arena());
    }
  return acc->finish();
}
