//===- Report.cpp - llmc eval's table and JSON ------------------*- C++ -*-===//
//
// Rendering only: every number was measured by the evaluator.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Report.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace llmc::eval;

/// Text on one line: newlines and tabs escaped, valid UTF-8.
static std::string oneLine(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return llvm::json::isUTF8(out) ? out : llvm::json::fixUTF8(out);
}

/// A number for JSON: null if it is not finite.
static llvm::json::Value number(double value) {
  if (!std::isfinite(value))
    return nullptr;
  return value;
}

static std::string withSeparators(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

static std::string describeModel(const ModelReport &model) {
  std::string text = model.source;
  if (!model.compress.empty())
    text += " --compress='" + model.compress + "'";
  return text;
}

void llmc::eval::printTable(llvm::raw_ostream &os, const EvalReport &report) {
  const ModelReport &ref = report.reference, &cand = report.candidate;
  os << "llmc eval: candidate vs reference, compiled for " << report.target
     << ", ctx " << report.ctx << "\n";
  os << "  reference  " << describeModel(ref) << "\n";
  os << "  candidate  " << describeModel(cand) << "\n\n";

  os << llvm::format("  %-26s %14s %14s\n", "", "reference", "candidate");
  double sizeRatio = ref.weightsDataBytes > 0 ? double(cand.weightsDataBytes) /
                                                    double(ref.weightsDataBytes)
                                              : 0;
  os << llvm::format("  %-26s %14s %14s   (%.3fx)\n", "weights (device bytes)",
                     withSeparators(ref.weightsDataBytes).c_str(),
                     withSeparators(cand.weightsDataBytes).c_str(), sizeRatio);
  os << llvm::format("  %-26s %14.0f %14.0f   (%lld / %lld forward calls)\n",
                     "decode tokens/s (host)", ref.tokensPerSecond(),
                     cand.tokensPerSecond(), (long long)ref.forwardCalls,
                     (long long)cand.forwardCalls);

  for (const TokenSetReport &set : report.tokenSets) {
    const QualitySummary &q = set.quality;
    os << "\n"
       << set.kind << " " << set.name << ": " << set.description << "; "
       << q.positions << " positions scored\n";
    os << llvm::format("  %-26s %14.4f %14.4f   ratio %.4f (%+.3f%%)\n",
                       "perplexity", q.referencePPL, q.candidatePPL, q.pplRatio,
                       q.deltaPPLPercent);
    os << llvm::format("  %-26s mean %.6g  p99 %.6g  max %.6g\n",
                       "KL(ref || cand), nats", q.klMean, q.klP99, q.klMax);
    os << llvm::format("  %-26s %.2f%%\n", "same top-1", q.sameTop1Percent);
    os << llvm::format("  %-26s %s\n", "band (compression.md)",
                       qualityBandName(classifyQuality(q)).str().c_str());
  }

  if (report.greedy) {
    const GreedyReport &g = *report.greedy;
    os << "\ngreedy, " << g.promptTokens << "-token prompt, " << g.steps
       << " steps: ";
    if (g.firstDivergence)
      os << "first divergence at generated token " << *g.firstDivergence
         << "\n";
    else
      os << "no divergence\n";
    os << "  prompt     \"" << oneLine(g.promptText) << "\"\n";
    os << "  reference  \"" << oneLine(g.referenceText) << "\"\n";
    os << "  candidate  \"" << oneLine(g.candidateText) << "\"\n";
  }
}

static llvm::json::Object modelJSON(const ModelReport &model) {
  return llvm::json::Object{
      {"source", model.source},
      {"compress", model.compress},
      {"model_id", llvm::formatv("{0:x16}", model.modelId).str()},
      {"weights_data_bytes", model.weightsDataBytes},
      {"forward_calls", model.forwardCalls},
      {"tokens_per_second", number(model.tokensPerSecond())},
  };
}

llvm::json::Value llmc::eval::toJSON(const EvalReport &report) {
  llvm::json::Array sets;
  for (const TokenSetReport &set : report.tokenSets) {
    const QualitySummary &q = set.quality;
    sets.push_back(llvm::json::Object{
        {"kind", set.kind},
        {"name", set.name},
        {"description", set.description},
        {"sequences", set.sequences},
        {"positions", q.positions},
        {"reference_ppl", number(q.referencePPL)},
        {"candidate_ppl", number(q.candidatePPL)},
        {"ppl_ratio", number(q.pplRatio)},
        {"delta_ppl_percent", number(q.deltaPPLPercent)},
        {"kl_mean", number(q.klMean)},
        {"kl_p99", number(q.klP99)},
        {"kl_max", number(q.klMax)},
        {"same_top1_percent", number(q.sameTop1Percent)},
        {"band", qualityBandKey(classifyQuality(q))},
    });
  }
  llvm::json::Value greedy = nullptr;
  if (report.greedy) {
    const GreedyReport &g = *report.greedy;
    llvm::json::Value divergence = nullptr;
    if (g.firstDivergence)
      divergence = *g.firstDivergence;
    auto text = [](llvm::StringRef s) {
      return llvm::json::isUTF8(s) ? s.str() : llvm::json::fixUTF8(s);
    };
    greedy = llvm::json::Object{
        {"prompt_tokens", g.promptTokens},
        {"steps", g.steps},
        {"first_divergence", std::move(divergence)},
        {"prompt", text(g.promptText)},
        {"reference_text", text(g.referenceText)},
        {"candidate_text", text(g.candidateText)},
    };
  }
  return llvm::json::Object{
      {"format", "llmc-eval"},
      {"version", 1},
      {"target", report.target},
      {"ctx", report.ctx},
      {"reference", modelJSON(report.reference)},
      {"candidate", modelJSON(report.candidate)},
      {"token_sets", std::move(sets)},
      {"greedy", std::move(greedy)},
  };
}
