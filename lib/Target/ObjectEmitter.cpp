//===- ObjectEmitter.cpp - LLVM dialect to object code ----------*- C++ -*-===//
//
// Translates the lowered module to LLVM IR, runs LLVM's O3 pipeline with the
// target's cost model, and emits an object file through the TargetMachine,
// all in process.
//
//===----------------------------------------------------------------------===//

#include "llmc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

using namespace llmc;

static void initializeTargets() {
  static bool once = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)once;
}

/// The registered LLVM target of `target`'s triple.
static llvm::Expected<const llvm::Target *>
lookupTarget(const TargetSpec &target) {
  initializeTargets();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(target.triple), error);
  if (!llvmTarget)
    return llvm::createStringError("target %s: %s", target.triple.c_str(),
                                   error.c_str());
  return llvmTarget;
}

llvm::Error llmc::checkTargetSpec(const TargetSpec &target) {
  llvm::Triple triple(target.triple);
  llvm::Expected<const llvm::Target *> llvmTarget = lookupTarget(target);
  if (!llvmTarget)
    return llvmTarget.takeError();
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      (*llvmTarget)->createMCSubtargetInfo(triple, "", ""));
  if (!sti)
    return llvm::createStringError("target %s is not supported",
                                   target.triple.c_str());
  if (!sti->isCPUStringValid(target.cpu))
    return llvm::createStringError("unknown CPU '%s' for %s",
                                   target.cpu.c_str(), target.arch.c_str());
  for (llvm::StringRef feature : llvm::split(target.features, ',')) {
    if (feature.empty())
      continue;
    llvm::StringRef name = feature.drop_front();
    bool known = llvm::any_of(
        sti->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if (!known)
      return llvm::createStringError("unknown feature '%s' for %s",
                                     name.str().c_str(), target.arch.c_str());
  }
  return llvm::Error::success();
}

bool llmc::targetHasFeatures(const TargetSpec &target,
                             llvm::StringRef features) {
  llvm::Expected<const llvm::Target *> llvmTarget = lookupTarget(target);
  if (!llvmTarget) {
    llvm::consumeError(llvmTarget.takeError());
    return false;
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      (*llvmTarget)
          ->createMCSubtargetInfo(llvm::Triple(target.triple), target.cpu,
                                  target.features));
  return sti && sti->checkFeatures(features);
}

llvm::Error llmc::emitObjectFile(mlir::ModuleOp module,
                                 const TargetSpec &target, llvm::StringRef path,
                                 bool assembly) {
  mlir::registerBuiltinDialectTranslation(*module.getContext());
  mlir::registerLLVMDialectTranslation(*module.getContext());

  llvm::Triple triple(target.triple);
  llvm::Expected<const llvm::Target *> llvmTarget = lookupTarget(target);
  if (!llvmTarget)
    return llvmTarget.takeError();
  llvm::TargetOptions options;
  // Keep a*b+c as two roundings: every target computes the same logits.
  options.AllowFPOpFusion = llvm::FPOpFusion::Strict;
  options.MCOptions.ABIName = target.abi;
  std::unique_ptr<llvm::TargetMachine> machine(
      (*llvmTarget)
          ->createTargetMachine(triple, target.cpu, target.features, options,
                                llvm::Reloc::PIC_, std::nullopt,
                                llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for %s "
                                   "(cpu '%s', features '%s')",
                                   target.triple.c_str(), target.cpu.c_str(),
                                   target.features.c_str());

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext, "llmc_model");
  if (!llvmModule)
    return llvm::createStringError("cannot translate the module to LLVM IR");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  if (!target.abi.empty())
    llvmModule->addModuleFlag(llvm::Module::Error, "target-abi",
                              llvm::MDString::get(llvmContext, target.abi));
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty())
      f.addFnAttr("target-features", target.features);
  }
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return llvm::createStringError("generated LLVM IR does not verify");

  // LLVM's middle end (unrolling, vectorization of the scalar loops, LICM),
  // with the target's cost model.
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(*llvmModule, mam);
  }

  std::error_code ec;
  llvm::ToolOutputFile out(
      path, ec, assembly ? llvm::sys::fs::OF_Text : llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot open %s: %s", path.str().c_str(),
                                   ec.message().c_str());
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out.os(), nullptr,
                                   assembly
                                       ? llvm::CodeGenFileType::AssemblyFile
                                       : llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("target %s cannot emit %s",
                                   target.triple.c_str(),
                                   assembly ? "assembly" : "object files");
  codegen.run(*llvmModule);
  out.keep();
  return llvm::Error::success();
}
