//===- SparseLayoutTest.cpp - The 2:4 sparse device layout ------*- C++ -*-===//
//
// Packs rows into the 2:4 sparse layout of DeviceLayout.h and decodes them
// back by the layout's documented rules (slot order, 2-bit codes, nibbles):
// every kept value lands on its input, padding is zero, and a group with
// three nonzeros is refused.
//
//===----------------------------------------------------------------------===//

#include "llmc/Conversion/DeviceLayout.h"

#include "gtest/gtest.h"

#include <random>
#include <vector>

using namespace llmc;

namespace {
/// A row of `cols` quants with at most 2 nonzeros (!= zero) per group of 4,
/// some groups with fewer.
std::vector<uint8_t> randomSparseRow(uint64_t cols, uint8_t zero, bool nibbles,
                                     std::mt19937 &rng) {
  std::vector<uint8_t> row(cols, zero);
  for (uint64_t g = 0; g < cols; g += 4) {
    int keep = static_cast<int>(rng() % 3); // 0, 1 or 2 nonzeros
    for (int k = 0; k < keep; ++k) {
      uint8_t v;
      do
        v = static_cast<uint8_t>(rng() % (nibbles ? 16 : 256));
      while (v == zero);
      row[g + rng() % 4] = v;
    }
  }
  return row;
}

/// Decodes a packed row by the layout's rules into dense quants.
std::vector<uint8_t> decodeRow(const uint8_t *index, const uint8_t *values,
                               uint64_t cols, uint8_t zero, bool nibbles) {
  std::vector<uint8_t> row(cols, zero);
  for (uint64_t p = 0; p < getSparsePairs(cols); ++p)
    for (int j = 0; j < 32; ++j) {
      int half = j / 16, i = j % 16;
      uint64_t block = 2 * p + (i >= 8 ? 1 : 0);
      int kept = 8 * half + i % 8;
      int code = (index[p * 8 + j % 8] >> (2 * (j / 8))) & 3;
      uint8_t v = nibbles
                      ? static_cast<uint8_t>(
                            (values[p * 16 + j % 16] >> (j < 16 ? 0 : 4)) & 0xF)
                      : values[p * 32 + j];
      uint64_t col = block * 32 + 4 * (kept / 2) + code;
      if (block >= cols / 32) {
        EXPECT_EQ(v, zero) << "padding slot " << j;
        continue;
      }
      if (v != zero) {
        EXPECT_EQ(row[col], zero) << "two slots on input " << col;
        row[col] = v;
      }
    }
  return row;
}

void roundTrip(uint64_t cols, bool nibbles) {
  std::mt19937 rng(static_cast<unsigned>(cols * 2 + nibbles));
  uint8_t zero = nibbles ? 8 : 0;
  uint64_t pairs = getSparsePairs(cols);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<uint8_t> row = randomSparseRow(cols, zero, nibbles, rng);
    std::vector<uint8_t> index(pairs * 8), values(pairs * (nibbles ? 16 : 32));
    ASSERT_TRUE(packSparseRow(row.data(), cols, zero, nibbles, index.data(),
                              values.data()));
    EXPECT_EQ(decodeRow(index.data(), values.data(), cols, zero, nibbles), row);
  }
}
} // namespace

TEST(SparseLayout, Int8RoundTrip) {
  roundTrip(64, false);
  roundTrip(320, false);
  roundTrip(224, false); // 7 blocks: the last pair is padded
}

TEST(SparseLayout, Int4RoundTrip) {
  roundTrip(64, true);
  roundTrip(96, true);
}

TEST(SparseLayout, RefusesDenseGroups) {
  std::vector<uint8_t> row(64, 0), index(8), values(32);
  row[5] = row[6] = row[7] = 1;
  EXPECT_FALSE(
      packSparseRow(row.data(), 64, 0, false, index.data(), values.data()));
}

TEST(SparseLayout, Packing) {
  DeviceFormat f;
  f.kind = DeviceFormat::Int8;
  f.group = 32;
  f.sparse = true;
  // 3 rows x 96 inputs: 9 scales, 2 pairs per row.
  DevicePacking p = getDevicePacking(f, 3, 96);
  EXPECT_EQ(p.scalesOffset, 0u);
  EXPECT_EQ(p.indexOffset, 64u);
  EXPECT_EQ(p.dataOffset, 128u);
  EXPECT_EQ(p.totalBytes, 128u + 3 * 2 * 32);
  f.kind = DeviceFormat::Int4;
  EXPECT_EQ(getDevicePacking(f, 3, 96).totalBytes, 128u + 3 * 2 * 16);
}

