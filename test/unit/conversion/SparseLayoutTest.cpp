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
