//===- EvalCommand.cpp - llmc eval ------------------------------*- C++ -*-===//
//
// Compile the reference and the candidate for the host, load both into this
// process, run them on the same token sets and report the paired metrics
// of compression.md's evaluation protocol.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Compiler/Compiler.h"
#include "llmc/Eval/Evaluator.h"
#include "llmc/Eval/HostModel.h"
#include "llmc/Eval/Report.h"
#include "llmc/Eval/TokenSets.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::driver;
using namespace llmc::eval;

/// Options that can be checked before any work.
static llvm::Error checkOptions(const EvalOptions &options) {
  if (options.ctx && *options.ctx < 2)
    return llvm::createStringError(
        "--ctx %lld: a chunk needs at least 2 tokens (one predicts the next)",
        (long long)*options.ctx);
  if (options.maxChunks < 0)
    return llvm::createStringError("--max-chunks %lld: must be >= 0",
                                   (long long)options.maxChunks);
  if (options.sampled < 0)
    return llvm::createStringError("--sampled %lld: must be >= 0",
                                   (long long)options.sampled);
  if (options.sampleLength != 0 && options.sampleLength < 2)
    return llvm::createStringError(
        "--length %lld: a sampled sequence needs at least 2 tokens",
        (long long)options.sampleLength);
  if (options.greedySteps < 0)
    return llvm::createStringError("--greedy-steps %lld: must be >= 0",
                                   (long long)options.greedySteps);
  for (const std::string &path : options.textFiles) {
    if (!llvm::sys::fs::exists(path))
      return llvm::createStringError("--text %s: no such file", path.c_str());
    if (llvm::sys::fs::is_directory(path))
      return llvm::createStringError("--text %s: is a directory", path.c_str());
  }
  return llvm::Error::success();
}

/// Loads `input`, applies `compress` if any, and compiles it for the host.
static llvm::Expected<std::unique_ptr<HostModel>>
buildModel(MLIRContext &context, llvm::StringRef input,
           const OpPassManager *compress, llvm::StringRef compressText,
           const TargetSpec &target, llvm::StringRef name,
           const EvalOptions &options) {
  auto module = loadModule(context, input, options.common.load);
  if (!module)
    return module.takeError();
  if (compress)
    if (llvm::Error err =
            runCompressionPipeline(**module, *compress, compressText))
      return std::move(err);
  llvm::Expected<std::unique_ptr<HostModel>> model =
      HostModel::compile(**module, target, name, options.keepTemps);
  if (model && options.keepTemps)
    llvm::errs() << "llmc: the " << name << " is kept in "
                 << (*model)->directory() << "\n";
  return model;
}

static ModelReport describe(const HostModel &model, llvm::StringRef source,
                            llvm::StringRef compress) {
  ModelReport report;
  report.source = source.str();
  report.compress = compress.str();
  report.modelId = model.info().model_id;
  report.weightsDataBytes = model.info().weights_data_size;
  report.forwardCalls = model.forwardCalls();
  report.forwardSeconds = model.forwardSeconds();
  return report;
}