namespace {
/// Packs a random row group into the interleaved layout and decodes it by
/// the layout's rules (words of 16 rows, codes in bits 2j of byte s, sums
/// of the signed kept quants).
void roundTripGroup(uint64_t cols, bool nibbles) {
  constexpr int64_t R = kInterleaveRows;
  std::mt19937 rng(static_cast<unsigned>(cols * 3 + nibbles));
  uint8_t zero = nibbles ? 8 : 0;
  uint64_t blocks = cols / 32;
  std::vector<uint8_t> rows;
  for (int64_t r = 0; r < R; ++r) {
    std::vector<uint8_t> row = randomSparseRow(cols, zero, nibbles, rng);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  std::vector<uint8_t> index(R * blocks * 4), sums(R * blocks * 2),
      values(R * blocks * 16);
  ASSERT_TRUE(packSparseRowGroup(rows.data(), cols, zero, nibbles, index.data(),
                                 sums.data(), values.data()));
  for (int64_t r = 0; r < R; ++r)
    for (uint64_t blk = 0; blk < blocks; ++blk) {
      std::vector<uint8_t> dense(32, zero);
      int sum = 0;
      for (int k = 0; k < 16; ++k) {
        int j = k / 4, s = k % 4;
        int code = (index[(blk * R + r) * 4 + s] >> (2 * j)) & 3;
        uint8_t v = nibbles
                        ? static_cast<uint8_t>(
                              (values[((blk * 2 + j % 2) * R + r) * 4 + s] >>
                               (j < 2 ? 0 : 4)) &
                              0xF)
                        : values[((blk * 4 + j) * R + r) * 4 + s];
        sum += nibbles ? v - 8 : static_cast<int8_t>(v);
        int input = 4 * (k / 2) + code;
        if (v != zero) {
          EXPECT_EQ(dense[input], zero) << "two slots on input " << input;
          dense[input] = v;
        }
      }
      int stored = static_cast<int16_t>(sums[(blk * R + r) * 2] |
                                        sums[(blk * R + r) * 2 + 1] << 8);
      EXPECT_EQ(stored, -sum) << "row " << r << " block " << blk;
      EXPECT_TRUE(std::equal(dense.begin(), dense.end(),
                             rows.begin() + r * cols + blk * 32))
          << "row " << r << " block " << blk;
    }
}
} // namespace

TEST(SparseLayout, InterleavedRoundTrip) {
  roundTripGroup(64, false);
  roundTripGroup(224, false);
  roundTripGroup(64, true);
  roundTripGroup(96, true);
}

TEST(SparseLayout, InterleavedRefusesDenseGroups) {
  std::vector<uint8_t> rows(kInterleaveRows * 32, 0), index(64), sums(32),
      values(256);
  rows[15 * 32 + 8] = rows[15 * 32 + 9] = rows[15 * 32 + 11] = 3;
  EXPECT_FALSE(packSparseRowGroup(rows.data(), 32, 0, false, index.data(),
                                  sums.data(), values.data()));
}

TEST(SparseLayout, InterleavedPacking) {
  DeviceFormat f;
  f.kind = DeviceFormat::Int8;
  f.group = 32;
  f.sparse = true;
  f.halfScales = true;
  // 32 rows x 96 inputs: 96 f16 scales, 96 blocks.
  DevicePacking p = getDevicePacking(f, 32, 96, kInterleaveRows);
  EXPECT_TRUE(p.halfScales);
  EXPECT_EQ(p.indexOffset, 192u);
  EXPECT_EQ(p.sumsOffset, 192u + 384);
  EXPECT_EQ(p.dataOffset, 576u + 192);
  EXPECT_EQ(p.totalBytes, 768u + 96 * 16);
  f.kind = DeviceFormat::Int4;
  p = getDevicePacking(f, 32, 96, kInterleaveRows);
  EXPECT_EQ(p.dataOffset, 576u + 192);
  EXPECT_EQ(p.totalBytes, 768u + 96 * 8);
}
