//===- DeviceLayout.h - Packed weight layouts on the device -----*- C++ -*-===//
//
// The layout of each weight format in the device weights file. The lowering
// generates code that reads these layouts and the weights writer produces
// them, so both include this header and nothing else decides it.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CONVERSION_DEVICELAYOUT_H
#define LLMC_CONVERSION_DEVICELAYOUT_H

#include "llm/IR/LLMDialect.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace llmc {

/// Alignment of every weight and of the data section in the weights file.
constexpr uint64_t kDeviceAlignment = 64;

inline uint64_t alignTo64(uint64_t v) {
  return (v + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
}

/// What the generated code reads. Every storage format maps to one of four
/// device kinds: the GGUF block formats are integer formats with 32-element
/// groups (q8_0: int8 symmetric, q4_0: int4 symmetric, q4_k: int4
/// asymmetric with the super-block scales folded into per-group f32
/// scales and offsets).
struct DeviceFormat {
  enum Kind : uint32_t { F32, F16, Int8, Int4 } kind = F32;
  int64_t group = 1;       ///< Elements per scale (a divisor of the row).
  bool asymmetric = false; ///< Has a per-group offset: w = s * q + m.
  /// The scales are f16 values (GGUF q8_0 / q4_0 store them so): the
  /// interleaved layout keeps them in f16, exactly.
  bool halfScales = false;
  /// 2:4 sparse rows (symmetric Int8/Int4 only): the compressed layout of
  /// getSparseDevicePacking.
  bool sparse = false;
};

/// The device kind of a storage format for rows of `cols` elements.
inline DeviceFormat getDeviceFormat(llm::FormatAttr format, int64_t cols) {
  DeviceFormat d;
  switch (format.getKind()) {
  case llm::FormatKind::f32:
    d.kind = DeviceFormat::F32;
    break;
  case llm::FormatKind::f16:
    d.kind = DeviceFormat::F16;
    break;
  case llm::FormatKind::q8_0:
  case llm::FormatKind::int8:
    d.kind = DeviceFormat::Int8;
    break;
  case llm::FormatKind::q4_0:
  case llm::FormatKind::q4_k:
  case llm::FormatKind::int4:
    d.kind = DeviceFormat::Int4;
    break;
  }
  d.group = format.getGroupSize(cols);
  d.asymmetric =
      format.getKind() == llm::FormatKind::q4_k || !format.getSymmetric();
  d.halfScales = format.getKind() == llm::FormatKind::q8_0 ||
                 format.getKind() == llm::FormatKind::q4_0;
  return d;
}

/// Where the parts of one packed weight of `rows x cols` logical elements
/// live, relative to the weight's device offset.
///
///   f32:  values  f32[rows][cols]
///   f16:  values  f16[rows][cols]
///   int8: scales  f32[rows][cols/group], (asymmetric) offsets
///         f32[rows][cols/group], then quants i8[rows][cols] (signed when
///         symmetric, unsigned when asymmetric)
///   int4: scales and offsets as int8, then nibbles u8[rows][cols/2]; byte
///         j of every 32 elements holds element j in its low nibble and
///         element j + 16 in its high nibble (as ggml); symmetric nibbles
///         hold q + 8.
/// Each part starts 64-byte aligned.
///
/// Interleaved (`interleave` = R = kInterleaveRows > 1, integer kinds): the
/// rows are taken R at a time (a row group) and every part stores the R rows
/// of a group side by side, so one vector of R 32-bit lanes holds the same
/// 4 consecutive quant bytes of R rows (what a 4-way byte dot product
/// instruction such as vpdpbusd or sdot multiplies with 4 broadcast input
/// bytes):
///   scales / offsets: f32[rows/R][cols/group][R] (scales f16 if the
///                     format's are: DeviceFormat::halfScales)
///   int8 quants:      i8[rows/R][cols/32][8 words][R][4 bytes]; word j of
///                     a block holds its elements 4j .. 4j+3
///   int4 nibbles:     u8[rows/R][cols/32][4 words][R][4 bytes]; word j of
///                     a block holds bytes 4j .. 4j+3 of the row's ggml
///                     order (elements 4j.. in the low nibbles, 16+4j.. in
///                     the high ones)
/// With `wordBytes` = 8 (AArch64 i8mm, whose smmla multiplies 2 rows of 8
/// consecutive quant bytes by 2 input rows of 8 bytes) the words are 8
/// bytes instead of 4: int8 i8[rows/R][cols/32][4 words][R][8 bytes] (word
/// j: elements 8j .. 8j+7), int4 u8[rows/R][cols/32][2 words][R][8 bytes]
/// (word j: bytes 8j .. 8j+7 of the ggml order), so each 16-byte part of a
/// word is one smmla operand (rows 2p and 2p + 1).
/// With `wordBytes` = 1 (RISC-V V) the layout is k-major: int8
/// i8[rows/R][cols/32][32 words][R] (word j: element j of the R rows),
/// int4 u8[rows/R][cols/32][16 words][R] (word j: elements j and 16 + j),
/// one vector load of R bytes per input element and no shuffles.
/// Sizes and part offsets are those of the plain layout.
struct DevicePacking {
  uint64_t scalesOffset = 0; ///< f32 scales (integer kinds).
  uint64_t minsOffset = 0;   ///< f32 offsets (asymmetric kinds).
  uint64_t dataOffset = 0;   ///< Values / quants / nibbles.
  uint64_t totalBytes = 0;   ///< Bytes of the packed weight.
  int64_t interleave = 1;    ///< Rows per interleaved row group (1: plain).
  bool halfScales = false;   ///< f16 scales (interleaved layout only).
  uint64_t indexOffset = 0;  ///< 2-bit positions (sparse kinds).
  uint64_t sumsOffset = 0;   ///< Kept-quant sums (interleaved sparse kinds).
  /// Quant bytes per row in each interleaved word (4; 8 for AArch64 i8mm,
  /// 1 for RISC-V V).
  int64_t wordBytes = 4;
};

inline DevicePacking getSparseDevicePacking(const DeviceFormat &format,
                                            uint64_t rows, uint64_t cols,
                                            int64_t interleave);

/// Rows per row group of the interleaved integer layout.
constexpr int64_t kInterleaveRows = 16;

/// Whether a `rows x cols` weight of `format` can use the interleaved
/// layout: an integer kind, whole row groups and whole 32-element blocks
/// in every scale group (2:4 sparse weights: symmetric ones; whether their
/// kernel exists on the target is the lowering's choice).
inline bool canInterleave(const DeviceFormat &format, uint64_t rows,
                          uint64_t cols) {
  return (format.kind == DeviceFormat::Int8 ||
          format.kind == DeviceFormat::Int4) &&
         !(format.sparse && format.asymmetric) && rows % kInterleaveRows == 0 &&
         cols % 32 == 0 && format.group % 32 == 0;
}

/// The packing of a `rows x cols` weight; `interleave` > 1 (only where
/// canInterleave holds) selects the interleaved layout, with words of
/// `wordBytes` (4 or 8) quant bytes per row.
inline DevicePacking getDevicePacking(const DeviceFormat &format, uint64_t rows,
                                      uint64_t cols, int64_t interleave = 1,
                                      int64_t wordBytes = 4) {
  DevicePacking p;
  p.interleave = interleave;
  p.wordBytes = interleave > 1 ? wordBytes : 4;
  p.halfScales = interleave > 1 && format.halfScales;
  uint64_t n = rows * cols;
  switch (format.kind) {
  case DeviceFormat::F32:
    p.totalBytes = n * 4;
    return p;
  case DeviceFormat::F16:
    p.totalBytes = n * 2;
    return p;
  case DeviceFormat::Int8:
  case DeviceFormat::Int4: {
    if (format.sparse)
      return getSparseDevicePacking(format, rows, cols, interleave);
    uint64_t scaleBytes =
        n / static_cast<uint64_t>(format.group) * (p.halfScales ? 2 : 4);
    p.minsOffset = alignTo64(scaleBytes);
    p.dataOffset =
        format.asymmetric ? alignTo64(p.minsOffset + scaleBytes) : p.minsOffset;
    p.totalBytes =
        p.dataOffset + (format.kind == DeviceFormat::Int8 ? n : n / 2);
    return p;
  }
  }
  return p;
}

//===----------------------------------------------------------------------===//
// 2:4 sparse weights
//===----------------------------------------------------------------------===//
//
// A weight marked #llm.sparsity<2:4> keeps 2 values of every 4 consecutive
// inputs of a row, with their positions in 2-bit codes. Rows are cut into
// 32-input blocks (as the dense formats) and blocks into pairs (A, B) =
// (2p, 2p + 1); a row with an odd number of blocks is padded with a zero
// block. The 32 kept values of a pair are stored in "slot" order: slot j
// (0..31) in half h = j / 16, i = j % 16, belongs to block A if i < 8 and
// to B otherwise, and is kept value k = 8h + i % 8 of its block, i.e. one of
// the 2 kept of the block's 4-input group k / 2 (in input order). Its input
// is 32 * block + 4 * (k / 2) + code. So each 16-slot half reads only 16
// consecutive inputs of A and of B: slot j's input within its block's
// half h is 4 * ((j % 8) / 2) + code, which a byte shuffle inside 128-bit
// lanes (x86 pshufb) gathers directly.
//
//   scales  f32[rows][cols/group]   as the dense format
//   index   u8[rows][pairs][8]      slot j's code in byte j % 8, bits
//                                   2 * (j / 8) (a 64-bit broadcast shifted
//                                   by 0, 2, 4, 6 per quarter expands it)
//   values  int8: i8[rows][pairs][32] in slot order
//           int4: u8[rows][pairs][16], byte i = slot i | slot i + 16 << 4,
//                 nibbles hold q + 8
// each part 64-byte aligned. A group with fewer than 2 nonzeros keeps zero
// values at unused positions; padding slots hold zero quants with code 0.
//
// Interleaved (`interleave` = R = kInterleaveRows; chosen by the lowering
// for targets with the x86 VNNI kernel): rows in row groups of R side by
// side as the dense interleaved layout, per 32-input block. Slot k (0..15)
// of a row's block is its kept value k (selectSparseRow: one of the 2 kept
// of group k / 2, at input 4 * (k / 2) + code). Word j (0..3) of a block
// holds slots 4j .. 4j + 3 of each row: inputs 8j .. 8j + 7 only, which a
// byte shuffle inside 128-bit lanes gathers per row from a broadcast of
// the block's 16-input half j / 2 (index 8 * (j % 2) + 4 * (s / 2) + code
// for byte s of the word).
//
//   scales  as the dense interleaved layout (f16 if halfScales)
//   index   u8[rows/R][cols/32][R][4]  byte s of a row's word holds the
//                                      code of slot 4j + s in bits 2j
//   sums    i16[rows/R][cols/32][R]: minus the sum of the row's 16 kept
//           (signed) quants of the block: a dot product of the quants
//           with the inputs shifted by 128 (unsigned bytes, vpdpbusd)
//           is corrected by adding 128 times it
//   values  int8: i8[rows/R][cols/32][4 words][R][4 bytes], word j byte s
//           = slot 4j + s; int4: u8[rows/R][cols/32][2 words][R][4 bytes],
//           word j byte s = slot 4j + s | slot 8 + 4j + s << 4 (q + 8)
// each part 64-byte aligned.

/// Pairs of 32-input blocks of a row of `cols` inputs.
inline uint64_t getSparsePairs(uint64_t cols) { return (cols / 32 + 1) / 2; }

inline DevicePacking getSparseDevicePacking(const DeviceFormat &format,
                                            uint64_t rows, uint64_t cols,
                                            int64_t interleave) {
  DevicePacking p;
  bool int8 = format.kind == DeviceFormat::Int8;
  if (interleave > 1) {
    uint64_t blocks = rows * (cols / 32);
    p.interleave = interleave;
    p.halfScales = format.halfScales;
    p.indexOffset =
        alignTo64(rows * cols / static_cast<uint64_t>(format.group) *
                  (p.halfScales ? 2 : 4));
    p.minsOffset = p.indexOffset;
    p.sumsOffset = alignTo64(p.indexOffset + blocks * 4);
    p.dataOffset = alignTo64(p.sumsOffset + blocks * 2);
    p.totalBytes = p.dataOffset + blocks * (int8 ? 16 : 8);
    return p;
  }
  uint64_t pairs = getSparsePairs(cols);
  uint64_t scaleBytes = rows * cols / static_cast<uint64_t>(format.group) * 4;
  p.indexOffset = alignTo64(scaleBytes);
  p.minsOffset = p.indexOffset;
  p.dataOffset = alignTo64(p.indexOffset + rows * pairs * 8);
  p.totalBytes = p.dataOffset + rows * pairs * (int8 ? 32 : 16);
  return p;
}

/// The 16 kept quants of each 32-input block of a row of `cols` quants (in
/// input order; `zero` is the quant of 0) and their 2-bit positions: kept
/// value k (slot k) is one of the 2 kept of the block's group of 4 inputs
/// k / 2, nonzero ones first, then zero ones, in input order. Returns false
/// if a group of 4 holds more than 2 nonzeros.
inline bool selectSparseRow(const uint8_t *quants, uint64_t cols, uint8_t zero,
                            uint8_t *kept, uint8_t *codes) {
  for (uint64_t g = 0; g < cols / 4; ++g) {
    const uint8_t *q = quants + 4 * g;
    int pos[4], count = 0;
    for (int i = 0; i < 4; ++i)
      if (q[i] != zero)
        pos[count++] = i;
    if (count > 2)
      return false;
    for (int i = 0; i < 4 && count < 2; ++i)
      if (q[i] == zero)
        pos[count++] = i;
    if (pos[0] > pos[1])
      std::swap(pos[0], pos[1]);
    for (int s = 0; s < 2; ++s) {
      kept[2 * g + s] = q[pos[s]];
      codes[2 * g + s] = static_cast<uint8_t>(pos[s]);
    }
  }
  return true;
}

/// Packs one row of `cols` quants (in input order; `zero` is the quant of
/// 0, 8 for int4 nibbles) into its index bytes (getSparsePairs(cols) * 8)
/// and value bytes (pairs * 32 for int8, pairs * 16 for 4-bit `nibbles`).
/// Returns false if a group of 4 holds more than 2 nonzeros.
inline bool packSparseRow(const uint8_t *quants, uint64_t cols, uint8_t zero,
                          bool nibbles, uint8_t *index, uint8_t *values) {
  uint64_t blocks = cols / 32, pairs = getSparsePairs(cols);
  std::vector<uint8_t> kept(cols / 2), codes(cols / 2);
  if (!selectSparseRow(quants, cols, zero, kept.data(), codes.data()))
    return false;
  for (uint64_t p = 0; p < pairs; ++p) {
    uint8_t slotValue[32], slotCode[32];
    for (int j = 0; j < 32; ++j) {
      // Slot j: kept value 8 * (j / 16) + j % 8 of block A or B.
      int i = j % 16;
      uint64_t block = 2 * p + (i >= 8 ? 1 : 0);
      uint64_t k = 16 * block + 8 * (j / 16) + i % 8;
      slotValue[j] = block < blocks ? kept[k] : zero;
      slotCode[j] = block < blocks ? codes[k] : 0;
    }
    uint8_t *code = index + p * 8;
    for (int b = 0; b < 8; ++b)
      code[b] = 0;
    for (int j = 0; j < 32; ++j)
      code[j % 8] |= static_cast<uint8_t>(slotCode[j] << (2 * (j / 8)));
    if (nibbles) {
      for (int b = 0; b < 16; ++b)
        values[p * 16 + b] = static_cast<uint8_t>((slotValue[b] & 0xF) |
                                                  (slotValue[b + 16] << 4));
    } else {
      for (int j = 0; j < 32; ++j)
        values[p * 32 + j] = slotValue[j];
    }
  }
  return true;
}

/// Packs `kInterleaveRows` rows of `cols` quants (a row group, row-major;
/// `zero` as selectSparseRow; int4 `nibbles` are q + 8) into the index,
/// sums and value parts of the interleaved sparse layout, each of them the
/// group's part (blocks = cols / 32 blocks of the layout's item sizes).
/// Returns false if a group of 4 holds more than 2 nonzeros.
inline bool packSparseRowGroup(const uint8_t *quants, uint64_t cols,
                               uint8_t zero, bool nibbles, uint8_t *index,
                               uint8_t *sums, uint8_t *values) {
  constexpr int64_t R = kInterleaveRows;
  uint64_t blocks = cols / 32;
  std::vector<uint8_t> kept(cols / 2), codes(cols / 2);
  for (int64_t r = 0; r < R; ++r) {
    if (!selectSparseRow(quants + r * cols, cols, zero, kept.data(),
                         codes.data()))
      return false;
    for (uint64_t blk = 0; blk < blocks; ++blk) {
      const uint8_t *k = kept.data() + 16 * blk, *c = codes.data() + 16 * blk;
      uint8_t *code = index + (blk * R + r) * 4;
      int sum = 0;
      for (int s = 0; s < 4; ++s)
        code[s] = 0;
      for (int j = 0; j < 16; ++j) {
        code[j % 4] |= static_cast<uint8_t>(c[j] << (2 * (j / 4)));
        sum += nibbles ? k[j] - 8 : static_cast<int8_t>(k[j]);
      }
      auto negated = static_cast<uint16_t>(static_cast<int16_t>(-sum));
      sums[(blk * R + r) * 2] = static_cast<uint8_t>(negated & 0xFF);
      sums[(blk * R + r) * 2 + 1] = static_cast<uint8_t>(negated >> 8);
      if (nibbles) {
        for (int j = 0; j < 2; ++j)
          for (int s = 0; s < 4; ++s)
            values[((blk * 2 + j) * R + r) * 4 + s] = static_cast<uint8_t>(
                (k[4 * j + s] & 0xF) | (k[8 + 4 * j + s] << 4));
      } else {
        for (int j = 0; j < 4; ++j)
          for (int s = 0; s < 4; ++s)
            values[((blk * 4 + j) * R + r) * 4 + s] = k[4 * j + s];
      }
    }
  }
  return true;
}

/// Indices of the values `llmc_model_info` writes (runtime/include/llmc/abi.h).
enum ModelInfoIndex : unsigned {
  kInfoAbiVersion = 0,
  kInfoModelId = 1,
  kInfoDim = 2,
  kInfoVocab = 3,
  kInfoLayers = 4,
  kInfoMaxSeq = 5,
  kInfoWeightsBytes = 6,
  kInfoKVBytes = 7,
  kInfoArenaBytes = 8,
  kInfoPrefillChunk = 9,
  kInfoGatheredBytes = 10,
  kInfoGatheredRowBytes = 11,
  kInfoCount = 16
};

constexpr int64_t kAbiVersion = 2;

} // namespace llmc

#endif // LLMC_CONVERSION_DEVICELAYOUT_H
