//===- MetricsTest.cpp - Tests of the paired quality metrics ----*- C++ -*-===//
//
// Known values of log-softmax, KL divergence, perplexity, percentiles and the
// quality bands (llmc/Eval/Metrics.h).
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Metrics.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace llmc::eval;

namespace {

std::vector<double> logSoftmaxOf(const std::vector<float> &logits) {
  std::vector<double> out(logits.size());
  logSoftmax(logits, out);
  return out;
}

TEST(LogSoftmax, SumsToOneAndMatchesByHand) {
  std::vector<double> lp = logSoftmaxOf({1.0f, 2.0f, 3.0f});
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(lp[0], 1.0 - std::log(z), 1e-15);
  EXPECT_NEAR(lp[2], 3.0 - std::log(z), 1e-15);
  double sum = 0;
  for (double x : lp)
    sum += std::exp(x);
  EXPECT_NEAR(sum, 1.0, 1e-15);
}

TEST(LogSoftmax, LargeLogitsDoNotOverflow) {
  // exp(1000) overflows a double; the shift by the maximum keeps it exact.
  std::vector<double> lp = logSoftmaxOf({1000.0f, 1000.0f, 0.0f});
  EXPECT_NEAR(lp[0], -std::log(2.0), 1e-12);
  EXPECT_NEAR(lp[1], -std::log(2.0), 1e-12);
  EXPECT_TRUE(std::isfinite(lp[2]));
  EXPECT_LT(lp[2], -999.0);
}

TEST(KLDivergence, IdenticalDistributionsAreZero) {
  std::vector<double> lp = logSoftmaxOf({0.5f, -1.25f, 3.0f, 2.0f, -7.0f});
  EXPECT_EQ(klDivergence(lp, lp), 0.0);
}

TEST(KLDivergence, ShiftedLogitsAreTheSameDistribution) {
  // Softmax is invariant to adding a constant to every logit.
  std::vector<double> p = logSoftmaxOf({0.5f, -1.25f, 3.0f});
  std::vector<double> q = logSoftmaxOf({10.5f, 8.75f, 13.0f});
  EXPECT_NEAR(klDivergence(p, q), 0.0, 1e-14);
}

TEST(KLDivergence, TwoPointDistributionByHand) {
  // P = (1/2, 1/2), Q = (1/4, 3/4): KL = 1/2 log 2 + 1/2 log(2/3).
  std::vector<double> p = {std::log(0.5), std::log(0.5)};
  std::vector<double> q = {std::log(0.25), std::log(0.75)};
  double expected = 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0);
  EXPECT_NEAR(klDivergence(p, q), expected, 1e-15);
  // Not symmetric: KL(Q || P) = 1/4 log(1/2) + 3/4 log(3/2).
  double reverse = 0.25 * std::log(0.5) + 0.75 * std::log(1.5);
  EXPECT_NEAR(klDivergence(q, p), reverse, 1e-15);
}

TEST(KLDivergence, FromLogits) {
  // Logits (0, log 3) are Q = (1/4, 3/4); uniform logits are P = (1/2, 1/2).
  std::vector<double> p = logSoftmaxOf({0.0f, 0.0f});
  std::vector<double> q = logSoftmaxOf({0.0f, float(std::log(3.0))});
  double expected = 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0);
  EXPECT_NEAR(klDivergence(p, q), expected, 1e-7);
}

TEST(KLDivergence, ZeroProbabilityTermsContributeNothing) {
  std::vector<double> p = {0.0, -INFINITY};
  std::vector<double> q = {std::log(0.5), std::log(0.5)};
  EXPECT_NEAR(klDivergence(p, q), std::log(2.0), 1e-15);
}

TEST(Argmax, FirstMaximumWins) {
  EXPECT_EQ(argmax(std::vector<float>{1, 3, 2}), 1);
  EXPECT_EQ(argmax(std::vector<float>{5, 1, 5}), 0);
  EXPECT_EQ(argmax(std::vector<float>{-2, -1, -1}), 1);
  EXPECT_EQ(argmax(std::vector<float>{7}), 0);
}

TEST(Percentile, LinearInterpolationBetweenRanks) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i)
    v.push_back(i);
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 100);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 50.5);
  EXPECT_NEAR(percentile(v, 99), 99.01, 1e-12);
  // Order does not matter.
  std::vector<double> shuffled = {3, 1, 4, 2};
  EXPECT_DOUBLE_EQ(percentile(shuffled, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile(shuffled, 100), 4);
}

TEST(Percentile, SmallInputs) {
  EXPECT_EQ(percentile({}, 99), 0);
  EXPECT_EQ(percentile({42}, 0), 42);
  EXPECT_EQ(percentile({42}, 99), 42);
  EXPECT_DOUBLE_EQ(percentile({0, 10}, 99), 9.9);
}

