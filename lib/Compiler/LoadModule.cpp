//===- LoadModule.cpp - Import or parse a model -----------------*- C++ -*-===//
//
// The compiler's MLIR context, and the first stage of every command: a model
// file is read and imported, an `.mlir`/`.mlirbc` file is parsed.
//
//===----------------------------------------------------------------------===//

#include "llmc/Compiler/Compiler.h"

#include "llmc/Import/Importer.h"
#include "llmc/Import/OnnxReader.h"
#include "llmc/Registration.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace llmc;

std::unique_ptr<MLIRContext> llmc::createCompilerContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  context->loadAllAvailableDialects();
  context->printOpOnDiagnostic(false);
  return context;
}

static bool isIRFile(llvm::StringRef path) {
  return path.ends_with(".mlir") || path.ends_with(".mlirbc");
}

llvm::Expected<OwningOpRef<ModuleOp>>
llmc::loadModule(MLIRContext &context, llvm::StringRef input,
                 const LoadOptions &options) {
  if (isIRFile(input)) {
    llvm::SourceMgr sourceMgr;
    SourceMgrDiagnosticHandler handler(sourceMgr, &context);
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(input, sourceMgr, ParserConfig(&context));
    if (!module)
      return llvm::createStringError("cannot parse %s", input.str().c_str());
    return module;
  }
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  llvm::Expected<ModelSource> source =
      isONNXPath(input) ? readONNXFile(input, options.tokenizerPath, buffer)
                        : readModelFile(input, options.tokenizerPath, buffer);
  if (!source)
    return source.takeError();
  ImportOptions importOptions;
  importOptions.maxSeqLen = options.maxSeq;
  OwningOpRef<ModuleOp> module = importModel(&context, *source, importOptions);
  if (!module)
    return llvm::createStringError("cannot import %s", input.str().c_str());
  return module;
}
