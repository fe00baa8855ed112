//===- llmc-opt.cpp - mlir-opt with the llmc dialects and passes -*- C++
//-*-===//
//
// The IR-level tool for build systems and pass writers: every upstream
// dialect and pass, plus the llm dialect, llmc's passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "llmc/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  llmc::registerAllPassesAndPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  llmc::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "llmc optimizer driver: the llm dialect, its passes and "
      "llmc's pipelines\n",
      registry));
}
