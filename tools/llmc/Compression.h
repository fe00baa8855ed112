//===- Compression.h - The driver's compression options ---------*- C++ -*-===//
//
// Turns `--compress=PIPELINE` and the named options (--quantize=int4:g32,
// --skip-attention=2, ...) into one textual pipeline that llmc-opt replays,
// measuring importance scores first when skipping by score without a
// scores file.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_COMPRESSION_H
#define LLMC_TOOLS_LLMC_COMPRESSION_H

#include "llmc/Compiler/Compiler.h"
#include "llmc/Eval/Importance.h"
#include "llmc/Pipelines/Pipelines.h"
#include "llmc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace llmc::driver {

struct CompressionRequest {
  /// --compress: a textual pipeline, run first.
  std::string pipeline;
  /// The named options (llmc-compress), run after it.
  CompressionOptions named;
  /// Calibration text for automatic importance scores and input means.
  std::string calibrationText;
  /// --bias-correction: measure input means and correct quantized linears.
  bool biasCorrection = false;

  bool usesNamedOptions() const;
  /// Whether the named options skip by score without a scores file, so
  /// scores must be measured first.
  bool needsScores() const;
};

/// The pipeline text to run (and record): `--compress` followed by
/// `llmc-compress{...}` for the named options, with `scoresPath` as the
/// scores file when one was measured ("" = the user's).
std::string compressionPipelineText(const CompressionRequest &request,
                                    llvm::StringRef scoresPath,
                                    llvm::StringRef meansPath = "");

/// Resolves a request for the model `input`: when scores are needed,
/// imports it, measures them and writes them to `scoresPath`. Returns the
/// pipeline text to run (with `scoresPath` in it).
llvm::Expected<std::string>
resolveCompression(llvm::StringRef input, const LoadOptions &load,
                   const CompressionRequest &request,
                   llvm::StringRef scoresPath, llvm::StringRef meansPath = "");

/// Measures the input means of every linear of `module` on the calibration
/// text and writes them as JSON to `path` (llm-quantize-weights'
/// bias-correction input).
llvm::Error measureMeansToFile(mlir::ModuleOp module,
                               const CompressionRequest &request,
                               llvm::StringRef path);

/// Measures importance scores of `module` on the calibration text (on the
/// host).
llvm::Expected<eval::ImportanceScores>
measureScores(mlir::ModuleOp module, const CompressionRequest &request);

/// Measures importance scores of `module` on the calibration text (on the
/// host) and writes them as JSON to `path`.
llvm::Error measureScoresToFile(mlir::ModuleOp module,
                                const CompressionRequest &request,
                                llvm::StringRef path);

} // namespace llmc::driver

#endif // LLMC_TOOLS_LLMC_COMPRESSION_H
