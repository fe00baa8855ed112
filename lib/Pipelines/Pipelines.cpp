//===- Pipelines.cpp - llmc's named pass pipelines --------------*- C++ -*-===//
//
// Builds and registers the lowering pipelines.
//
//===----------------------------------------------------------------------===//

#include "llmc/Pipelines/Pipelines.h"

#include "llm/Transforms/Passes.h"
#include "llmc/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void llmc::buildLowerToLoopsPipeline(OpPassManager &pm,
                                     const LowerToLoopsOptions &options) {
  pm.addPass(llm::createLLMDropUnusedWeightsPass());
  pm.addPass(llm::createLLMInlineStructurePass());
  ConvertLLMToLoopsPassOptions convert;
  convert.vectorWidth = options.vectorWidth;
  convert.emulateF16 = options.emulateF16;
  convert.integerDot = options.integerDot;
  convert.dotInstruction = options.dotInstruction;
  convert.prefillChunk = options.prefillChunk;
  convert.decodeStreams = options.decodeStreams;
  convert.decodePrefetch = options.decodePrefetch;
  convert.attentionHeads = options.attentionHeads;
  convert.parallelMinWork = options.parallelMinWork;
  pm.addPass(createConvertLLMToLoopsPass(convert));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void llmc::buildLowerToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createLLMStripModelDataPass());
  pm.addPass(createLLMCApproximateMathPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions func;
  func.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(func));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void llmc::buildCompressionPipeline(OpPassManager &pm,
                                    const CompressionOptions &options) {
  auto skipSublayers = [&](StringRef kind, int64_t count) {
    if (count == 0)
      return;
    llm::LLMSkipSublayersPassOptions skip;
    skip.kind = kind.str();
    skip.count = count;
    skip.by = options.skipBy;
    skip.scores = options.scores;
    pm.addPass(llm::createLLMSkipSublayersPass(skip));
  };
  if (options.skipLayers != 0) {
    llm::LLMSkipLayersPassOptions skip;
    skip.count = options.skipLayers;
    skip.by = options.skipBy;
    skip.scores = options.scores;
    pm.addPass(llm::createLLMSkipLayersPass(skip));
  }
  skipSublayers("attention", options.skipAttention);
  skipSublayers("mlp", options.skipMlp);
  // --sparse=N:M: "2:4" -> (2, 4); anything else -> (0, 0), which
  // llm-sparsify-weights rejects with the supported pattern.
  int64_t sparseN = 0, sparseM = 0;
  if (!options.sparse.empty()) {
    auto [n, m] = StringRef(options.sparse).split(':');
    if (n.getAsInteger(10, sparseN) || m.getAsInteger(10, sparseM))
      sparseN = sparseM = 0;
    if (sparseN >= 1 && sparseN <= sparseM) {
      llm::LLMPruneNMPassOptions prune;
      prune.n = sparseN;
      prune.m = sparseM;
      pm.addPass(llm::createLLMPruneNMPass(prune));
    }
  }
  const char *embeddings = "^(token_embd|output)\\.weight$";
  if (!options.quantizeEmbeddings.empty()) {
    llm::LLMQuantizeWeightsPassOptions quantize;
    quantize.format = options.quantizeEmbeddings;
    quantize.only = embeddings;
    quantize.biasCorrection = options.biasCorrection;
    pm.addPass(llm::createLLMQuantizeWeightsPass(quantize));
  }
  if (!options.quantize.empty()) {
    llm::LLMQuantizeWeightsPassOptions quantize;
    quantize.format = options.quantize;
    quantize.biasCorrection = options.biasCorrection;
    pm.addPass(llm::createLLMQuantizeWeightsPass(quantize));
  }
  if (!options.sparse.empty()) {
    llm::LLMSparsifyWeightsPassOptions sparsify;
    sparsify.n = sparseN;
    sparsify.m = sparseM;
    pm.addPass(llm::createLLMSparsifyWeightsPass(sparsify));
  }
  if (!options.kvCache.empty() && options.kvCache != "f32") {
    llm::LLMSetKVCacheElementPassOptions kv;
    kv.element = options.kvCache == "int8" ? "i8" : options.kvCache;
    pm.addPass(llm::createLLMSetKVCacheElementPass(kv));
  }
}

namespace {
struct CompressPipelineOptions
    : public PassPipelineOptions<CompressPipelineOptions> {
  Option<int64_t> skipAttention{*this, "skip-attention",
                                llvm::cl::desc("Attention sublayers to skip"),
                                llvm::cl::init(0)};
  Option<int64_t> skipMlp{*this, "skip-mlp",
                          llvm::cl::desc("MLP sublayers to skip"),
                          llvm::cl::init(0)};
  Option<int64_t> skipLayers{*this, "skip-layers",
                             llvm::cl::desc("Whole layers to skip"),
                             llvm::cl::init(0)};
  Option<std::string> skipBy{
      *this, "skip-by",
      llvm::cl::desc("Choose what to skip by score or position"),
      llvm::cl::init("score")};
  Option<std::string> scores{
      *this, "scores",
      llvm::cl::desc("Importance scores (JSON from llmc score)"),
      llvm::cl::init("")};
  Option<std::string> quantizeEmbeddings{
      *this, "quantize-embeddings",
      llvm::cl::desc("Format of the token embedding and classifier"),
      llvm::cl::init("")};
  Option<std::string> biasCorrection{
      *this, "bias-correction",
      llvm::cl::desc("Input means (JSON from llmc calibrate) for bias "
                     "correction of quantized linears"),
      llvm::cl::init("")};
  Option<std::string> quantize{
      *this, "quantize",
      llvm::cl::desc("Format of the other weight matrices (e.g. int4:g32)"),
      llvm::cl::init("")};
  Option<std::string> sparse{
      *this, "sparse",
      llvm::cl::desc("N:M (2:4): prune the linears and store them sparse"),
      llvm::cl::init("")};
  Option<std::string> kvCache{
      *this, "kv-cache",
      llvm::cl::desc("Storage of the KV cache: f32, f16 or int8"),
      llvm::cl::init("")};
};
} // namespace

void llmc::registerPipelines() {
  PassPipelineRegistration<CompressPipelineOptions>(
      "llmc-compress",
      "Compress an llm module: skip layers/sublayers, then quantize weights.",
      [](OpPassManager &pm, const CompressPipelineOptions &o) {
        CompressionOptions options;
        options.skipAttention = o.skipAttention;
        options.skipMlp = o.skipMlp;
        options.skipLayers = o.skipLayers;
        options.skipBy = o.skipBy;
        options.scores = o.scores;
        options.quantizeEmbeddings = o.quantizeEmbeddings;
        options.quantize = o.quantize;
        options.biasCorrection = o.biasCorrection;
        options.sparse = o.sparse;
        options.kvCache = o.kvCache;
        buildCompressionPipeline(pm, options);
      });
  PassPipelineRegistration<>(
      "llmc-lower-to-loops",
      "Lower the llm dialect to buffer-level loops with the device ABI.",
      [](OpPassManager &pm) { buildLowerToLoopsPipeline(pm); });
  PassPipelineRegistration<>(
      "llmc-lower-to-llvm",
      "Lower the output of llmc-lower-to-loops to the LLVM dialect.",
      [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); });
  PassPipelineRegistration<>(
      "llmc-lower", "Lower the llm dialect to the LLVM dialect (both stages).",
      [](OpPassManager &pm) {
        buildLowerToLoopsPipeline(pm);
        buildLowerToLLVMPipeline(pm);
      });
}
