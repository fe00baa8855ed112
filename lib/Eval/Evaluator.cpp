//===- Evaluator.cpp - Candidate against reference --------------*- C++ -*-===//
//
// Paired evaluation over token sets, greedy divergence, and the vocabulary
// check that makes the comparison meaningful.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Evaluator.h"

#include "llmc/Eval/HostModel.h"
#include "llmc/Eval/TokenSets.h"

#include <algorithm>
#include <cmath>

using namespace llmc::eval;

llvm::Error llmc::eval::checkSameVocabulary(const HostModel &reference,
                                            const HostModel &candidate) {
  const llmc_tokenizer_t *a = reference.tokenizer();
  const llmc_tokenizer_t *b = candidate.tokenizer();
  if (reference.vocabSize() != candidate.vocabSize())
    return llvm::createStringError(
        "the reference and the candidate have different vocabularies (%lld "
        "and %lld tokens); their next-token distributions cannot be compared",
        (long long)reference.vocabSize(), (long long)candidate.vocabSize());
  if (llmc_tokenizer_bos_id(a) != llmc_tokenizer_bos_id(b) ||
      llmc_tokenizer_eos_id(a) != llmc_tokenizer_eos_id(b))
    return llvm::createStringError(
        "the reference and the candidate have different BOS/EOS tokens "
        "(%d/%d and %d/%d)",
        llmc_tokenizer_bos_id(a), llmc_tokenizer_eos_id(a),
        llmc_tokenizer_bos_id(b), llmc_tokenizer_eos_id(b));
  for (int32_t id = 0; id < int32_t(reference.vocabSize()); ++id) {
    llmc_string_view_t pa = {nullptr, 0}, pb = {nullptr, 0};
    llmc_status_t sa = llmc_tokenizer_piece(a, id, &pa);
    llmc_status_t sb = llmc_tokenizer_piece(b, id, &pb);
    bool same =
        llmc_status_is_ok(sa) && llmc_status_is_ok(sb) &&
        llvm::StringRef(pa.data, pa.size) == llvm::StringRef(pb.data, pb.size);
    llmc_status_free(sa);
    llmc_status_free(sb);
    if (!same)
      return llvm::createStringError(
          "the reference and the candidate have different vocabularies: "
          "token %d is '%s' in one and '%s' in the other",
          id, std::string(pa.data ? pa.data : "", pa.size).c_str(),
          std::string(pb.data ? pb.data : "", pb.size).c_str());
  }
  return llvm::Error::success();
}

/// The first non-finite logit of `logits` (one position), if any.
static std::optional<size_t> firstNonFinite(llvm::ArrayRef<float> logits) {
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isfinite(logits[i]))
      return i;
  return std::nullopt;
}

llvm::Expected<QualitySummary>
llmc::eval::evaluateTokenSet(HostModel &reference, HostModel &candidate,
                             const TokenSet &set) {
  const int64_t vocab = reference.vocabSize();
  PairedMetrics metrics(vocab);
  std::vector<float> referenceLogits, candidateLogits;
  for (size_t s = 0; s < set.sequences.size(); ++s) {
    llvm::ArrayRef<int32_t> tokens = set.sequences[s];
    referenceLogits.resize(tokens.size() * size_t(vocab));
    candidateLogits.resize(tokens.size() * size_t(vocab));
    if (llvm::Error err = reference.computeLogits(tokens, referenceLogits))
      return std::move(err);
    if (llvm::Error err = candidate.computeLogits(tokens, candidateLogits))
      return std::move(err);
    for (size_t pos = 0; pos + 1 < tokens.size(); ++pos) {
      llvm::ArrayRef<float> r = llvm::ArrayRef<float>(referenceLogits)
                                    .slice(pos * size_t(vocab), size_t(vocab));
      llvm::ArrayRef<float> c = llvm::ArrayRef<float>(candidateLogits)
                                    .slice(pos * size_t(vocab), size_t(vocab));
      for (auto [model, logits] :
           {std::pair(&reference, r), std::pair(&candidate, c)})
        if (std::optional<size_t> bad = firstNonFinite(logits))
          return llvm::createStringError(
              "%s: logit %zu is %g at position %zu of %s sequence %zu",
              model->name().str().c_str(), *bad, double(logits[*bad]), pos,
              set.name.c_str(), s);
      metrics.add(r, c, tokens[pos + 1]);
    }
  }
  return metrics.summarize();
}

llvm::Expected<std::vector<int32_t>>
llmc::eval::generateGreedy(HostModel &model, llvm::ArrayRef<int32_t> prompt,
                           int64_t steps) {
  int32_t bos = llmc_tokenizer_bos_id(model.tokenizer());
  int32_t eos = llmc_tokenizer_eos_id(model.tokenizer());
  std::vector<int32_t> generated;
  if (prompt.empty() || steps <= 0)
    return generated;
  int64_t pos = 0;
  int32_t token = prompt[0];
  while (int64_t(generated.size()) < steps) {
    llvm::Expected<llvm::MutableArrayRef<float>> logits =
        model.forward(token, pos);
    if (!logits)
      return logits.takeError();
    ++pos;
    if (pos < int64_t(prompt.size())) {
      token = prompt[pos];
      continue;
    }
    token = int32_t(argmax(*logits));
    generated.push_back(token);
    if (token == bos || token == eos)
      break;
  }
  return generated;
}

std::optional<int64_t> llmc::eval::firstDivergence(llvm::ArrayRef<int32_t> a,
                                                   llvm::ArrayRef<int32_t> b) {
  size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i)
    if (a[i] != b[i])
      return int64_t(i);
  if (a.size() != b.size())
    return int64_t(common);
  return std::nullopt;
}

llvm::Expected<GreedyComparison>
llmc::eval::compareGreedy(HostModel &reference, HostModel &candidate,
                          llvm::ArrayRef<int32_t> prompt, int64_t steps) {
  GreedyComparison result;
  result.prompt.assign(prompt.begin(), prompt.end());
  int64_t room = std::min(reference.maxSeqLen(), candidate.maxSeqLen()) -
                 int64_t(prompt.size()) + 1;
  steps = std::max<int64_t>(0, std::min(steps, room));
  result.steps = steps;
  llvm::Expected<std::vector<int32_t>> r =
      generateGreedy(reference, prompt, steps);
  if (!r)
    return r.takeError();
  llvm::Expected<std::vector<int32_t>> c =
      generateGreedy(candidate, prompt, steps);
  if (!c)
    return c.takeError();
  result.reference = std::move(*r);
  result.candidate = std::move(*c);
  result.firstDivergence = firstDivergence(result.reference, result.candidate);
  return result;
}
