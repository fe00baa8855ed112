// Tests of the sampler: greedy, seeded reproducibility, top-k and top-p.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "llmc/runtime.h"
#include "runtime_test_util.h"

namespace {

using llmc_test::Consume;
using llmc_test::SamplerPtr;
using llmc_test::TestAllocator;

SamplerPtr MakeSampler(int32_t vocab_size, float temperature, float top_p,
                       int32_t top_k, uint64_t seed) {
  llmc_sampler_params_t params = {temperature, top_p, top_k, seed};
  llmc_sampler_t *sampler = nullptr;
  EXPECT_TRUE(llmc_test::IsOk(llmc_sampler_create(
      vocab_size, &params, llmc_allocator_system(), &sampler)));
  return SamplerPtr(sampler);
}

int32_t Sample(llmc_sampler_t *sampler, std::vector<float> logits) {
  int32_t token = -1;
  EXPECT_TRUE(
      llmc_test::IsOk(llmc_sampler_sample(sampler, logits.data(), &token)));
  return token;
}

/// Logits whose softmax is `probs`.
std::vector<float> LogitsOf(const std::vector<float> &probs) {
  std::vector<float> logits;
  for (float p : probs)
    logits.push_back(std::log(p));
  return logits;
}

/// Counts of each token over `draws` samples.
std::vector<int> Histogram(llmc_sampler_t *sampler,
                           const std::vector<float> &logits, int draws) {
  std::vector<int> counts(logits.size());
  for (int i = 0; i < draws; ++i)
    ++counts[Sample(sampler, logits)];
  return counts;
}

TEST(SamplerTest, DefaultParams) {
  llmc_sampler_params_t params = llmc_sampler_params_default();
  EXPECT_EQ(params.temperature, 1.0f);
  EXPECT_FLOAT_EQ(params.top_p, 0.9f);
  EXPECT_EQ(params.top_k, 0);
}

TEST(SamplerTest, GreedyIsArgmax) {
  SamplerPtr sampler = MakeSampler(5, 0.0f, 0.9f, 0, 1);
  EXPECT_EQ(Sample(sampler.get(), {0.1f, 3.0f, -2.0f, 2.9f, 1.0f}), 1);
  EXPECT_EQ(Sample(sampler.get(), {-5.0f, -4.0f, -3.0f, -2.0f, -1.0f}), 4);
  // Ties: the first one.
  EXPECT_EQ(Sample(sampler.get(), {1.0f, 7.0f, 7.0f, 0.0f, 7.0f}), 1);
}

TEST(SamplerTest, ArgmaxSkipsNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float values[] = {nan, 1.0f, nan, 2.0f};
  EXPECT_EQ(llmc_argmax(values, 4), 3);
  const float all_nan[] = {nan, nan};
  EXPECT_EQ(llmc_argmax(all_nan, 2), 0);
  EXPECT_EQ(llmc_argmax(values, 0), 0);
}

TEST(SamplerTest, RandomGeneratorIsXorshiftStar) {
  // With 256 equal logits the multinomial sample is the top 8 bits of each
  // xorshift* output: a reference sequence for seed 42 computed outside.
  SamplerPtr sampler = MakeSampler(256, 1.0f, 1.0f, 0, 42);
  std::vector<float> logits(256, 0.5f);
  const int32_t expected[] = {86, 200, 202, 241, 195, 213, 52, 112,
                              77, 172, 108, 87,  224, 48,  18, 156};
  for (int32_t token : expected)
    EXPECT_EQ(Sample(sampler.get(), logits), token);
  // Seed 0 is replaced by a fixed nonzero constant.
  SamplerPtr zero = MakeSampler(256, 1.0f, 1.0f, 0, 0);
  const int32_t expected_zero[] = {13, 84, 168, 125, 144, 157, 213, 103};
  for (int32_t token : expected_zero)
    EXPECT_EQ(Sample(zero.get(), logits), token);
}

TEST(SamplerTest, SameSeedSameTokens) {
  std::vector<float> logits = {0.5f, 1.0f, 0.2f, 0.9f, 1.1f, 0.0f, 0.7f};
  for (float top_p : {0.0f, 0.9f}) {
    for (int32_t top_k : {0, 3}) {
      SamplerPtr a = MakeSampler(7, 0.8f, top_p, top_k, 1234);
      SamplerPtr b = MakeSampler(7, 0.8f, top_p, top_k, 1234);
      SamplerPtr c = MakeSampler(7, 0.8f, top_p, top_k, 99);
      std::vector<int32_t> sa, sb, sc;
      for (int i = 0; i < 200; ++i) {
        sa.push_back(Sample(a.get(), logits));
        sb.push_back(Sample(b.get(), logits));
        sc.push_back(Sample(c.get(), logits));
      }
      EXPECT_EQ(sa, sb);
      EXPECT_NE(sa, sc);
    }
  }
}

TEST(SamplerTest, TemperatureOneFollowsSoftmax) {
  SamplerPtr sampler = MakeSampler(4, 1.0f, 1.0f, 0, 7);
  std::vector<int> counts =
      Histogram(sampler.get(), LogitsOf({0.4f, 0.3f, 0.2f, 0.1f}), 20000);
  EXPECT_NEAR(counts[0] / 20000.0, 0.4, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.3, 0.02);
  EXPECT_NEAR(counts[2] / 20000.0, 0.2, 0.02);
  EXPECT_NEAR(counts[3] / 20000.0, 0.1, 0.02);
}

TEST(SamplerTest, LowTemperatureSharpens) {
  SamplerPtr sampler = MakeSampler(4, 0.1f, 1.0f, 0, 7);
  std::vector<int> counts =
      Histogram(sampler.get(), LogitsOf({0.4f, 0.3f, 0.2f, 0.1f}), 2000);
  EXPECT_GT(counts[0], 1800); // (4/3)^10 ~ 18: token 0 takes ~94%.
}

TEST(SamplerTest, TopPKeepsTheNucleus) {
  // Sorted probabilities 0.5, 0.3, 0.15, 0.05: the cumulative mass first
  // exceeds 0.7 at the second token, so only tokens 2 and 0 (the two most
  // likely, given out of order) may be drawn, in ratio 5:3.
  SamplerPtr sampler = MakeSampler(4, 1.0f, 0.7f, 0, 11);
  std::vector<int> counts =
      Histogram(sampler.get(), LogitsOf({0.3f, 0.15f, 0.5f, 0.05f}), 8000);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[3], 0);
  EXPECT_NEAR(counts[2] / 8000.0, 0.625, 0.03);
  EXPECT_NEAR(counts[0] / 8000.0, 0.375, 0.03);
}

