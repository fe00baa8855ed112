//===- Driver.cpp - llmc import and llmc compile ----------------*- C++ -*-===//
//
// import: model file -> llm module. compile: model -> (compression) ->
// lib/Compiler's stages, written to a temporary directory that replaces the
// output only on success.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Compiler/Compiler.h"
#include "llmc/Compiler/InterruptCleanup.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::driver;

llvm::Error llmc::driver::runImport(StringRef input, StringRef output,
                                    const CommonOptions &options) {
  std::unique_ptr<MLIRContext> context = createCompilerContext();
  auto module = loadModule(*context, input, options.load);
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
  // A bad pipeline fails before any work.
  const CompressionRequest &request = options.compression;
  bool measureMeans =
      request.biasCorrection && request.named.biasCorrection.empty();
  std::string pipelineText = compressionPipelineText(
      request, request.needsScores() ? "scores.json" : "",
      measureMeans ? "means.json" : "");
  if (!pipelineText.empty() || !request.pipeline.empty()) {
    llvm::Expected<OpPassManager> pipeline =
        parseCompressionPipeline(pipelineText);
    if (!pipeline)
      return llvm::createStringError("--compress: " +
                                     llvm::toString(pipeline.takeError()));
  }
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

  // Everything goes into a temporary sibling directory first, removed again
  // on an error (below) and on SIGINT/SIGTERM/SIGHUP.
  SmallString<256> tmp(outDir);
  tmp += ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
  if (llvm::Error err = removeDirectoryOnInterrupt(tmp))
    return err;
  bool done = false;
  llvm::scope_exit cleanup([&] {
    if (!done)
      llvm::sys::fs::remove_directories(tmp);
    dontRemoveDirectoryOnInterrupt(tmp);
  });
  llvm::sys::fs::remove_directories(tmp);
  if (std::error_code ec = llvm::sys::fs::create_directories(tmp))
    return llvm::createStringError(ec, "cannot create %s: %s", tmp.c_str(),
                                   ec.message().c_str());

  // Importance scores and input means measured for compression stay with
  // the artifact.
  SmallString<256> scoresPath(tmp);
  llvm::sys::path::append(scoresPath, "scores.json");
  SmallString<256> meansPath(tmp);
  llvm::sys::path::append(meansPath, "means.json");
  llvm::Expected<std::string> runText = resolveCompression(
      input, options.common.load, request, scoresPath, meansPath);
  if (!runText)
    return runText.takeError();

  std::unique_ptr<MLIRContext> context = createCompilerContext();
  auto module = loadModule(*context, input, options.common.load);
  if (!module)
    return module.takeError();
  if (!runText->empty()) {
    llvm::Expected<OpPassManager> pipeline = parseCompressionPipeline(*runText);
    if (!pipeline)
      return pipeline.takeError();
    if (llvm::Error err =
            runCompressionPipeline(**module, *pipeline, pipelineText))
      return err;
  }

  CodegenOptions codegen;
  codegen.emitAssembly = options.emitAssembly;
  codegen.referenceKernels = options.referenceKernels;
  codegen.prefillChunk = options.prefillChunk;
  codegen.parallelMinWork = options.parallelMinWork;
  codegen.decodeStreams = options.decodeStreams;
  codegen.decodePrefetch = options.decodePrefetch;
  codegen.attentionHeads = options.attentionHeads;
  llvm::Expected<CompiledFiles> files =
      compileModule(**module, *target, tmp, OutputKind::Executable, codegen);
  if (!files)
    return files.takeError();
  SmallString<256> manifest(tmp);
  llvm::sys::path::append(manifest, "manifest.json");
  if (llvm::Error err =
          writeManifest(manifest, input, *target, *files, pipelineText))
    return err;

  // Replacing the old artifact and moving the new one in happen together: a
  // signal meanwhile waits for both.
  if (llvm::Error err = runUninterrupted([&]() -> llvm::Error {
        if (llvm::sys::fs::exists(outDir))
          if (std::error_code ec = llvm::sys::fs::remove_directories(outDir))
            return llvm::createStringError(ec, "cannot replace %s: %s",
                                           outDir.str().c_str(),
                                           ec.message().c_str());
        if (std::error_code ec = llvm::sys::fs::rename(tmp, outDir))
          return llvm::createStringError(ec, "cannot move %s to %s: %s",
                                         tmp.c_str(), outDir.str().c_str(),
                                         ec.message().c_str());
        return llvm::Error::success();
      }))
    return err;
  done = true;
  return llvm::Error::success();
}
