//===- Structure.h - Rewrites of the layer/sublayer structure ---*- C++ -*-===//
//
// Shared by the passes that remove layers and sublayers: choosing what to
// remove (by index, importance score or position), bypassing a structure op,
// and compacting the KV cache afterwards.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_TRANSFORMS_STRUCTURE_H
#define LLMC_DIALECT_LLM_TRANSFORMS_STRUCTURE_H

#include "llm/IR/LLMOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace llmc::llm {

/// How a skipping pass was asked to choose.
struct SkipSelection {
  llvm::ArrayRef<int64_t> layers; ///< Explicit layer indices.
  int64_t count = 0;              ///< Or: how many to remove...
  llvm::StringRef by;             ///< ...chosen by "score" or "position",
  llvm::StringRef scoresPath;     ///< with scores from this JSON file,
  llvm::StringRef scoreKey;       ///< under this key (attention/mlp/layer).
};

/// The layer indices to remove out of `candidates` (the layers that have
/// the structure), or an error emitted on `module` prefixed by `pass`.
mlir::FailureOr<llvm::SmallVector<int64_t>>
selectLayersToSkip(mlir::ModuleOp module, llvm::StringRef pass,
                   llvm::StringRef what, const SkipSelection &selection,
                   llvm::ArrayRef<int64_t> candidates);

/// Replaces an llm.layer or llm.residual by its input and erases it.
void bypassStructureOp(mlir::Operation *op);

/// The index of the llm.layer enclosing `op`, or -1.
int64_t getEnclosingLayerIndex(mlir::Operation *op);

/// Renumbers the KV-cache slots of the remaining llm.attention ops densely
/// (in slot order) and shrinks the decode function's !llm.kv_cache type.
/// Returns the number of slots removed.
int64_t compactKVCache(mlir::ModuleOp module);

} // namespace llmc::llm

#endif // LLMC_DIALECT_LLM_TRANSFORMS_STRUCTURE_H
