//===- Driver.h - The llmc driver's commands --------------------*- C++ -*-===//
//
// The commands of the llmc driver, as functions, so that the option parsing
// in llmc.cpp stays separate from the work.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TOOLS_LLMC_DRIVER_H
#define LLMC_TOOLS_LLMC_DRIVER_H

#include "llmc/Compiler/Compiler.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace llmc::driver {

struct CommonOptions {
  LoadOptions load;
};

struct CompileOptions {
  CommonOptions common;
  std::string target = "x86_64";
  /// Textual pass pipeline run on the llm module before lowering.
  std::string compress;
  bool emitAssembly = false;
};

/// Reads a model file and writes its llm module (text or bytecode by
/// extension; "-" is stdout).
llvm::Error runImport(llvm::StringRef input, llvm::StringRef output,
                      const CommonOptions &options);

/// Compiles a model file or llm module into a device artifact directory.
/// The directory appears only when everything succeeded; an existing
/// artifact directory is replaced, anything else is left alone.
llvm::Error runCompile(llvm::StringRef input, llvm::StringRef outDir,
                       const CompileOptions &options);

} // namespace llmc::driver

#endif // LLMC_TOOLS_LLMC_DRIVER_H
