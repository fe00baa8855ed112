//===- Calibration.h - Activation statistics on calibration text -*- C++
//-*-===//
//
// Runs a model compiled with observation points on calibration tokens and
// averages what it observes: the mean input E[x] of every llm.linear, which
// bias correction in llm-quantize-weights uses.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_CALIBRATION_H
#define LLMC_EVAL_CALIBRATION_H

#include "llmc/Compiler/Compiler.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

namespace llmc::eval {

/// Mean input of each llm.linear, keyed as llm-observe-linear-inputs names
/// its observations ("linear.<weight>", "#k" for later uses of a weight).
using InputMeans = llvm::StringMap<std::vector<double>>;

/// Measures InputMeans of `module` (not modified: a clone gets
/// llm-observe-linear-inputs) on `sequences`, compiled for `target` (the
/// host).
llvm::Expected<InputMeans>
measureInputMeans(mlir::ModuleOp module, const TargetSpec &target,
                  llvm::ArrayRef<std::vector<int32_t>> sequences);

/// Writes {"tokens": N, "means": {"linear.<weight>": [...], ...}}.
void writeInputMeansJson(const InputMeans &means, int64_t tokens,
                         llvm::raw_ostream &os);

} // namespace llmc::eval

#endif // LLMC_EVAL_CALIBRATION_H
