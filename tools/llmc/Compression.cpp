//===- Compression.cpp - The driver's compression options -------*- C++ -*-===//
//
// Builds the compression pipeline text of the named options and measures
// importance scores for score-based skipping.
//
//===----------------------------------------------------------------------===//

#include "Compression.h"

#include "llmc/Eval/Calibration.h"
#include "llmc/Eval/HostModel.h"
#include "llmc/Eval/Importance.h"
#include "llmc/Eval/TokenSets.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace llmc;
using namespace llmc::driver;

bool CompressionRequest::usesNamedOptions() const {
  return named.skipAttention || named.skipMlp || named.skipLayers ||
         !named.quantize.empty() || !named.quantizeEmbeddings.empty() ||
         !named.biasCorrection.empty() || !named.sparse.empty() ||
         (!named.kvCache.empty() && named.kvCache != "f32");
}

bool CompressionRequest::needsScores() const {
  return (named.skipAttention || named.skipMlp || named.skipLayers) &&
         named.skipBy == "score" && named.scores.empty();
}

std::string
llmc::driver::compressionPipelineText(const CompressionRequest &request,
                                      llvm::StringRef scoresPath,
                                      llvm::StringRef meansPath) {
  std::string named;
  if (request.usesNamedOptions() || request.biasCorrection) {
    const CompressionOptions &o = request.named;
    llvm::raw_string_ostream os(named);
    os << "llmc-compress{";
    llvm::ListSeparator sep(" ");
    if (o.skipLayers)
      os << sep << "skip-layers=" << o.skipLayers;
    if (o.skipAttention)
      os << sep << "skip-attention=" << o.skipAttention;
    if (o.skipMlp)
      os << sep << "skip-mlp=" << o.skipMlp;
    if (o.skipLayers || o.skipAttention || o.skipMlp) {
      os << sep << "skip-by=" << o.skipBy;
      std::string scores = scoresPath.empty() ? o.scores : scoresPath.str();
      if (!scores.empty())
        os << sep << "scores=" << scores;
    }
    if (!o.quantizeEmbeddings.empty())
      os << sep << "quantize-embeddings=" << o.quantizeEmbeddings;
    if (!o.quantize.empty())
      os << sep << "quantize=" << o.quantize;
    if (!o.sparse.empty())
      os << sep << "sparse=" << o.sparse;
    if (!o.kvCache.empty() && o.kvCache != "f32")
      os << sep << "kv-cache=" << o.kvCache;
    std::string means = meansPath.empty() ? o.biasCorrection : meansPath.str();
    if (!means.empty())
      os << sep << "bias-correction=" << means;
    os << "}";
  }
  llvm::StringRef user = request.pipeline;
  if (user.trim().empty() && !user.empty())
    return user.str(); // rejected as an empty pipeline by the parser
  user = user.trim();
  if (user.empty())
    return named;
  if (named.empty())
    return user.str();
  // Append inside an anchored pipeline, or after a bare pass list.
  if (user.starts_with("builtin.module(") && user.ends_with(")"))
    return (user.drop_back() + "," + named + ")").str();
  return (user + "," + named).str();
}

/// The calibration text, tokenized with the model's own tokenizer (from a
/// plain host build of a clone) and cut into up to 32 chunks of 128 tokens.
static llvm::Expected<std::vector<std::vector<int32_t>>>
calibrationSequences(mlir::ModuleOp module, const CompressionRequest &request,
                     const TargetSpec &host) {
  llvm::Expected<std::string> text =
      eval::readTextFile(request.calibrationText);
  if (!text)
    return text.takeError();
  mlir::OwningOpRef<mlir::ModuleOp> probe = module.clone();
  auto model = eval::HostModel::compile(*probe, host, "calibration model");
  if (!model)
    return model.takeError();
  llvm::Expected<eval::TokenSet> tokens = eval::textTokenSet(
      **model, request.calibrationText, *text,
      std::min<int64_t>(128, (*model)->maxSeqLen()), /*maxChunks=*/32);
  if (!tokens)
    return tokens.takeError();
  return std::move(tokens->sequences);
}

llvm::Expected<eval::ImportanceScores>
llmc::driver::measureScores(mlir::ModuleOp module,
                            const CompressionRequest &request) {
  llvm::Expected<TargetSpec> host = eval::hostTargetSpec();
  if (!host)
    return host.takeError();
  if (request.calibrationText.empty())
    return llvm::createStringError(
        "skipping by score needs importance scores: give --scores=FILE "
        "(llmc score MODEL -o FILE) or --skip-by=position");
  llvm::Expected<std::vector<std::vector<int32_t>>> tokens =
      calibrationSequences(module, request, *host);
  if (!tokens)
    return tokens.takeError();
  return eval::measureImportance(module, *host, *tokens);
}

llvm::Error llmc::driver::measureScoresToFile(mlir::ModuleOp module,
                                              const CompressionRequest &request,
                                              llvm::StringRef path) {
  llvm::Expected<eval::ImportanceScores> scores =
      measureScores(module, request);
  if (!scores)
    return scores.takeError();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   path.str().c_str(), ec.message().c_str());
  eval::writeScoresJson(*scores, os);
  return llvm::Error::success();
}

llvm::Expected<std::string>
llmc::driver::resolveCompression(llvm::StringRef input, const LoadOptions &load,
                                 const CompressionRequest &request,
                                 llvm::StringRef scoresPath,
                                 llvm::StringRef meansPath) {
  bool needsMeans =
      request.biasCorrection && request.named.biasCorrection.empty();
  if (!request.needsScores() && !needsMeans)
    return compressionPipelineText(request, "");
  std::unique_ptr<mlir::MLIRContext> context = createCompilerContext();
  auto module = loadModule(*context, input, load);
  if (!module)
    return module.takeError();
  if (request.needsScores())
    if (llvm::Error err = measureScoresToFile(**module, request, scoresPath))
      return llvm::createStringError("measuring importance scores: " +
                                     llvm::toString(std::move(err)));
  if (needsMeans) {
    if (meansPath.empty())
      return llvm::createStringError("--bias-correction needs a place for "
                                     "the measured input means");
    if (llvm::Error err = measureMeansToFile(**module, request, meansPath))
      return llvm::createStringError("measuring input means: " +
                                     llvm::toString(std::move(err)));
  }
  return compressionPipelineText(request,
                                 request.needsScores() ? scoresPath : "",
                                 needsMeans ? meansPath : "");
}

llvm::Error llmc::driver::measureMeansToFile(mlir::ModuleOp module,
                                             const CompressionRequest &request,
                                             llvm::StringRef path) {
  llvm::Expected<TargetSpec> host = eval::hostTargetSpec();
  if (!host)
    return host.takeError();
  llvm::Expected<std::vector<std::vector<int32_t>>> tokens =
      calibrationSequences(module, request, *host);
  if (!tokens)
    return tokens.takeError();
  llvm::Expected<eval::InputMeans> means =
      eval::measureInputMeans(module, *host, *tokens);
  if (!means)
    return means.takeError();
  int64_t count = 0;
  for (const auto &sequence : *tokens)
    count += sequence.size();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   path.str().c_str(), ec.message().c_str());
  eval::writeInputMeansJson(*means, count, os);
  return llvm::Error::success();
}
