//===- WeightData.cpp - Read, decode and encode weight bytes ----*- C++ -*-===//
//
// Implements the weight-byte utilities: reading (extern files, resources,
// dense values), unpacking and decoding every storage format, and
// round-to-nearest encoding into the integer formats.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

using namespace mlir;
using namespace llmc::llm;

//===----------------------------------------------------------------------===//
// Half precision
//===----------------------------------------------------------------------===//

float llmc::llm::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | uint32_t(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t llmc::llm::floatToHalf(float f) {
  llvm::APFloat value(f);
  bool losesInfo = false;
  value.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                &losesInfo);
  return static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

static llvm::Error weightError(WeightOp weight, const llvm::Twine &message) {
  return llvm::createStringError("weight @" + weight.getSymName().str() + " " +
                                 message.str());
}

llvm::Expected<ArrayRef<char>>
WeightDataReader::getBytes(WeightOp weight, std::vector<char> &scratch) {
  std::optional<Attribute> data = weight.getData();
  if (!data)
    return weightError(weight, "has no data; code generation needs its bytes "
                               "(import it from a model file)");
  uint64_t expected = weight.getStorageBytes();
  if (auto ext = dyn_cast<ExternalDataAttr>(*data)) {
    auto it = files.find(ext.getPath());
    if (it == files.end()) {
      auto buffer = llvm::MemoryBuffer::getFile(
          ext.getPath(), /*IsText=*/false, /*RequiresNullTerminator=*/false);
      if (!buffer)
        return weightError(weight, "cannot open its data file '" +
                                       ext.getPath().str() +
                                       "': " + buffer.getError().message());
      it = files.try_emplace(ext.getPath(), std::move(*buffer)).first;
    }
    const llvm::MemoryBuffer &file = *it->second;
    if (ext.getOffset() > file.getBufferSize() ||
        ext.getSize() > file.getBufferSize() - ext.getOffset())
      return weightError(weight,
                         "data [offset " + std::to_string(ext.getOffset()) +
                             ", size " + std::to_string(ext.getSize()) +
                             ") lies outside '" + ext.getPath().str() + "' (" +
                             std::to_string(file.getBufferSize()) +
                             " bytes); was the file changed?");
    return ArrayRef<char>(file.getBufferStart() + ext.getOffset(),
                          ext.getSize());
  }
  auto elements = cast<ElementsAttr>(*data);
  if (std::optional<ArrayRef<char>> raw = getRawBytes(elements)) {
    if (raw->size() != expected)
      return weightError(weight, "data holds " + std::to_string(raw->size()) +
                                     " bytes, expected " +
                                     std::to_string(expected));
    return *raw;
  }
  // A splat (dense<c>): expand the f32 value.
  auto dense = dyn_cast<DenseElementsAttr>(elements);
  if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
    return weightError(weight, "data is not available in memory");
  float value = dense.getSplatValue<float>();
  scratch.resize(expected);
  for (uint64_t i = 0; i < expected; i += 4)
    std::memcpy(scratch.data() + i, &value, 4);
  return ArrayRef<char>(scratch);
}

llvm::Expected<std::vector<float>>
WeightDataReader::getValues(WeightOp weight) {
  std::vector<char> scratch;
  llvm::Expected<ArrayRef<char>> bytes = getBytes(weight, scratch);
  if (!bytes)
    return bytes.takeError();
  int64_t rows = weight.getRows(), cols = weight.getCols();
  std::vector<float> values(static_cast<size_t>(rows * cols));
  decodeWeight(weight.getFormatOrDefault(), rows, cols, *bytes, values.data());
  return values;
}

//===----------------------------------------------------------------------===//
// Unpacking and decoding
//===----------------------------------------------------------------------===//

namespace {
uint16_t readU16(const char *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
float readF32(const char *p) {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}

/// ggml's 6-bit scale and min of sub-block j of a q4_k super-block.
void q4kScaleMin(int j, const uint8_t *q, uint8_t &sc, uint8_t &m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

bool isInt4Family(FormatKind kind) {
  return kind == FormatKind::q4_0 || kind == FormatKind::q4_k ||
         kind == FormatKind::int4;
}
} // namespace

uint8_t llmc::llm::getZeroQuant(FormatAttr format) {
  return format.getBits() == 4 ? 8 : 0;
}

std::optional<DenseGroup> llmc::llm::findDenseGroup(const UnpackedWeight &u,
                                                    FormatAttr format,
                                                    int64_t rows, int64_t cols,
                                                    int64_t n, int64_t m) {
  uint8_t zero = getZeroQuant(format);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; c += m) {
      const uint8_t *q = u.quants.data() + r * cols + c;
      int64_t nonzeros = 0;
      for (int64_t i = 0; i < m; ++i)
        nonzeros += q[i] != zero;
      if (nonzeros > n)
        return DenseGroup{r, c, nonzeros};
    }
  return std::nullopt;
}

UnpackedWeight llmc::llm::unpackWeight(FormatAttr format, int64_t rows,
                                       int64_t cols, ArrayRef<char> bytes) {
  UnpackedWeight u;
  uint64_t n = static_cast<uint64_t>(rows) * cols;
  uint64_t group = format.getGroupSize(cols);
  uint64_t groups = n / group;
  u.scales.resize(groups);
  u.quants.resize(n);
  const char *p = bytes.data();
  switch (format.getKind()) {
  case FormatKind::q8_0:
  case FormatKind::q4_0: {
    bool is8 = format.getKind() == FormatKind::q8_0;
    uint64_t blockBytes = is8 ? 34 : 18;
    for (uint64_t b = 0; b < groups; ++b) {
      const char *block = p + b * blockBytes;
      u.scales[b] = halfToFloat(readU16(block));
      for (int j = 0; j < 32; ++j) {
        uint8_t q;
        if (is8)
          q = static_cast<uint8_t>(block[2 + j]);
        else
          q = j < 16 ? (static_cast<uint8_t>(block[2 + j]) & 0xF)
                     : (static_cast<uint8_t>(block[2 + j - 16]) >> 4);
        u.quants[b * 32 + j] = q;
      }
    }
    break;
  }
  case FormatKind::q4_k: {
    u.offsets.resize(groups);
    for (uint64_t sb = 0; sb < n / 256; ++sb) {
      const char *block = p + sb * 144;
      float d = halfToFloat(readU16(block));
      float dmin = halfToFloat(readU16(block + 2));
      auto *scales = reinterpret_cast<const uint8_t *>(block + 4);
      auto *qs = reinterpret_cast<const uint8_t *>(block + 16);
      for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        q4kScaleMin(j, scales, sc, m);
        u.scales[sb * 8 + j] = d * sc;
        u.offsets[sb * 8 + j] = -(dmin * m);
        const uint8_t *pair = qs + (j / 2) * 32;
        for (int l = 0; l < 32; ++l)
          u.quants[sb * 256 + j * 32 + l] =
              (j % 2 == 0) ? (pair[l] & 0xF) : (pair[l] >> 4);
      }
    }
    break;
  }
  case FormatKind::int8:
  case FormatKind::int4: {
    bool asym = !format.getSymmetric();
    bool is8 = format.getKind() == FormatKind::int8;
    if (asym)
      u.offsets.resize(groups);
    uint64_t groupBytes = (asym ? 8 : 4) + (is8 ? group : group / 2);
    for (uint64_t g = 0; g < groups; ++g) {
      const char *gp = p + g * groupBytes;
      u.scales[g] = readF32(gp);
      if (asym)
        u.offsets[g] = readF32(gp + 4);
      const auto *q = reinterpret_cast<const uint8_t *>(gp + (asym ? 8 : 4));
      for (uint64_t j = 0; j < group; ++j) {
        if (is8) {
          u.quants[g * group + j] = q[j];
        } else {
          uint64_t block = j / 32, within = j % 32;
          uint8_t byte = q[block * 16 + within % 16];
          u.quants[g * group + j] = within < 16 ? (byte & 0xF) : (byte >> 4);
        }
      }
    }
    break;
  }
  case FormatKind::f32:
  case FormatKind::f16:
    llvm_unreachable("dense formats have no integer unpacking");
  }
  return u;
}

void llmc::llm::decodeWeight(FormatAttr format, int64_t rows, int64_t cols,
                             ArrayRef<char> bytes, float *out) {
  uint64_t n = static_cast<uint64_t>(rows) * cols;
  if (format.getKind() == FormatKind::f32) {
    std::memcpy(out, bytes.data(), n * 4);
    return;
  }
  if (format.getKind() == FormatKind::f16) {
    for (uint64_t i = 0; i < n; ++i)
      out[i] = halfToFloat(readU16(bytes.data() + 2 * i));
    return;
  }
  UnpackedWeight u = unpackWeight(format, rows, cols, bytes);
  uint64_t group = format.getGroupSize(cols);
  bool asym = !u.offsets.empty();
  bool int4 = isInt4Family(format.getKind());
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t g = i / group;
    float q;
    if (asym)
      q = static_cast<float>(u.quants[i]);
    else if (int4)
      q = static_cast<float>(static_cast<int>(u.quants[i]) - 8);
    else
      q = static_cast<float>(static_cast<int8_t>(u.quants[i]));
    float v = u.scales[g] * q;
    out[i] = asym ? v + u.offsets[g] : v;
  }
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

namespace {
template <typename T> void append(std::vector<char> &out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

/// Symmetric scale of a group: q in [-(2^(b-1)), 2^(b-1) - 1]. For 4 bits
/// the largest magnitude maps to -8 (as ggml's q4_0), using the full range;
/// for 8 bits to +-127.
float symmetricScale(const float *x, uint64_t n, int bits) {
  float amax = 0, max = 0;
  for (uint64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  return bits == 4 ? max / -8.0f : amax / 127.0f;
}

uint8_t quantizeSymmetric(float x, float inv, int bits) {
  if (bits == 4) {
    int q = static_cast<int>(std::nearbyint(x * inv)) + 8;
    return static_cast<uint8_t>(std::clamp(q, 0, 15));
  }
  int q = static_cast<int>(std::nearbyint(x * inv));
  return static_cast<uint8_t>(static_cast<int8_t>(std::clamp(q, -127, 127)));
}

/// Packs 32 nibble values (element order) into ggml's 16-byte order.
void packNibbles(const uint8_t *q, char *out) {
  for (int j = 0; j < 16; ++j)
    out[j] = static_cast<char>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
}

/// Symmetric group quantization with a scale search: for candidate
/// reciprocal scales around the RTN one (largest magnitude to -2^(b-1)),
/// quantize, refit the scale by least squares (s = <x,q> / <q,q>) and keep
/// the choice with the smallest squared error. Returns the scale; `q` gets
/// quants stored as for the format (int4: q + 8 in 0..15; int8: the signed
/// byte).
float quantizeSymmetricSearch(const float *x, uint64_t n, int bits,
                              uint8_t *q) {
  int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  float amax = 0, max = 0;
  for (uint64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax == 0) {
    for (uint64_t i = 0; i < n; ++i)
      q[i] = bits == 4 ? 8 : 0;
    return 0;
  }
  std::vector<int> cand(n), best(n);
  double bestErr = INFINITY;
  float bestScale = 0;
  for (int step = -10; step <= 10; ++step) {
    float inv = (static_cast<float>(lo) + 0.1f * step) / max;
    double xq = 0, qq = 0;
    for (uint64_t i = 0; i < n; ++i) {
      int v = std::clamp(static_cast<int>(std::nearbyint(x[i] * inv)), lo, hi);
      cand[i] = v;
      xq += double(x[i]) * v;
      qq += double(v) * v;
    }
    if (qq == 0)
      continue;
    float scale = static_cast<float>(xq / qq);
    double err = 0;
    for (uint64_t i = 0; i < n; ++i) {
      double d = x[i] - double(scale) * cand[i];
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      bestScale = scale;
      best = cand;
    }
  }
  for (uint64_t i = 0; i < n; ++i)
    q[i] = bits == 4 ? static_cast<uint8_t>(best[i] + 8)
                     : static_cast<uint8_t>(static_cast<int8_t>(best[i]));
  return bestScale;
}

/// Asymmetric group quantization with a search over shrunken ranges: for
/// each candidate range, quantize to 0..2^b-1, refit scale and offset by
/// least squares (x ~ s q + m) and keep the smallest squared error.
std::pair<float, float> quantizeAsymmetricSearch(const float *x, uint64_t n,
                                                 int bits, uint8_t *q) {
  int levels = (1 << bits) - 1;
  float lo = *std::min_element(x, x + n), hi = *std::max_element(x, x + n);
  if (hi == lo) {
    for (uint64_t i = 0; i < n; ++i)
      q[i] = 0;
    return {0.0f, lo};
  }
  std::vector<int> cand(n), best(n);
  double bestErr = INFINITY;
  std::pair<float, float> bestFit{0.0f, lo};
  for (int shrinkLo = 0; shrinkLo <= 4; ++shrinkLo)
    for (int shrinkHi = 0; shrinkHi <= 4; ++shrinkHi) {
      float a = lo + (hi - lo) * 0.025f * shrinkLo;
      float b = hi - (hi - lo) * 0.025f * shrinkHi;
      float inv = levels / (b - a);
      double sq = 0, sqq = 0, sx = 0, sxq = 0;
      for (uint64_t i = 0; i < n; ++i) {
        int v = std::clamp(static_cast<int>(std::nearbyint((x[i] - a) * inv)),
                           0, levels);
        cand[i] = v;
        sq += v;
        sqq += double(v) * v;
        sx += x[i];
        sxq += double(x[i]) * v;
      }
      double var = n * sqq - sq * sq;
      if (var == 0)
        continue;
      double s = (n * sxq - sx * sq) / var;
      double m = (sx - s * sq) / n;
      double err = 0;
      for (uint64_t i = 0; i < n; ++i) {
        double d = x[i] - (s * cand[i] + m);
        err += d * d;
      }
      if (err < bestErr) {
        bestErr = err;
        bestFit = {static_cast<float>(s), static_cast<float>(m)};
        best = cand;
      }
    }
  for (uint64_t i = 0; i < n; ++i)
    q[i] = static_cast<uint8_t>(best[i]);
  return bestFit;
}

void encodeQ4K(const float *x, uint64_t n, std::vector<char> &out) {
  for (uint64_t sb = 0; sb < n / 256; ++sb) {
    const float *v = x + sb * 256;
    float scale[8], min[8];
    for (int j = 0; j < 8; ++j) {
      float lo = 0, hi = 0; // the offset is <= 0 (w = d*sc*q - dmin*m)
      for (int l = 0; l < 32; ++l) {
        lo = std::min(lo, v[j * 32 + l]);
        hi = std::max(hi, v[j * 32 + l]);
      }
      scale[j] = (hi - lo) / 15.0f;
      min[j] = -lo;
    }
    float maxScale = *std::max_element(scale, scale + 8);
    float maxMin = *std::max_element(min, min + 8);
    uint16_t dh = floatToHalf(maxScale / 63.0f);
    uint16_t dminh = floatToHalf(maxMin / 63.0f);
    float d = halfToFloat(dh), dmin = halfToFloat(dminh);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = d > 0
                  ? static_cast<uint8_t>(std::clamp(
                        static_cast<int>(std::nearbyint(scale[j] / d)), 0, 63))
                  : 0;
      m[j] = dmin > 0
                 ? static_cast<uint8_t>(std::clamp(
                       static_cast<int>(std::nearbyint(min[j] / dmin)), 0, 63))
                 : 0;
    }
    uint8_t packed[12];
    for (int j = 0; j < 4; ++j) {
      packed[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
      packed[j + 4] = (m[j] & 63) | ((m[j + 4] >> 4) << 6);
      packed[j + 8] = (sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4);
    }
    uint8_t q[256];
    for (int j = 0; j < 8; ++j) {
      float s = d * sc[j], off = dmin * m[j];
      float inv = s > 0 ? 1.0f / s : 0.0f;
      for (int l = 0; l < 32; ++l) {
        int qi = static_cast<int>(std::nearbyint((v[j * 32 + l] + off) * inv));
        q[j * 32 + l] = static_cast<uint8_t>(std::clamp(qi, 0, 15));
      }
    }
    append(out, dh);
    append(out, dminh);
    out.insert(out.end(), reinterpret_cast<char *>(packed),
               reinterpret_cast<char *>(packed) + 12);
    for (int p = 0; p < 4; ++p)
      for (int l = 0; l < 32; ++l)
        out.push_back(static_cast<char>((q[64 * p + l] & 0xF) |
                                        ((q[64 * p + 32 + l] & 0xF) << 4)));
  }
}
} // namespace

std::vector<char> llmc::llm::encodeWeight(FormatAttr format, int64_t rows,
                                          int64_t cols,
                                          ArrayRef<float> values) {
  std::vector<char> out;
  uint64_t n = static_cast<uint64_t>(rows) * cols;
  out.reserve(format.getStorageBytes(rows, cols));
  const float *x = values.data();
  switch (format.getKind()) {
  case FormatKind::f32:
    out.resize(n * 4);
    std::memcpy(out.data(), x, n * 4);
    break;
  case FormatKind::f16:
    for (uint64_t i = 0; i < n; ++i)
      append(out, floatToHalf(x[i]));
    break;
  case FormatKind::q8_0:
  case FormatKind::q4_0: {
    int bits = format.getKind() == FormatKind::q8_0 ? 8 : 4;
    for (uint64_t b = 0; b < n / 32; ++b) {
      const float *v = x + b * 32;
      uint16_t dh = floatToHalf(symmetricScale(v, 32, bits));
      float d = halfToFloat(dh);
      float inv = d != 0 ? 1.0f / d : 0.0f;
      append(out, dh);
      uint8_t q[32];
      for (int j = 0; j < 32; ++j)
        q[j] = quantizeSymmetric(v[j], inv, bits);
      if (bits == 8) {
        out.insert(out.end(), reinterpret_cast<char *>(q),
                   reinterpret_cast<char *>(q) + 32);
      } else {
        char packed[16];
        packNibbles(q, packed);
        out.insert(out.end(), packed, packed + 16);
      }
    }
    break;
  }
  case FormatKind::q4_k:
    encodeQ4K(x, n, out);
    break;
  case FormatKind::int8:
  case FormatKind::int4: {
    int bits = format.getKind() == FormatKind::int8 ? 8 : 4;
    bool asym = !format.getSymmetric();
    uint64_t group = format.getGroupSize(cols);
    std::vector<uint8_t> q(group);
    for (uint64_t g = 0; g < n / group; ++g) {
      const float *v = x + g * group;
      float scale, offset = 0;
      if (asym)
        std::tie(scale, offset) =
            quantizeAsymmetricSearch(v, group, bits, q.data());
      else
        scale = quantizeSymmetricSearch(v, group, bits, q.data());
      append(out, scale);
      if (asym)
        append(out, offset);
      if (bits == 8) {
        out.insert(out.end(), reinterpret_cast<char *>(q.data()),
                   reinterpret_cast<char *>(q.data()) + group);
      } else {
        for (uint64_t b = 0; b < group / 32; ++b) {
          char packed[16];
          packNibbles(q.data() + b * 32, packed);
          out.insert(out.end(), packed, packed + 16);
        }
      }
    }
    break;
  }
  }
  return out;
}

ElementsAttr llmc::llm::createByteResource(MLIRContext *context, StringRef name,
                                           ArrayRef<char> bytes) {
  auto type = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                    IntegerType::get(context, 8));
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
}
