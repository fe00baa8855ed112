//===- Registration.h - Register llmc dialects and passes -------*- C++ -*-===//
//
// One place that registers everything llmc adds to MLIR, used by llmc-opt
// and the llmc driver.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_REGISTRATION_H
#define LLMC_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace llmc {
/// Adds the llm dialect and the upstream dialects llmc's lowering creates.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Registers llmc's passes and named pipelines with the global registry.
void registerAllPassesAndPipelines();
} // namespace llmc

#endif // LLMC_REGISTRATION_H
