//===- ChunkingTest.cpp - Tests of token chunks and divergence --*- C++ -*-===//
//
// splitIntoChunks (TokenSets.h) and firstDivergence (Evaluator.h): the pure
// pieces of the evaluator around the models.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/Evaluator.h"
#include "llmc/Eval/TokenSets.h"

#include "gtest/gtest.h"

#include <numeric>
#include <vector>

using namespace llmc::eval;

namespace {

std::vector<int32_t> iota(int32_t n) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(SplitIntoChunks, ConsecutiveChunksAndAShorterLastOne) {
  auto chunks = splitIntoChunks(iota(10), 4);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(chunks[1], (std::vector<int32_t>{4, 5, 6, 7}));
  EXPECT_EQ(chunks[2], (std::vector<int32_t>{8, 9}));
}

TEST(SplitIntoChunks, ALastSingleTokenPredictsNothing) {
  auto chunks = splitIntoChunks(iota(9), 4);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].back(), 7);
  EXPECT_TRUE(splitIntoChunks(iota(1), 4).empty());
  EXPECT_TRUE(splitIntoChunks({}, 4).empty());
}

TEST(SplitIntoChunks, MaxChunks) {
  EXPECT_EQ(splitIntoChunks(iota(100), 8, 3).size(), 3u);
  EXPECT_EQ(splitIntoChunks(iota(100), 8, 0).size(), 13u);
  EXPECT_EQ(splitIntoChunks(iota(100), 8, 50).size(), 13u);
}

TEST(FirstDivergence, Cases) {
  using V = std::vector<int32_t>;
  EXPECT_EQ(firstDivergence(V{1, 2, 3}, V{1, 2, 3}), std::nullopt);
  EXPECT_EQ(firstDivergence(V{}, V{}), std::nullopt);
  EXPECT_EQ(firstDivergence(V{1, 2, 3}, V{1, 5, 3}), 1);
  EXPECT_EQ(firstDivergence(V{4}, V{5}), 0);
  // A sequence that stopped early differs where the other goes on.
  EXPECT_EQ(firstDivergence(V{1, 2}, V{1, 2, 3}), 2);
  EXPECT_EQ(firstDivergence(V{1, 2, 3}, V{1}), 1);
}

} // namespace