TEST(Perplexity, UniformDistributionIsTheVocabularySize) {
  const int64_t vocab = 512;
  std::vector<float> uniform(vocab, 0.25f);
  PairedMetrics metrics(vocab);
  for (int32_t t = 0; t < 10; ++t)
    metrics.add(uniform, uniform, t * 37 % vocab);
  QualitySummary s = metrics.summarize();
  EXPECT_EQ(s.positions, 10);
  EXPECT_NEAR(s.referencePPL, double(vocab), 1e-9);
  EXPECT_NEAR(s.candidatePPL, double(vocab), 1e-9);
  EXPECT_EQ(s.klMax, 0.0);
  EXPECT_EQ(s.sameTop1Percent, 100.0);
}

TEST(Perplexity, ByHand) {
  EXPECT_EQ(perplexity(0, 0), 0);
  EXPECT_NEAR(perplexity(3 * std::log(4.0), 3), 4.0, 1e-12);
}

TEST(PairedMetrics, IdenticalModels) {
  std::vector<float> a = {2.0f, 1.0f, 0.5f, -1.0f};
  std::vector<float> b = {0.0f, 3.0f, 0.5f, 1.0f};
  PairedMetrics metrics(4);
  metrics.add(a, a, 0);
  metrics.add(b, b, 2);
  QualitySummary s = metrics.summarize();
  EXPECT_EQ(s.klMean, 0.0);
  EXPECT_EQ(s.klP99, 0.0);
  EXPECT_EQ(s.klMax, 0.0);
  EXPECT_EQ(s.pplRatio, 1.0);
  EXPECT_EQ(s.deltaPPLPercent, 0.0);
  EXPECT_EQ(s.sameTop1Percent, 100.0);
  EXPECT_EQ(classifyQuality(s), QualityBand::Lossless);
}

TEST(PairedMetrics, KnownDifference) {
  // Position 1: P = (1/2, 1/2), Q = (1/4, 3/4), target 0: -log p = log 2,
  // -log q = log 4. Position 2: identical, target 1. Top-1 agrees only at
  // position 2 (P's tie goes to index 0, Q's maximum is index 1).
  float l3 = float(std::log(3.0));
  PairedMetrics metrics(2);
  metrics.add(std::vector<float>{0, 0}, std::vector<float>{0, l3}, 0);
  metrics.add(std::vector<float>{1, 2}, std::vector<float>{1, 2}, 1);
  QualitySummary s = metrics.summarize();
  double kl1 = 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0);
  EXPECT_NEAR(s.klMean, kl1 / 2, 1e-7);
  EXPECT_NEAR(s.klMax, kl1, 1e-7);
  EXPECT_NEAR(s.klP99, 0.99 * kl1, 1e-7);
  double nll2 = -std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0)));
  EXPECT_NEAR(s.referencePPL, std::exp((std::log(2.0) + nll2) / 2), 1e-6);
  EXPECT_NEAR(s.candidatePPL, std::exp((std::log(4.0) + nll2) / 2), 1e-6);
  EXPECT_NEAR(s.pplRatio, std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(s.deltaPPLPercent, (std::sqrt(2.0) - 1) * 100, 1e-4);
  EXPECT_EQ(s.sameTop1Percent, 50.0);
  EXPECT_EQ(classifyQuality(s), QualityBand::Beyond);
}

TEST(QualityBands, Boundaries) {
  QualitySummary s;
  s.positions = 1;
  s.klMean = 0.00136;
  s.deltaPPLPercent = 0.003;
  s.sameTop1Percent = 97.7;
  EXPECT_EQ(classifyQuality(s), QualityBand::Lossless); // llama.cpp q8_0
  s.sameTop1Percent = 97.0;
  EXPECT_EQ(classifyQuality(s), QualityBand::NearLossless);
  s = {};
  s.klMean = 0.0313;
  s.deltaPPLPercent = 2.8;
  s.sameTop1Percent = 91.9;
  EXPECT_EQ(classifyQuality(s), QualityBand::LossyUsable); // q4_K_M
  s.klMean = 0.0719;
  s.deltaPPLPercent = 7.5;
  EXPECT_EQ(classifyQuality(s), QualityBand::LossyUsable); // q4_0
  s.deltaPPLPercent = -9;
  EXPECT_EQ(classifyQuality(s), QualityBand::Beyond); // |dPPL| counts
  s = {};
  s.klMean = 0.02;
  s.deltaPPLPercent = 1;
  s.sameTop1Percent = 95;
  EXPECT_EQ(classifyQuality(s), QualityBand::Good4Bit);
  EXPECT_EQ(qualityBandKey(QualityBand::Good4Bit), "good-4bit");
  EXPECT_EQ(qualityBandName(QualityBand::LossyUsable), "lossy but usable");
}

} // namespace
