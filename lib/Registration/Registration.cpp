//===- Registration.cpp - Register llmc dialects and passes -----*- C++ -*-===//
//
// Registers the llm dialect, llmc's passes and its named pipelines.
//
//===----------------------------------------------------------------------===//

#include "llmc/Registration.h"

#include "llm/IR/LLMOps.h"
#include "llm/Transforms/Passes.h"
#include "llmc/Conversion/Passes.h"
#include "llmc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"

void llmc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<llm::LLMDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect, mlir::LLVM::LLVMDialect>();
}

void llmc::registerAllPassesAndPipelines() {
  llm::registerLLMPasses();
  registerLLMCConversionPasses();
  registerPipelines();
}
