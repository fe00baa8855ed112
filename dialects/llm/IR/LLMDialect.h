//===- LLMDialect.h - The llm dialect ---------------------------*- C++ -*-===//
//
// Declares the llm dialect, its enums, attributes and types.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_LLMDIALECT_H
#define LLMC_DIALECT_LLM_IR_LLMDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"

#include "llm/IR/LLMDialect.h.inc"
#include "llm/IR/LLMEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "llm/IR/LLMAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "llm/IR/LLMTypes.h.inc"

namespace llmc::llm {
/// The raw bytes of a dense or dense_resource elements attribute, if it has
/// them in memory (not a splat).
std::optional<llvm::ArrayRef<char>> getRawBytes(mlir::ElementsAttr attr);
} // namespace llmc::llm

#endif // LLMC_DIALECT_LLM_IR_LLMDIALECT_H
