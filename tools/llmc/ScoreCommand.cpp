//===- ScoreCommand.cpp - llmc score ----------------------------*- C++ -*-===//
//
// Measures importance scores of every sublayer and layer on calibration
// text and writes them as JSON for llm-skip-sublayers / llm-skip-layers,
// with a readable summary (least important first) on stderr.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Eval/HostModel.h"
#include "llmc/Eval/Importance.h"
#include "llmc/Eval/TokenSets.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llmc;
using namespace llmc::driver;

llvm::Error llmc::driver::runScore(llvm::StringRef input,
                                   llvm::StringRef output,
                                   const CommonOptions &options,
                                   llvm::StringRef calibrationText) {
  CompressionRequest request;
  request.calibrationText = calibrationText.str();
  std::unique_ptr<mlir::MLIRContext> context = createCompilerContext();
  auto module = loadModule(*context, input, options.load);
  if (!module)
    return module.takeError();
  llvm::Expected<eval::ImportanceScores> scores =
      measureScores(**module, request);
  if (!scores)
    return scores.takeError();
  std::error_code ec;
  llvm::ToolOutputFile out(output, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   output.str().c_str(), ec.message().c_str());
  eval::writeScoresJson(*scores, out.os());
  // A readable summary, least important first.
  auto summarize = [](llvm::StringRef what,
                      const std::map<int64_t, double> &table) {
    std::vector<std::pair<double, int64_t>> order;
    for (const auto &[layer, score] : table)
      order.push_back({score, layer});
    llvm::sort(order);
    llvm::errs() << llvm::formatv("{0,-10}", what);
    for (const auto &[score, layer] : order)
      llvm::errs() << llvm::formatv("  {0}:{1:F4}", layer, score);
    llvm::errs() << "\n";
  };
  llvm::errs() << "importance (1 - cos), least important first, over "
               << scores->tokens << " tokens of " << calibrationText << ":\n";
  summarize("attention", scores->attention);
  summarize("mlp", scores->mlp);
  summarize("layer", scores->layer);
  out.keep();
  return llvm::Error::success();
}

llvm::Error llmc::driver::runCalibrate(llvm::StringRef input,
                                       llvm::StringRef output,
                                       const CommonOptions &options,
                                       llvm::StringRef calibrationText) {
  CompressionRequest request;
  request.calibrationText = calibrationText.str();
  std::unique_ptr<mlir::MLIRContext> context = createCompilerContext();
  auto module = loadModule(*context, input, options.load);
  if (!module)
    return module.takeError();
  return measureMeansToFile(**module, request, output);
}
