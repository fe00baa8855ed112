//===- LLMOps.h - llm dialect operations ------------------------*- C++ -*-===//
//
// Declares the llm dialect's operations.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_LLMOPS_H
#define LLMC_DIALECT_LLM_IR_LLMOPS_H

#include "llm/IR/LLMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "llm/IR/LLMOps.h.inc"

#endif // LLMC_DIALECT_LLM_IR_LLMOPS_H
