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
  pm.addPass(llm::createLLMInlineStructurePass());
  ConvertLLMToLoopsPassOptions convert;
  convert.vectorWidth = options.vectorWidth;
  convert.emulateF16 = options.emulateF16;
  pm.addPass(createConvertLLMToLoopsPass(convert));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void llmc::buildLowerToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createLLMStripModelDataPass());
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

void llmc::registerPipelines() {
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
