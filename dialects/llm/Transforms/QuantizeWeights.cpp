//===- QuantizeWeights.cpp - Round-to-nearest weight quantization -*- C++ -*-=//
//
// Implements llm-quantize-weights: re-encodes selected weight matrices into
// a group-wise integer or GGUF block format (weight-only RTN quantization,
// e.g. GPTQ paper 2210.17323's RTN baseline; GGUF formats as in ggml).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "llvm/Support/Regex.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMQUANTIZEWEIGHTSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMQuantizeWeightsPass
    : public llmc::llm::impl::LLMQuantizeWeightsPassBase<
          LLMQuantizeWeightsPass> {
  using Base::Base;

  /// Parses and checks the options; emits an error and returns null on bad
  /// ones. `format` is KIND[:gN|:pc][:sym|:asym]; the suffixes override the
  /// group and symmetric options.
  FormatAttr getTargetFormat(ModuleOp module) {
    SmallVector<StringRef> parts;
    StringRef(format).split(parts, ':');
    std::optional<FormatKind> kind = symbolizeFormatKind(parts[0]);
    if (!kind || *kind == FormatKind::f32) {
      module.emitError() << "llm-quantize-weights: unknown format '" << format
                         << "' (expected int8, int4, q8_0, q4_0, q4_k or f16, "
                            "optionally with :gN, :pc, :sym or :asym)";
      return {};
    }
    bool integer = *kind == FormatKind::int8 || *kind == FormatKind::int4;
    int64_t groupSize = group;
    bool isSymmetric = symmetric;
    for (StringRef part : llvm::drop_begin(parts)) {
      if (integer && part == "pc") {
        groupSize = 0;
      } else if (integer && part.consume_front("g") &&
                 !part.getAsInteger(10, groupSize)) {
      } else if (integer && (part == "sym" || part == "asym")) {
        isSymmetric = part == "sym";
      } else {
        module.emitError() << "llm-quantize-weights: bad format suffix in '"
                           << format
                           << "' (int8/int4 take :gN, :pc, :sym or :asym; "
                              "GGUF formats take none)";
        return {};
      }
    }
    if (integer && (groupSize < 0 || groupSize % 32 != 0)) {
      module.emitError() << "llm-quantize-weights: group must be a positive "
                            "multiple of 32, or 0 for one scale per row; got "
                         << groupSize;
      return {};
    }
    if (!integer)
      return FormatAttr::get(&getContext(), *kind);
    return FormatAttr::get(&getContext(), *kind, groupSize, isSymmetric);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FormatAttr target = getTargetFormat(module);
    if (!target)
      return signalPassFailure();
    llvm::Regex onlyRe(only), skipRe(skip);
    std::string error;
    for (auto [name, text, re] :
         {std::tuple<StringRef, StringRef, llvm::Regex *>{"only", only,
                                                          &onlyRe},
          {"skip", skip, &skipRe}})
      if (!text.empty() && !re->isValid(error)) {
        module.emitError() << "llm-quantize-weights: invalid " << name
                           << " regular expression: " << error;
        return signalPassFailure();
      }

    // Bias correction: the input means of each linear, in the order and
    // under the names llm-observe-linear-inputs uses.
    llvm::StringMap<std::vector<double>> means;
    if (!biasCorrection.empty() && failed(readMeans(module, means)))
      return signalPassFailure();
    llvm::DenseMap<StringAttr, SmallVector<std::pair<LinearOp, std::string>>>
        linearsOf;
    {
      llvm::StringMap<int> seen;
      module.walk([&](LinearOp op) {
        std::string key = ("linear." + op.getWeight()).str();
        if (int count = seen[key]++)
          key += "#" + std::to_string(count);
        linearsOf[op.getWeightAttr().getAttr()].push_back({op, key});
      });
    }
    SmallVector<std::pair<LinearOp, std::vector<float>>> corrections;

    WeightDataReader reader;
    for (auto weight : module.getOps<WeightOp>()) {
      StringRef name = weight.getSymName();
      if (weight.getTensorType().getRank() != 2 ||
          !weight.getFormatOrDefault().isDense() ||
          weight.getFormatOrDefault() == target)
        continue;
      if ((!only.empty() && !onlyRe.match(name)) ||
          (!skip.empty() && skipRe.match(name)))
        continue;
      int64_t rows = weight.getRows(), cols = weight.getCols();
      FormatAttr format = target;
      // A group longer than the row means one group per row.
      if (format.getGroup() > cols)
        format = FormatAttr::get(&getContext(), format.getKind(), 0,
                                 format.getSymmetric());
      if (format.getStorageBytes(rows, cols) == 0) {
        ++numSkippedShape;
        continue;
      }
      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return signalPassFailure();
      }
      std::vector<char> bytes = encodeWeight(format, rows, cols, *values);
      if (!means.empty()) {
        // b += (W - Q(W)) E[x] for every linear that reads this weight.
        std::vector<float> quantized(values->size());
        decodeWeight(format, rows, cols, bytes, quantized.data());
        for (auto &[linear, key] : linearsOf.lookup(weight.getSymNameAttr())) {
          auto it = means.find(key);
          if (it == means.end() ||
              it->second.size() != static_cast<size_t>(cols))
            continue;
          std::vector<float> delta(rows);
          for (int64_t r = 0; r < rows; ++r) {
            double sum = 0;
            for (int64_t c = 0; c < cols; ++c)
              sum +=
                  (double((*values)[r * cols + c]) - quantized[r * cols + c]) *
                  it->second[c];
            delta[r] = static_cast<float>(sum);
          }
          corrections.push_back({linear, std::move(delta)});
        }
      }
      weight.setFormatAttr(format);
      weight.setDataAttr(createByteResource(&getContext(), name, bytes));
      ++numQuantized;
    }
    if (failed(applyCorrections(module, reader, corrections)))
      return signalPassFailure();
  }

  /// Reads `{"means": {"linear.<weight>": [...], ...}}`.
  LogicalResult readMeans(ModuleOp module,
                          llvm::StringMap<std::vector<double>> &means) {
    auto buffer = llvm::MemoryBuffer::getFile(biasCorrection, /*IsText=*/true);
    if (!buffer)
      return module.emitError()
             << "llm-quantize-weights: cannot read bias-correction means '"
             << biasCorrection << "': " << buffer.getError().message();
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    if (!json)
      return module.emitError()
             << "llm-quantize-weights: '" << biasCorrection
             << "' is not valid JSON: " << llvm::toString(json.takeError());
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Object *table = root ? root->getObject("means") : nullptr;
    if (!table)
      return module.emitError() << "llm-quantize-weights: '" << biasCorrection
                                << "' has no \"means\" object";
    for (const auto &[key, value] : *table) {
      const llvm::json::Array *array = value.getAsArray();
      if (!array)
        return module.emitError()
               << "llm-quantize-weights: means of '" << StringRef(key)
               << "' in '" << biasCorrection << "' is not an array";
      std::vector<double> &out = means[key];
      for (const llvm::json::Value &v : *array) {
        std::optional<double> number = v.getAsNumber();
        if (!number)
          return module.emitError()
                 << "llm-quantize-weights: means of '" << StringRef(key)
                 << "' in '" << biasCorrection << "' has a non-number";
        out.push_back(*number);
      }
    }
    return success();
  }

  /// Gives each corrected linear a new f32 bias: its old bias (if any) plus
  /// the correction.
  LogicalResult
  applyCorrections(ModuleOp module, WeightDataReader &reader,
                   ArrayRef<std::pair<LinearOp, std::vector<float>>> list) {
    SymbolTable symbols(module);
    for (const auto &entry : list) {
      LinearOp linear = entry.first;
      std::vector<float> bias = entry.second;
      if (FlatSymbolRefAttr old = linear.getBiasAttr()) {
        auto oldWeight = symbols.lookup<WeightOp>(old.getValue());
        llvm::Expected<std::vector<float>> values = reader.getValues(oldWeight);
        if (!values)
          return linear.emitOpError() << llvm::toString(values.takeError());
        for (size_t i = 0; i < bias.size(); ++i)
          bias[i] += (*values)[i];
      }
      auto weight = symbols.lookup<WeightOp>(linear.getWeight());
      WeightOp created = createWeightAfter(
          symbols, weight, (linear.getWeight() + ".bias").str(),
          {static_cast<int64_t>(bias.size())}, bias);
      linear.setBiasAttr(FlatSymbolRefAttr::get(created.getSymNameAttr()));
      ++numCorrected;
    }
    return success();
  }
};
} // namespace
