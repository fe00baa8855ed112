//===- CompressionPipeline.cpp - The --compress pipeline --------*- C++ -*-===//
//
// `--compress=PIPELINE`: a textual MLIR pass pipeline that runs on the
// imported llm module before lowering, parsed with the pass registry.
//
//===----------------------------------------------------------------------===//

#include "llmc/Compiler/Compiler.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace llmc;

/// Whether the parentheses outside option braces (`{...}`) balance; the
/// pass parser's own message for an unbalanced pipeline is misleading.
static bool parenthesesBalance(llvm::StringRef text) {
  int depth = 0, braces = 0;
  for (char c : text) {
    if (c == '{')
      ++braces;
    else if (c == '}')
      braces = std::max(0, braces - 1);
    else if (braces == 0 && c == '(')
      ++depth;
    else if (braces == 0 && c == ')' && --depth < 0)
      return false;
  }
  return depth == 0;
}

/// The first line of a pass-parser message, without its source prefix
/// ("MLIR Textual PassPipeline Parser:1:5: error: ").
static std::string firstLineOfParserMessage(llvm::StringRef message) {
  llvm::StringRef line = message.trim().split('\n').first;
  size_t at = line.find(" error: ");
  if (at != llvm::StringRef::npos)
    line = line.drop_front(at + strlen(" error: "));
  return line.trim().str();
}

llvm::Expected<OpPassManager>
llmc::parseCompressionPipeline(llvm::StringRef text) {
  llvm::StringRef trimmed = text.trim();
  if (trimmed.empty())
    return llvm::createStringError("the pass pipeline is empty");
  if (!parenthesesBalance(trimmed))
    return llvm::createStringError(
        "invalid pass pipeline '%s': unbalanced parentheses",
        text.str().c_str());
  std::string anchored = trimmed.str();
  llvm::StringRef moduleName = ModuleOp::getOperationName();
  if (!trimmed.starts_with((moduleName + "(").str()))
    anchored = (moduleName + "(" + trimmed + ")").str();

  std::string message;
  llvm::raw_string_ostream errors(message);
  FailureOr<OpPassManager> pipeline = parsePassPipeline(anchored, errors);
  if (failed(pipeline)) {
    std::string why = firstLineOfParserMessage(message);
    return llvm::createStringError("invalid pass pipeline '%s'%s%s",
                                   text.str().c_str(), why.empty() ? "" : ": ",
                                   why.c_str());
  }
  return std::move(*pipeline);
}

llvm::Error llmc::runCompressionPipeline(ModuleOp module,
                                         const OpPassManager &pipeline,
                                         llvm::StringRef description) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  static_cast<OpPassManager &>(pm) = pipeline;
  if (failed(pm.run(module)))
    return llvm::createStringError("compression pipeline '%s' failed",
                                   description.str().c_str());
  return llvm::Error::success();
}
