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
/// Sizes and part offsets are those of the plain layout.
struct DevicePacking {
  uint64_t scalesOffset = 0; ///< f32 scales (integer kinds).
  uint64_t minsOffset = 0;   ///< f32 offsets (asymmetric kinds).
  uint64_t dataOffset = 0;   ///< Values / quants / nibbles.
  uint64_t totalBytes = 0;   ///< Bytes of the packed weight.
  int64_t interleave = 1;    ///< Rows per interleaved row group (1: plain).
  bool halfScales = false;   ///< f16 scales (interleaved layout only).
};

/// Rows per row group of the interleaved integer layout.
constexpr int64_t kInterleaveRows = 16;

/// Whether a `rows x cols` weight of `format` can use the interleaved
/// layout: an integer kind, whole row groups and whole 32-element blocks
/// in every scale group.
inline bool canInterleave(const DeviceFormat &format, uint64_t rows,
                          uint64_t cols) {
  return (format.kind == DeviceFormat::Int8 ||
          format.kind == DeviceFormat::Int4) &&
         rows % kInterleaveRows == 0 && cols % 32 == 0 &&
         format.group % 32 == 0;
}

/// The packing of a `rows x cols` weight; `interleave` > 1 (only where
/// canInterleave holds) selects the interleaved layout.
inline DevicePacking getDevicePacking(const DeviceFormat &format, uint64_t rows,
                                      uint64_t cols, int64_t interleave = 1) {
  DevicePacking p;
  p.interleave = interleave;
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