llvm::Error llmc::driver::runEval(llvm::StringRef input,
                                  const EvalOptions &options,
                                  llvm::raw_ostream &os) {
  if (llvm::Error err = checkOptions(options))
    return err;
  std::vector<std::string> textFiles = options.textFiles;
  if (textFiles.empty() && options.sampled == 0) {
    if (options.defaultTextFile.empty() ||
        !llvm::sys::fs::exists(options.defaultTextFile))
      return llvm::createStringError(
          "no token set: give --text FILE or --sampled K (the default "
          "corpus %s is missing)",
          options.defaultTextFile.c_str());
    textFiles.push_back(options.defaultTextFile);
  }
  // Read the texts before compiling anything: a bad file fails fast.
  std::vector<std::string> texts;
  for (const std::string &path : textFiles) {
    llvm::Expected<std::string> text = readTextFile(path);
    if (!text)
      return text.takeError();
    texts.push_back(std::move(*text));
  }
  std::optional<OpPassManager> compress;
  if (!options.compress.empty()) {
    llvm::Expected<OpPassManager> pipeline =
        parseCompressionPipeline(options.compress);
    if (!pipeline)
      return llvm::createStringError("--compress: " +
                                     llvm::toString(pipeline.takeError()));
    compress = std::move(*pipeline);
  }
  llvm::Expected<TargetSpec> target = hostTargetSpec();
  if (!target)
    return target.takeError();

  // Both models live in one context and one process.
  std::unique_ptr<MLIRContext> context = createCompilerContext();
  llvm::StringRef referenceInput =
      options.reference.empty() ? input : llvm::StringRef(options.reference);
  // The candidate first: a failing compression pass fails fast.
  llvm::Expected<std::unique_ptr<HostModel>> candidate =
      buildModel(*context, input, compress ? &*compress : nullptr,
                 options.compress, *target, "candidate model", options);
  if (!candidate)
    return candidate.takeError();
  llvm::Expected<std::unique_ptr<HostModel>> reference =
      buildModel(*context, referenceInput, nullptr, "", *target,
                 "reference model", options);
  if (!reference)
    return reference.takeError();
  HostModel &ref = **reference, &cand = **candidate;
  if (llvm::Error err = checkSameVocabulary(ref, cand))
    return err;
  int64_t maxSeq = std::min(ref.maxSeqLen(), cand.maxSeqLen());
  if (options.ctx && *options.ctx > maxSeq)
    return llvm::createStringError(
        "--ctx %lld exceeds the models' maximum sequence length %lld",
        (long long)*options.ctx, (long long)maxSeq);
  int64_t ctx = options.ctx.value_or(std::min<int64_t>(128, maxSeq));
  int64_t sampleLength = options.sampleLength ? options.sampleLength : ctx;
  if (options.sampled > 0 && sampleLength > maxSeq)
    return llvm::createStringError(
        "--length %lld exceeds the models' maximum sequence length %lld",
        (long long)sampleLength, (long long)maxSeq);

  // The token sets, all through the reference's tokenizer and sampler.
  std::vector<TokenSet> sets;
  for (size_t i = 0; i < textFiles.size(); ++i) {
    llvm::Expected<TokenSet> set =
        textTokenSet(ref, textFiles[i], texts[i], ctx, options.maxChunks);
    if (!set)
      return set.takeError();
    sets.push_back(std::move(*set));
  }
  if (options.sampled > 0) {
    SamplingOptions sampling;
    sampling.count = options.sampled;
    sampling.length = sampleLength;
    sampling.seed = options.seed;
    llvm::Expected<TokenSet> set = sampleTokenSet(ref, sampling);
    if (!set)
      return set.takeError();
    sets.push_back(std::move(*set));
  }

  EvalReport report;
  report.target = target->arch + " (" + target->cpu + ")";
  report.ctx = ctx;
  for (const TokenSet &set : sets) {
    llvm::Expected<QualitySummary> quality = evaluateTokenSet(ref, cand, set);
    if (!quality)
      return quality.takeError();
    TokenSetReport entry;
    entry.kind = set.kind;
    entry.name = set.name;
    entry.description = set.description;
    entry.sequences = int64_t(set.sequences.size());
    entry.quality = *quality;
    report.tokenSets.push_back(std::move(entry));
  }

  // Greedy generation from the first chunk's first 8 tokens.
  if (options.greedySteps > 0) {
    llvm::ArrayRef<int32_t> first = sets.front().sequences.front();
    llvm::ArrayRef<int32_t> prompt =
        first.take_front(std::min<size_t>(8, first.size()));
    llvm::Expected<GreedyComparison> greedy =
        compareGreedy(ref, cand, prompt, options.greedySteps);
    if (!greedy)
      return greedy.takeError();
    GreedyReport g;
    g.promptTokens = int64_t(greedy->prompt.size());
    g.steps = greedy->steps;
    g.firstDivergence = greedy->firstDivergence;
    g.promptText = ref.decode(greedy->prompt);
    auto continuation = [&](llvm::ArrayRef<int32_t> generated) {
      std::vector<int32_t> all = greedy->prompt;
      all.insert(all.end(), generated.begin(), generated.end());
      std::string text = ref.decode(all);
      return text.substr(std::min(text.size(), g.promptText.size()));
    };
    g.referenceText = continuation(greedy->reference);
    g.candidateText = continuation(greedy->candidate);
    report.greedy = std::move(g);
  }

  report.reference = describe(ref, referenceInput, "");
  report.candidate = describe(cand, input, options.compress);
  if (options.json)
    os << llvm::formatv("{0:2}", toJSON(report)) << "\n";
  else
    printTable(os, report);
  return llvm::Error::success();
}
