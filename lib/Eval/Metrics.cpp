//===- Metrics.cpp - Paired quality metrics of two models -------*- C++ -*-===//
//
// Log-softmax, KL divergence, perplexity, percentiles and quality bands, in
// double precision.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Metrics.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace llmc::eval;

void llmc::eval::logSoftmax(llvm::ArrayRef<float> logits,
                            llvm::MutableArrayRef<double> out) {
  assert(logits.size() == out.size() && !logits.empty());
  /// Shift by the maximum so that every exp() is at most 1 and the sum is
  /// in [1, n]: no overflow, and the largest term is exact.
  double max = logits[0];
  for (float x : logits)
    max = std::max(max, double(x));
  double sum = 0;
  for (float x : logits)
    sum += std::exp(double(x) - max);
  double logSum = std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i)
    out[i] = double(logits[i]) - max - logSum;
}

double llmc::eval::klDivergence(llvm::ArrayRef<double> logP,
                                llvm::ArrayRef<double> logQ) {
  assert(logP.size() == logQ.size());
  double kl = 0;
  for (size_t i = 0; i < logP.size(); ++i) {
    double p = std::exp(logP[i]);
    if (p == 0)
      continue; // 0 * log(0 / q) = 0
    kl += p * (logP[i] - logQ[i]);
  }
  return std::max(kl, 0.0);
}

int64_t llmc::eval::argmax(llvm::ArrayRef<float> values) {
  int64_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best])
      best = int64_t(i);
  return best;
}

double llmc::eval::percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  double rank = std::clamp(p, 0.0, 100.0) / 100.0 * double(values.size() - 1);
  size_t lower = size_t(std::floor(rank));
  size_t upper = std::min(lower + 1, values.size() - 1);
  double fraction = rank - double(lower);
  return values[lower] + fraction * (values[upper] - values[lower]);
}

double llmc::eval::perplexity(double sumNegLogLikelihood, int64_t count) {
  if (count == 0)
    return 0;
  return std::exp(sumNegLogLikelihood / double(count));
}

PairedMetrics::PairedMetrics(int64_t vocabSize)
    : logP(vocabSize), logQ(vocabSize) {}

void PairedMetrics::add(llvm::ArrayRef<float> referenceLogits,
                        llvm::ArrayRef<float> candidateLogits, int32_t target) {
  assert(referenceLogits.size() == logP.size() &&
         candidateLogits.size() == logQ.size());
  assert(target >= 0 && size_t(target) < logP.size());
  logSoftmax(referenceLogits, logP);
  logSoftmax(candidateLogits, logQ);
  referenceNLL -= logP[target];
  candidateNLL -= logQ[target];
  kl.push_back(klDivergence(logP, logQ));
  if (argmax(referenceLogits) == argmax(candidateLogits))
    ++sameTop1;
}

QualitySummary PairedMetrics::summarize() const {
  QualitySummary s;
  s.positions = positions();
  if (s.positions == 0)
    return s;
  s.referencePPL = perplexity(referenceNLL, s.positions);
  s.candidatePPL = perplexity(candidateNLL, s.positions);
  s.pplRatio = s.candidatePPL / s.referencePPL;
  s.deltaPPLPercent = (s.pplRatio - 1) * 100;
  double sum = 0;
  for (double k : kl)
    sum += k;
  s.klMean = sum / double(s.positions);
  s.klP99 = percentile(kl, 99);
  s.klMax = *std::max_element(kl.begin(), kl.end());
  s.sameTop1Percent = 100.0 * double(sameTop1) / double(s.positions);
  return s;
}

QualityBand llmc::eval::classifyQuality(const QualitySummary &s) {
  struct Bound {
    QualityBand band;
    double klMean, deltaPPLPercent, sameTop1Percent;
  };
  static const Bound bounds[] = {
      {QualityBand::Lossless, 0.002, 0.1, 97.5},
      {QualityBand::NearLossless, 0.006, 0.5, 96},
      {QualityBand::Good4Bit, 0.03, 3, 92},
      {QualityBand::LossyUsable, 0.08, 8, 0},
  };
  for (const Bound &b : bounds)
    if (s.klMean <= b.klMean &&
        std::fabs(s.deltaPPLPercent) <= b.deltaPPLPercent &&
        s.sameTop1Percent >= b.sameTop1Percent)
      return b.band;
  return QualityBand::Beyond;
}

llvm::StringRef llmc::eval::qualityBandKey(QualityBand band) {
  switch (band) {
  case QualityBand::Lossless:
    return "lossless";
  case QualityBand::NearLossless:
    return "near-lossless";
  case QualityBand::Good4Bit:
    return "good-4bit";
  case QualityBand::LossyUsable:
    return "lossy-usable";
  case QualityBand::Beyond:
    return "beyond-bands";
  }
  llvm_unreachable("unknown quality band");
}

llvm::StringRef llmc::eval::qualityBandName(QualityBand band) {
  switch (band) {
  case QualityBand::Lossless:
    return "lossless";
  case QualityBand::NearLossless:
    return "near-lossless";
  case QualityBand::Good4Bit:
    return "good 4-bit";
  case QualityBand::LossyUsable:
    return "lossy but usable";
  case QualityBand::Beyond:
    return "beyond the bands";
  }
  llvm_unreachable("unknown quality band");
}
