//===- Driver.cpp - The llmc driver's commands ------------------*- C++ -*-===//
//
// import: model file -> llm module. compile: model -> lowered module ->
// weights file + object code -> linked device executable, written to a
// temporary directory that replaces the output only on success.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Import/Importer.h"
#include "llmc/Pipelines/Pipelines.h"
#include "llmc/Registration.h"
#include "llmc/Target/Target.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::driver;

#ifndef LLMC_DEFAULT_CLANG
#define LLMC_DEFAULT_CLANG "clang-22"
#endif
#ifndef LLMC_DEFAULT_RUNTIME_DIR
#define LLMC_DEFAULT_RUNTIME_DIR ""
#endif

namespace {
/// An MLIR context with everything llmc uses, printing diagnostics to
/// stderr.
struct Session {
  Session() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
    context.printOpOnDiagnostic(false);
  }
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    llmc::registerAllDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    return registry;
  }
  MLIRContext context;
  llvm::SourceMgr sourceMgr;
};

bool isIRFile(StringRef path) {
  return path.ends_with(".mlir") || path.ends_with(".mlirbc");
}

/// Imports a model file or parses an llm module.
llvm::Expected<OwningOpRef<ModuleOp>>
loadModule(Session &session, StringRef input, const CommonOptions &options) {
  if (isIRFile(input)) {
    SourceMgrDiagnosticHandler handler(session.sourceMgr, &session.context);
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(
        input, session.sourceMgr, ParserConfig(&session.context));
    if (!module)
      return llvm::createStringError("cannot parse %s", input.str().c_str());
    return module;
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  llvm::Expected<ModelSource> source =
      readModelFile(input, options.tokenizerPath, buffer);
  if (!source)
    return source.takeError();
  ImportOptions importOptions;
  importOptions.maxSeqLen = options.maxSeq;
  OwningOpRef<ModuleOp> module =
      importModel(&session.context, *source, importOptions);
  if (!module)
    return llvm::createStringError("cannot import %s", input.str().c_str());
  return module;
}

llvm::Error runPipeline(ModuleOp module,
                        llvm::function_ref<void(OpPassManager &)> build,
                        StringRef stage) {
  PassManager pm(module.getContext());
  build(pm);
  if (failed(pm.run(module)))
    return llvm::createStringError("%s failed", stage.str().c_str());
  return llvm::Error::success();
}

std::string envOr(const char *name, StringRef fallback) {
  if (std::optional<std::string> v = llvm::sys::Process::GetEnv(name))
    return *v;
  return fallback.str();
}

/// Links OUT/llmc-run from the model object and the target's runtime.
llvm::Error linkExecutable(const TargetSpec &target, StringRef objectPath,
                           StringRef outPath) {
  std::string clang = envOr("LLMC_CLANG", LLMC_DEFAULT_CLANG);
  llvm::ErrorOr<std::string> clangPath = llvm::sys::findProgramByName(clang);
  if (!clangPath)
    return llvm::createStringError("cannot find the linker driver '%s' (set "
                                   "LLMC_CLANG)",
                                   clang.c_str());
  SmallString<256> runtimeDir(
      envOr("LLMC_RUNTIME_DIR", LLMC_DEFAULT_RUNTIME_DIR));
  llvm::sys::path::append(runtimeDir, target.triple);
  SmallString<256> lib(runtimeDir), main(runtimeDir);
  llvm::sys::path::append(lib, "libllmc_runtime.a");
  llvm::sys::path::append(main, "llmc_run_main.o");
  for (StringRef f : {StringRef(lib), StringRef(main)})
    if (!llvm::sys::fs::exists(f))
      return llvm::createStringError("the runtime for %s is missing: %s (set "
                                     "LLMC_RUNTIME_DIR)",
                                     target.triple.c_str(), f.str().c_str());
  std::string targetFlag = "--target=" + target.triple;
  SmallVector<StringRef> args = {
      *clangPath, targetFlag, "-static", "-fuse-ld=lld", main,
      objectPath, lib,        "-lm",     "-o",           outPath};
  std::string march;
  if (target.arch == "riscv64")
    args.insert(args.begin() + 2, "-march=rv64gc");
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*clangPath, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return llvm::createStringError(
        "linking %s failed (%s exited with %d%s%s)", outPath.str().c_str(),
        clang.c_str(), rc, message.empty() ? "" : ": ", message.c_str());
  return llvm::Error::success();
}

llvm::Error writeManifest(StringRef path, StringRef input,
                          const TargetSpec &target, DictionaryAttr layout) {
  auto get = [&](StringRef key) -> int64_t {
    auto attr = layout ? layout.getAs<IntegerAttr>(key) : IntegerAttr();
    return attr ? attr.getInt() : 0;
  };
  uint64_t weightsFileSize = 0;
  SmallString<256> weights(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(weights, "model.llmw");
  llvm::sys::fs::file_size(weights, weightsFileSize);
  llvm::json::Object manifest{
      {"format", "llmc-artifact"},
      {"version", 1},
      {"source", llvm::sys::path::filename(input)},
      {"target", llvm::json::Object{{"arch", target.arch},
                                    {"triple", target.triple},
                                    {"cpu", target.cpu},
                                    {"features", target.features}}},
      {"model_id", llvm::formatv("{0:x16}", uint64_t(get("model_id"))).str()},
      {"files", llvm::json::Object{{"executable", "llmc-run"},
                                   {"weights", "model.llmw"},
                                   {"object", "model.o"}}},
      {"weights_file_bytes", int64_t(weightsFileSize)},
      {"weights_data_bytes", get("weights_bytes")},
      {"kv_cache_bytes", get("kv_cache_bytes")},
      {"arena_bytes", get("arena_bytes")},
      {"max_seq", get("max_seq")},
  };
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s", path.str().c_str());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return llvm::Error::success();
}
} // namespace

llvm::Error llmc::driver::runImport(StringRef input, StringRef output,
                                    const CommonOptions &options) {
  Session session;
  auto module = loadModule(session, input, options);
  if (!module)
    return module.takeError();
  std::error_code ec;
  llvm::ToolOutputFile out(output, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   output.str().c_str(), ec.message().c_str());
  if (output.ends_with(".mlirbc")) {
    if (failed(writeBytecodeToFile(**module, out.os())))
      return llvm::createStringError("cannot write bytecode to %s",
                                     output.str().c_str());
  } else {
    (*module)->print(out.os());
    out.os() << "\n";
  }
  out.keep();
  return llvm::Error::success();
}

llvm::Error llmc::driver::runCompile(StringRef input, StringRef outDir,
                                     const CompileOptions &options) {
  llvm::Expected<TargetSpec> target = parseTargetSpec(options.target);
  if (!target)
    return target.takeError();
  if (llvm::Error err = checkTargetSpec(*target))
    return err;
  // Refuse early to replace something that is not an llmc artifact.
  if (llvm::sys::fs::exists(outDir)) {
    SmallString<256> manifest(outDir);
    llvm::sys::path::append(manifest, "manifest.json");
    if (!llvm::sys::fs::is_directory(outDir) ||
        !llvm::sys::fs::exists(manifest))
      return llvm::createStringError(
          "output %s exists and is not an llmc artifact directory; refusing "
          "to overwrite it",
          outDir.str().c_str());
  }

  Session session;
  auto module = loadModule(session, input, options.common);
  if (!module)
    return module.takeError();
  ModuleOp m = **module;
  if (llvm::Error err = runPipeline(
          m,
          [&](OpPassManager &pm) {
            LowerToLoopsOptions lowering;
            lowering.emulateF16 = !hasNativeF16Conversion(*target);
            buildLowerToLoopsPipeline(pm, lowering);
          },
          "lowering to loops"))
    return err;
  auto layout = m->getAttrOfType<DictionaryAttr>("llm.device_layout");

  // Everything goes into a temporary sibling directory first.
  SmallString<256> tmp(outDir);
  tmp += ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
  llvm::sys::fs::remove_directories(tmp);
  if (std::error_code ec = llvm::sys::fs::create_directories(tmp))
    return llvm::createStringError(ec, "cannot create %s: %s", tmp.c_str(),
                                   ec.message().c_str());
  bool done = false;
  auto cleanup = llvm::make_scope_exit([&] {
    if (!done)
      llvm::sys::fs::remove_directories(tmp);
  });
  auto file = [&](StringRef name) {
    SmallString<256> p(tmp);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };

  if (llvm::Error err = writeWeightsFile(m, file("model.llmw")))
    return err;
  if (llvm::Error err = runPipeline(
          m, [](OpPassManager &pm) { buildLowerToLLVMPipeline(pm); },
          "lowering to LLVM"))
    return err;
  if (llvm::Error err = emitObjectFile(m, *target, file("model.o")))
    return err;
  if (options.emitAssembly)
    if (llvm::Error err =
            emitObjectFile(m, *target, file("model.s"), /*assembly=*/true))
      return err;
  if (llvm::Error err =
          linkExecutable(*target, file("model.o"), file("llmc-run")))
    return err;
  if (llvm::Error err =
          writeManifest(file("manifest.json"), input, *target, layout))
    return err;

  if (llvm::sys::fs::exists(outDir))
    if (std::error_code ec = llvm::sys::fs::remove_directories(outDir))
      return llvm::createStringError(ec, "cannot replace %s: %s",
                                     outDir.str().c_str(),
                                     ec.message().c_str());
  if (std::error_code ec = llvm::sys::fs::rename(tmp, outDir))
    return llvm::createStringError(ec, "cannot move %s to %s: %s", tmp.c_str(),
                                   outDir.str().c_str(), ec.message().c_str());
  done = true;
  return llvm::Error::success();
}
