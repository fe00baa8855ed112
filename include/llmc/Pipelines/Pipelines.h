//===- Pipelines.h - llmc's named pass pipelines ----------------*- C++ -*-===//
//
// The pipelines the driver runs, as C++ functions; each is also registered
// by name so `llmc-opt --pass-pipeline=...` replays any stage.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_PIPELINES_PIPELINES_H
#define LLMC_PIPELINES_PIPELINES_H

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace llmc {

/// Options of the llm-to-loops stage.
struct LowerToLoopsOptions {
  int64_t vectorWidth = 16;
  /// See convert-llm-to-loops' emulate-f16.
  bool emulateF16 = false;
  /// See convert-llm-to-loops' integer-dot and dot-instruction.
  bool integerDot = true;
  std::string dotInstruction = "generic";
  /// See convert-llm-to-loops' prefill-chunk, parallel-min-work,
  /// decode-streams, decode-prefetch, attention-heads.
  int64_t prefillChunk = 1;
  int64_t decodeStreams = 1;
  int64_t decodePrefetch = 0;
  int64_t attentionHeads = 1;
  int64_t parallelMinWork = 32768;
};

/// llm (with structure) -> flat llm -> buffer-level loops (scf, memref,
/// vector, arith, math) with the device ABI functions. Registered as
/// `llmc-lower-to-loops`.
void buildLowerToLoopsPipeline(mlir::OpPassManager &pm,
                               const LowerToLoopsOptions &options = {});

/// Loops -> LLVM dialect, after the weights file has been written (drops the
/// llm.weight / llm.tokenizer ops). Registered as `llmc-lower-to-llvm`.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// What `llmc-compress` (and the driver's compression options) do.
struct CompressionOptions {
  /// Skip this many attention sublayers / MLP sublayers / whole layers...
  int64_t skipAttention = 0;
  int64_t skipMlp = 0;
  int64_t skipLayers = 0;
  /// ...chosen by "score" (with `scores`, a JSON file from `llmc score`) or
  /// "position" (the last layers).
  std::string skipBy = "score";
  std::string scores;
  /// Quantize the token embedding and classifier to this format first (e.g.
  /// "int8:g32"), then every other weight matrix to `quantize` (e.g.
  /// "int4:g32", "q4_0"); "" leaves them. Formats as llm-quantize-weights'.
  std::string quantizeEmbeddings;
  std::string quantize;
  /// Input means (JSON from `llmc calibrate`) for bias correction of the
  /// quantized linears ("" = none).
  std::string biasCorrection;
  /// "N:M" (only "2:4"): prune the linears N:M by magnitude before
  /// quantization (llm-prune-nm) and store them sparse after it
  /// (llm-sparsify-weights); "" = dense.
  std::string sparse;
  /// Storage of the KV cache: "f16" or "int8" (llm-set-kv-cache-element);
  /// "" or "f32" leaves it f32.
  std::string kvCache;
};

/// Structure first (skipping), then weights (N:M pruning, quantization,
/// sparse storage). Registered as `llmc-compress{skip-attention=N
/// skip-mlp=N skip-layers=N skip-by=... scores=FILE quantize-embeddings=FMT
/// quantize=FMT sparse=N:M kv-cache=f16|int8}`.
void buildCompressionPipeline(mlir::OpPassManager &pm,
                              const CompressionOptions &options);

/// Registers the pipelines above (and `llmc-lower`, both in sequence).
void registerPipelines();

} // namespace llmc

#endif // LLMC_PIPELINES_PIPELINES_H
