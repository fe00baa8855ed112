//===- Metrics.h - Paired quality metrics of two models ---------*- C++ -*-===//
//
// The numbers a compressed model is judged by (docs/evaluation.md,
// compression.md's protocol): perplexity of each model, the KL divergence
// KL(P_ref || P_cand) of their next-token distributions (mean, 99th
// percentile, max), and how often both pick the same most likely token. Pure
// arithmetic on logits, in double precision; no model, no I/O.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_METRICS_H
#define LLMC_EVAL_METRICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace llmc::eval {

/// Writes log(softmax(logits)) to `out` (same size), in double:
/// x_i - max - log(sum_j exp(x_j - max)). Logits must be finite.
void logSoftmax(llvm::ArrayRef<float> logits,
                llvm::MutableArrayRef<double> out);

/// KL(P || Q) = sum_i p_i (log p_i - log q_i) in nats, from log-probabilities
/// (logSoftmax). Terms with p_i == 0 contribute nothing. Clamped at 0 (the
/// exact value is never negative; rounding can make it -1e-17).
double klDivergence(llvm::ArrayRef<double> logP, llvm::ArrayRef<double> logQ);

/// Index of the largest value; the first one on ties (llmc_argmax's rule).
int64_t argmax(llvm::ArrayRef<float> values);

/// The p-th percentile (0 <= p <= 100) of `values` with linear
/// interpolation between the closest ranks (numpy's default): rank
/// p/100 * (n-1) of the sorted values. 0 for no values.
double percentile(std::vector<double> values, double p);

/// exp(sumNegLogLikelihood / count); 0 for count == 0.
double perplexity(double sumNegLogLikelihood, int64_t count);

/// The paired metrics of a reference and a candidate over the same
/// positions.
struct QualitySummary {
  int64_t positions = 0;      ///< Scored positions (predictions).
  double referencePPL = 0;    ///< exp(mean -log p_ref(next token)).
  double candidatePPL = 0;    ///< exp(mean -log p_cand(next token)).
  double pplRatio = 0;        ///< candidatePPL / referencePPL.
  double deltaPPLPercent = 0; ///< (pplRatio - 1) * 100.
  double klMean = 0;          ///< Mean KL(P_ref || P_cand), nats.
  double klP99 = 0;           ///< 99th percentile of the per-position KL.
  double klMax = 0;           ///< Largest per-position KL.
  double sameTop1Percent = 0; ///< Positions where both argmaxes agree.
};

/// Accumulates per-position metrics of two models run on the same tokens.
class PairedMetrics {
public:
  explicit PairedMetrics(int64_t vocabSize);

  /// Adds one position: both models' logits (vocabSize each, finite) and
  /// the token that actually follows (0 <= target < vocabSize).
  void add(llvm::ArrayRef<float> referenceLogits,
           llvm::ArrayRef<float> candidateLogits, int32_t target);

  int64_t positions() const { return int64_t(kl.size()); }
  QualitySummary summarize() const;

private:
  double referenceNLL = 0, candidateNLL = 0;
  int64_t sameTop1 = 0;
  std::vector<double> kl;
  std::vector<double> logP, logQ; // scratch, vocabSize each
};

/// compression.md's quality bands (llama.cpp's tables, Llama-3-8B vs f16):
/// the best band whose every bound the summary meets.
///
/// | band             | mean KL  | |dPPL|  | same top-1 |
/// | lossless         | <= 0.002 | <= 0.1% | >= 97.5%   |
/// | near-lossless    | <= 0.006 | <= 0.5% | >= 96%     |
/// | good 4-bit       | <= 0.03  | <= 3%   | >= 92%     |
/// | lossy but usable | <= 0.08  | <= 8%   |            |
/// | beyond the bands | otherwise                       |
enum class QualityBand {
  Lossless,
  NearLossless,
  Good4Bit,
  LossyUsable,
  Beyond
};

QualityBand classifyQuality(const QualitySummary &summary);

/// Stable key of a band: "lossless", "near-lossless", "good-4bit",
/// "lossy-usable", "beyond-bands".
llvm::StringRef qualityBandKey(QualityBand band);

/// Human-readable name: "lossless", ..., "lossy but usable", "beyond the
/// bands".
llvm::StringRef qualityBandName(QualityBand band);

} // namespace llmc::eval

#endif // LLMC_EVAL_METRICS_H
