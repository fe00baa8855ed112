//===- DeviceLayout.h - Packed weight layouts on the device -----*- C++ -*-===//
//
// The layout of each weight format in the device weights file. The lowering
// generates code that reads these layouts and the weights writer produces
// them, so both include this header and nothing else decides it.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CONVERSION_DEVICELAYOUT_H
#define LLMC_CONVERSION_DEVICELAYOUT_H

#include <cstdint>

namespace llmc {

/// Alignment of every weight and of the data section in the weights file.
constexpr uint64_t kDeviceAlignment = 64;

inline uint64_t alignTo64(uint64_t v) {
  return (v + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
}

/// Format ids as in llm::WeightFormat (kept numeric here so that this header
/// stays free of MLIR).
enum class DeviceFormat : uint32_t { F32 = 0, F16 = 1, Q8_0 = 2, Q4_0 = 3 };

/// Where the parts of one packed weight of `rows x cols` logical elements
/// live, relative to the weight's device offset.
///
///   f32:  values  f32[rows][cols]
///   f16:  values  f16[rows][cols]
///   q8_0: scales  f32[rows][cols/32], then (64-aligned) quants i8[rows][cols]
///   q4_0: scales  f32[rows][cols/32], then (64-aligned) nibbles
///         u8[rows][cols/2]; byte j of a 32-element block holds element j in
///         its low nibble and element j+16 in its high nibble (as ggml), and
///         w = scale * (q - 8).
struct DevicePacking {
  uint64_t scalesOffset = 0; ///< Offset of the f32 scales (block formats).
  uint64_t dataOffset = 0;   ///< Offset of the values / quants / nibbles.
  uint64_t totalBytes = 0;   ///< Bytes of the packed weight.
};

inline DevicePacking getDevicePacking(DeviceFormat format, uint64_t rows,
                                      uint64_t cols) {
  DevicePacking p;
  uint64_t n = rows * cols;
  switch (format) {
  case DeviceFormat::F32:
    p.totalBytes = n * 4;
    break;
  case DeviceFormat::F16:
    p.totalBytes = n * 2;
    break;
  case DeviceFormat::Q8_0:
    p.dataOffset = alignTo64(n / 32 * 4);
    p.totalBytes = p.dataOffset + n;
    break;
  case DeviceFormat::Q4_0:
    p.dataOffset = alignTo64(n / 32 * 4);
    p.totalBytes = p.dataOffset + n / 2;
    break;
  }
  return p;
}

/// Indices of the values `llmc_model_info` writes (see runtime/format.h).
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
  kInfoCount = 16
};

constexpr int64_t kAbiVersion = 1;

} // namespace llmc

#endif // LLMC_CONVERSION_DEVICELAYOUT_H
