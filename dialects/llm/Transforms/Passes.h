//===- Passes.h - llm dialect passes ----------------------------*- C++ -*-===//
//
// Declares the llm dialect's passes (generated from Passes.td).
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_TRANSFORMS_PASSES_H
#define LLMC_DIALECT_LLM_TRANSFORMS_PASSES_H

#include "llm/IR/LLMOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace llmc::llm {
#define GEN_PASS_DECL
#include "llm/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

#endif // LLMC_DIALECT_LLM_TRANSFORMS_PASSES_H
