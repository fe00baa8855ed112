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

    FailureOr<BiasCorrection> correction =
        BiasCorrection::load(module, "llm-quantize-weights", biasCorrection);
    if (failed(correction))
      return signalPassFailure();

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
      if (correction->enabled()) {
        std::vector<float> quantized(values->size());
        decodeWeight(format, rows, cols, bytes, quantized.data());
        correction->record(weight, rows, cols, *values, quantized);
      }
      weight.setFormatAttr(format);
      weight.setDataAttr(createByteResource(&getContext(), name, bytes));
      ++numQuantized;
    }
    FailureOr<int64_t> corrected = correction->apply(module, reader);
    if (failed(corrected))
      return signalPassFailure();
    numCorrected += *corrected;
  }
};
} // namespace
