//===- Driver.h - The llmc driver's commands --------------------*- C++ -*-===//
//
// The commands of the llmc driver, as functions, so that the option parsing
// in llmc.cpp stays separate from the work.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_DRIVER_H
#define LLMC_TOOLS_LLMC_DRIVER_H

#include "llmc/Compiler/Compiler.h"

#include "Compression.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace llmc::driver {

struct CommonOptions {
  LoadOptions load;
};

struct CompileOptions {
  CommonOptions common;
  std::string target = "x86_64";
  /// --compress and the named compression options.
  CompressionRequest compression;
  bool emitAssembly = false;
  /// --kernels=reference: see CodegenOptions::referenceKernels.
  bool referenceKernels = false;
  /// --prefill-chunk, --parallel-min-work, --decode-streams,
  /// --decode-prefetch, --attention-heads: see CodegenOptions.
  int64_t prefillChunk = 64;
  int64_t parallelMinWork = 32768;
  int64_t decodeStreams = 0;
  int64_t decodePrefetch = -1;
  int64_t attentionHeads = 0;
};

struct EvalOptions {
  CommonOptions common;
  /// Pipeline applied to the candidate ("" = the candidate is the model).
  std::string compress;
  /// Reference model ("" = the model itself, uncompressed).
  std::string reference;
  /// Text files to tokenize and cut into chunks of `ctx` tokens.
  std::vector<std::string> textFiles;
  /// Used when neither text files nor sampled sequences are given.
  std::string defaultTextFile;
  /// Tokens per chunk; unset = 128, or the models' maximum sequence length
  /// if that is shorter.
  std::optional<int64_t> ctx;
  int64_t maxChunks = 0;
  /// Sequences sampled from the reference (0 = none), `sampleLength`
  /// tokens each (0 = ctx), seeds seed, seed + 1, ...
  int64_t sampled = 0;
  int64_t sampleLength = 0;
  uint64_t seed = 1;
  int64_t greedySteps = 64;
  bool json = false;
  bool keepTemps = false;
};

/// Measures sublayer and layer importance scores of a model on
/// `calibrationText` and writes them as JSON (llm-skip-sublayers' input).
llvm::Error runScore(llvm::StringRef input, llvm::StringRef output,
                     const CommonOptions &options,
                     llvm::StringRef calibrationText);

/// Measures the mean input of every linear of a model on `calibrationText`
/// and writes them as JSON (llm-quantize-weights' bias-correction input).
llvm::Error runCalibrate(llvm::StringRef input, llvm::StringRef output,
                         const CommonOptions &options,
                         llvm::StringRef calibrationText);

/// Reads a model file and writes its llm module (text or bytecode by
/// extension; "-" is stdout).
llvm::Error runImport(llvm::StringRef input, llvm::StringRef output,
                      const CommonOptions &options);

/// Compiles a model file or llm module into a device artifact directory.
/// The directory appears only when everything succeeded; an existing
/// artifact directory is replaced, anything else is left alone.
llvm::Error runCompile(llvm::StringRef input, llvm::StringRef outDir,
                       const CompileOptions &options);

/// Compiles the candidate (the model after `compress`) and the reference
/// for the host, runs both on the token sets and prints the paired quality
/// metrics (docs/evaluation.md) to `os`.
llvm::Error runEval(llvm::StringRef model, const EvalOptions &options,
                    llvm::raw_ostream &os);

} // namespace llmc::driver

#endif // LLMC_TOOLS_LLMC_DRIVER_H
