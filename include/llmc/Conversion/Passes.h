//===- Passes.h - llmc conversion passes ------------------------*- C++ -*-===//
//
// Declares the conversions out of the llm dialect.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CONVERSION_PASSES_H
#define LLMC_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace llmc {
#define GEN_PASS_DECL
#include "llmc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "llmc/Conversion/Passes.h.inc"
} // namespace llmc

#endif // LLMC_CONVERSION_PASSES_H
