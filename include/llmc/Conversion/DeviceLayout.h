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
struct DevicePacking {
  uint64_t scalesOffset = 0; ///< f32 scales (integer kinds).
  uint64_t minsOffset = 0;   ///< f32 offsets (asymmetric kinds).
  uint64_t dataOffset = 0;   ///< Values / quants / nibbles.
  uint64_t totalBytes = 0;   ///< Bytes of the packed weight.
};

inline DevicePacking getDevicePacking(const DeviceFormat &format, uint64_t rows,
                                      uint64_t cols) {
  DevicePacking p;
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
    uint64_t scaleBytes = n / static_cast<uint64_t>(format.group) * 4;
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
