//===- Pipelines.h - llmc's named pass pipelines ----------------*- C++ -*-===//
//
// The pipelines the driver runs, as C++ functions; each is also registered
// by name so `llmc-opt --pass-pipeline=...` replays any stage.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PIPELINES_PIPELINES_H
#define LLMC_PIPELINES_PIPELINES_H

#include <cstdint>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace llmc {

/// Options of the llm-to-loops stage.
struct LowerToLoopsOptions {
  int64_t vectorWidth = 16;
  /// See convert-llm-to-loops' emulate-f16.
  bool emulateF16 = false;
};

/// llm (with structure) -> flat llm -> buffer-level loops (scf, memref,
/// vector, arith, math) with the device ABI functions. Registered as
/// `llmc-lower-to-loops`.
void buildLowerToLoopsPipeline(mlir::OpPassManager &pm,
                               const LowerToLoopsOptions &options = {});

/// Loops -> LLVM dialect, after the weights file has been written (drops the
/// llm.weight / llm.tokenizer ops). Registered as `llmc-lower-to-llvm`.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers the pipelines above (and `llmc-lower`, both in sequence).
void registerPipelines();

} // namespace llmc

#endif // LLMC_PIPELINES_PIPELINES_H
