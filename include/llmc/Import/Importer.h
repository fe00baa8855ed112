//===- Importer.h - Model files to the llm dialect --------------*- C++ -*-===//
//
// Turns a ModelSource (what the file readers produce) into an llm-dialect
// module whose weights reference the model file in place.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_IMPORT_IMPORTER_H
#define LLMC_IMPORT_IMPORTER_H

#include "llmc/Import/ModelSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llmc {

struct ImportOptions {
  /// KV-cache length; 0 means the model's context length.
  int64_t maxSeqLen = 0;
};

/// Builds the llm module of a decoder described by \p source (Llama, Qwen2,
/// GPT-2 and mixes of their layer variants): `llm.weight`s that
/// reference the file's bytes (`#llm.extern`), the tokenizer as a resource,
/// and a `decode` entry with one `llm.layer` per block. Errors are emitted
/// as diagnostics on `context`.
mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext *context,
                                              const ModelSource &source,
                                              const ImportOptions &options);

/// Serializes a vocabulary as the LLMT tokenizer section of the device
/// weights file (runtime/include/llmc/format.h).
std::vector<char> serializeTokenizer(const TokenizerData &tokenizer);

} // namespace llmc

#endif // LLMC_IMPORT_IMPORTER_H
