//===- Compiler.h - The stages of `llmc compile` as functions ---*- C++ -*-===//
//
// Load a model file or llm module, run a compression pipeline on it, and
// compile it for a target into a directory, as a device executable or as a
// shared object for the host. The llmc driver's commands (compile, eval) and
// the host evaluator are built from these functions.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_COMPILER_H
#define LLMC_COMPILER_COMPILER_H

#include "llmc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace llmc {

/// Creates an MLIR context with the llm dialect, the dialects llmc's
/// lowering produces and the LLVM IR translations, all loaded.
std::unique_ptr<mlir::MLIRContext> createCompilerContext();

/// How a model file becomes an llm module.
struct LoadOptions {
  /// Tokenizer file for llama2.c checkpoints ("" = next to the model).
  std::string tokenizerPath;
  /// KV-cache length; 0 means the model's context length.
  int64_t maxSeq = 0;
};

/// Imports a model file (GGUF, llama2.c) or parses an llm module (`.mlir`,
/// `.mlirbc`). Errors name the file; parse errors are also reported as
/// diagnostics with their location.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
loadModule(mlir::MLIRContext &context, llvm::StringRef input,
           const LoadOptions &options);

/// Parses a textual compression pipeline for the llm module. `text` is
/// either anchored (`builtin.module(llm-inline-structure,canonicalize)`) or
/// a bare pass list (`llm-inline-structure,canonicalize`), which is anchored
/// on builtin.module. Passes must be registered
/// (llmc::registerAllPassesAndPipelines). The error says what is wrong with
/// the text.
llvm::Expected<mlir::OpPassManager>
parseCompressionPipeline(llvm::StringRef text);

/// Runs a pipeline from parseCompressionPipeline on `module` (verifying the
/// IR after each pass). `description` names the pipeline in the error.
llvm::Error runCompressionPipeline(mlir::ModuleOp module,
                                   const mlir::OpPassManager &pipeline,
                                   llvm::StringRef description);

/// What compileModule links.
enum class OutputKind {
  /// `llmc-run`: the runtime's main, the model and the runtime, static.
  Executable,
  /// `model.so`: the model alone, to be loaded with dlopen on the host.
  SharedObject,
};

/// The sizes the compiled model asks the runtime for (the module's
/// llm.device_layout).
/// A value the compiled model records in its arena at every step
/// (llm.observe): `rows` x `cols` f32 at byte `offset` of the arena.
struct Observation {
  std::string name;
  int64_t offset = 0;
  int64_t rows = 0;
  int64_t cols = 0;
};

struct DeviceLayoutSummary {
  uint64_t modelId = 0;
  int64_t weightsBytes = 0;
  int64_t kvCacheBytes = 0;
  int64_t arenaBytes = 0;
  int64_t maxSeq = 0;
  /// The model's observation points (empty unless it has llm.observe ops).
  std::vector<Observation> observations;
};

/// How compileModule generates code.
struct CodegenOptions {
  /// Also write the assembly (model.s).
  bool emitAssembly = false;
  /// Widen int8/int4 quants to f32 instead of the integer dot-product
  /// kernels (convert-llm-to-loops integer-dot=false): the reference path
  /// the fast kernels are tested against.
  bool referenceKernels = false;
  /// Tokens per llmc_model_prefill call (convert-llm-to-loops
  /// prefill-chunk; clamped to max_seq_len).
  int64_t prefillChunk = 64;
  /// Loops with less work stay on one thread (convert-llm-to-loops
  /// parallel-min-work).
  int64_t parallelMinWork = 32768;
  /// Weight rows / row groups a decode iteration reads side by side
  /// (convert-llm-to-loops decode-streams); 0: the target's default (4 on
  /// x86-64, 1 elsewhere).
  int64_t decodeStreams = 0;
  /// Blocks ahead that decode prefetches int4 weights
  /// (convert-llm-to-loops decode-prefetch); -1: the target's default (8 on
  /// x86-64, 0 = none elsewhere).
  int64_t decodePrefetch = -1;
  /// Query heads that share each loaded key and value row in attention
  /// (convert-llm-to-loops attention-heads); 0: the target's default (4 on
  /// x86-64, 1 elsewhere).
  int64_t attentionHeads = 0;
};

/// The files compileModule wrote, as paths inside its directory.
struct CompiledFiles {
  std::string weights;  ///< model.llmw
  std::string object;   ///< model.o
  std::string output;   ///< llmc-run or model.so
  std::string assembly; ///< model.s, or "" without emitAssembly
  DeviceLayoutSummary layout;
};

/// Lowers an llm module (in place) for `target` and writes into the
/// existing directory `dir`: the weights file, the object code (and the
/// assembly if asked) and the linked `output`.
llvm::Expected<CompiledFiles> compileModule(mlir::ModuleOp module,
                                            const TargetSpec &target,
                                            llvm::StringRef dir,
                                            OutputKind kind,
                                            const CodegenOptions &codegen = {});

/// Links `objectPath` with the runtime for `target` into a static device
/// executable (`llmc-run`). The linker driver is $LLMC_CLANG or the clang
/// llmc was built with; the runtime comes from $LLMC_RUNTIME_DIR or the
/// build tree.
llvm::Error linkExecutable(const TargetSpec &target, llvm::StringRef objectPath,
                           llvm::StringRef outPath);

/// Links `objectPath` into a shared object (`-shared`, with libm) that
/// exports the model ABI, for dlopen on the host.
llvm::Error linkSharedObject(const TargetSpec &target,
                             llvm::StringRef objectPath,
                             llvm::StringRef outPath);

/// Writes an artifact's manifest.json (docs/artifact.md). `compress` is the
/// compression pipeline that was applied ("" for none).
llvm::Error writeManifest(llvm::StringRef path, llvm::StringRef source,
                          const TargetSpec &target, const CompiledFiles &files,
                          llvm::StringRef compress);

} // namespace llmc

#endif // LLMC_COMPILER_COMPILER_H
