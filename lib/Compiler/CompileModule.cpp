//===- CompileModule.cpp - Lower, write weights, emit, link -----*- C++ -*-===//
//
// The back half of `llmc compile`: lower to loops, write the weights file at
// the planned offsets, lower to LLVM, emit object code for the target and
// link it as a device executable or a host shared object.
//
//===----------------------------------------------------------------------===//

#include "llmc/Compiler/Compiler.h"

#include "llmc/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace llmc;

static llvm::Error runPipeline(ModuleOp module,
                               llvm::function_ref<void(OpPassManager &)> build,
                               llvm::StringRef stage) {
  PassManager pm(module.getContext());
  build(pm);
  if (failed(pm.run(module)))
    return llvm::createStringError("%s failed", stage.str().c_str());
  return llvm::Error::success();
}

/// Reads the module's llm.device_layout (set by convert-llm-to-loops).
static DeviceLayoutSummary readDeviceLayout(ModuleOp module) {
  auto layout = module->getAttrOfType<DictionaryAttr>("llm.device_layout");
  auto get = [&](llvm::StringRef key) -> int64_t {
    auto attr = layout ? layout.getAs<IntegerAttr>(key) : IntegerAttr();
    return attr ? attr.getInt() : 0;
  };
  DeviceLayoutSummary summary;
  summary.modelId = uint64_t(get("model_id"));
  summary.weightsBytes = get("weights_bytes");
  summary.kvCacheBytes = get("kv_cache_bytes");
  summary.arenaBytes = get("arena_bytes");
  summary.maxSeq = get("max_seq");
  if (auto observations = module->getAttrOfType<ArrayAttr>("llm.observations"))
    for (auto entry : observations.getAsRange<DictionaryAttr>()) {
      auto name = entry.getAs<StringAttr>("name");
      auto offset = entry.getAs<IntegerAttr>("offset");
      auto rows = entry.getAs<IntegerAttr>("rows");
      auto cols = entry.getAs<IntegerAttr>("cols");
      if (name && offset && rows && cols)
        summary.observations.push_back(
            {name.str(), offset.getInt(), rows.getInt(), cols.getInt()});
    }
  return summary;
}

llvm::Expected<CompiledFiles>
llmc::compileModule(ModuleOp module, const TargetSpec &target,
                    llvm::StringRef dir, OutputKind kind,
                    const CodegenOptions &codegen) {
  bool emitAssembly = codegen.emitAssembly;
  auto file = [&](llvm::StringRef name) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };
  CompiledFiles files;
  files.weights = file("model.llmw");
  files.object = file("model.o");
  files.output = file(kind == OutputKind::Executable ? "llmc-run" : "model.so");
  if (emitAssembly)
    files.assembly = file("model.s");

  if (llvm::Error err = runPipeline(
          module,
          [&](OpPassManager &pm) {
            LowerToLoopsOptions lowering;
            lowering.emulateF16 = !hasNativeF16Conversion(target);
            lowering.integerDot = !codegen.referenceKernels;
            lowering.prefillChunk = codegen.prefillChunk;
            lowering.parallelMinWork = codegen.parallelMinWork;
            // Measured on Zen 5 (docs/benchmarks.md); AArch64 and RISC-V
            // keep one stream: unmeasured on boards, and llvm-mca rates
            // their 4-group loops slower (register pressure).
            lowering.decodeStreams = codegen.decodeStreams != 0
                                         ? codegen.decodeStreams
                                     : target.arch == "x86_64" ? 4
                                                               : 1;
            // Measured on Zen 5 (docs/benchmarks.md); unmeasured on
            // AArch64 and RISC-V boards, so they keep the hardware's
            // prefetchers alone.
            lowering.decodePrefetch = codegen.decodePrefetch != -1
                                          ? codegen.decodePrefetch
                                      : target.arch == "x86_64" ? 8
                                                                : 0;
            // Measured on Zen 5 (docs/benchmarks.md); elsewhere the
            // shared heads' queries and sums would not fit in the 128-bit
            // registers, so each iteration keeps one head.
            lowering.attentionHeads = codegen.attentionHeads != 0
                                          ? codegen.attentionHeads
                                      : target.arch == "x86_64" ? 4
                                                                : 1;
            if (target.arch == "x86_64") {
              if (targetHasFeatures(target, "+avx512vnni,+avx512vl"))
                lowering.dotInstruction = "avx512-vnni";
              else if (targetHasFeatures(target, "+avxvnni"))
                lowering.dotInstruction = "avx-vnni";
              else if (targetHasFeatures(target, "+avx2"))
                lowering.dotInstruction = "avx2";
            } else if (target.arch == "aarch64") {
              if (targetHasFeatures(target, "+dotprod,+i8mm"))
                lowering.dotInstruction = "neon-i8mm";
              else if (targetHasFeatures(target, "+dotprod"))
                lowering.dotInstruction = "neon-dotprod";
            } else if (target.arch == "riscv64") {
              lowering.dotInstruction = "widening";
            }
            buildLowerToLoopsPipeline(pm, lowering);
          },
          "lowering to loops"))
    return std::move(err);
  files.layout = readDeviceLayout(module);

  if (llvm::Error err = writeWeightsFile(module, files.weights))
    return std::move(err);
  if (llvm::Error err = runPipeline(
          module, [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); },
          "lowering to LLVM"))
    return std::move(err);
  if (llvm::Error err = emitObjectFile(module, target, files.object))
    return std::move(err);
  if (emitAssembly)
    if (llvm::Error err = emitObjectFile(module, target, files.assembly,
                                         /*assembly=*/true))
      return std::move(err);

  llvm::Error linked =
      kind == OutputKind::Executable
          ? linkExecutable(target, files.object, files.output)
          : linkSharedObject(target, files.object, files.output);
  if (linked)
    return std::move(linked);
  return files;
}