TEST(SamplerTest, TopPOfOneOrZeroSamplesEverything) {
  for (float top_p : {0.0f, 1.0f}) {
    SamplerPtr sampler = MakeSampler(4, 1.0f, top_p, 0, 5);
    std::vector<int> counts =
        Histogram(sampler.get(), LogitsOf({0.3f, 0.15f, 0.5f, 0.05f}), 8000);
    for (int count : counts)
      EXPECT_GT(count, 200);
  }
}

TEST(SamplerTest, TopKKeepsTheKMostLikely) {
  SamplerPtr sampler = MakeSampler(6, 1.0f, 1.0f, 2, 3);
  std::vector<int> counts = Histogram(
      sampler.get(), LogitsOf({0.1f, 0.25f, 0.05f, 0.35f, 0.15f, 0.1f}), 6000);
  EXPECT_EQ(counts[0] + counts[2] + counts[4] + counts[5], 0);
  // Renormalized: 0.35 / 0.6 and 0.25 / 0.6.
  EXPECT_NEAR(counts[3] / 6000.0, 0.35 / 0.6, 0.03);
  EXPECT_NEAR(counts[1] / 6000.0, 0.25 / 0.6, 0.03);
}

TEST(SamplerTest, TopKThenTopP) {
  // Top-3 of {0.4, 0.3, 0.2, 0.1} renormalized: 4/9, 3/9, 2/9; the nucleus
  // of 0.5 stops at the second (7/9 > 0.5).
  SamplerPtr sampler = MakeSampler(4, 1.0f, 0.5f, 3, 3);
  std::vector<int> counts =
      Histogram(sampler.get(), LogitsOf({0.4f, 0.3f, 0.2f, 0.1f}), 4000);
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_GT(counts[0], counts[1]);
}

TEST(SamplerTest, TopKOfOneIsGreedy) {
  SamplerPtr sampler = MakeSampler(5, 1.5f, 0.9f, 1, 3);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(Sample(sampler.get(), {0.1f, 0.2f, 0.3f, 0.25f, 0.0f}), 2);
}

TEST(SamplerTest, LargeVocabTopK) {
  const int32_t n = 32000;
  std::vector<float> logits(n);
  for (int32_t i = 0; i < n; ++i)
    logits[i] = static_cast<float>((i * 7919) % n) / 1000.0f;
  // The 5 largest are the i with (i * 7919) % n in [n-5, n).
  SamplerPtr sampler = MakeSampler(n, 1.0f, 1.0f, 5, 17);
  for (int i = 0; i < 100; ++i) {
    int32_t token = Sample(sampler.get(), logits);
    EXPECT_GE((token * 7919) % n, n - 5);
  }
}

TEST(SamplerTest, InvalidParams) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const llmc_sampler_params_t bad[] = {
      {-1.0f, 0.9f, 0, 1}, {nan, 0.9f, 0, 1}, {1.0f, 1.5f, 0, 1},
      {1.0f, -0.1f, 0, 1}, {1.0f, nan, 0, 1}, {1.0f, 0.9f, -1, 1},
  };
  for (const llmc_sampler_params_t &params : bad) {
    llmc_sampler_t *sampler = nullptr;
    EXPECT_EQ(Consume(llmc_sampler_create(10, &params, llmc_allocator_system(),
                                          &sampler))
                  .code,
              LLMC_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(sampler, nullptr);
  }
  llmc_sampler_params_t params = llmc_sampler_params_default();
  llmc_sampler_t *sampler = nullptr;
  EXPECT_EQ(Consume(llmc_sampler_create(0, &params, llmc_allocator_system(),
                                        &sampler))
                .code,
            LLMC_STATUS_INVALID_ARGUMENT);
}

TEST(SamplerTest, UsesTheInjectedAllocator) {
  TestAllocator allocator;
  llmc_sampler_params_t params = llmc_sampler_params_default();
  llmc_sampler_t *sampler = nullptr;
  LLMC_ASSERT_OK(llmc_sampler_create(100, &params, allocator.get(), &sampler));
  EXPECT_EQ(allocator.live(), 2);
  llmc_sampler_retain(sampler);
  llmc_sampler_release(sampler);
  EXPECT_EQ(allocator.live(), 2);
  llmc_sampler_release(sampler);
  EXPECT_EQ(allocator.live(), 0);
  allocator.FailAfter(allocator.allocs() + 1);
  EXPECT_EQ(
      Consume(llmc_sampler_create(100, &params, allocator.get(), &sampler))
          .code,
      LLMC_STATUS_RESOURCE_EXHAUSTED);
  EXPECT_EQ(allocator.live(), 0);
}

} // namespace
