//===- WeightsWriter.cpp - Write the device weights file --------*- C++ -*-===//
//
// Streams every weight, repacked into its device layout (DeviceLayout.h),
// and the tokenizer section into an LLMW file (runtime/include/llmc/format.h).
// Source bytes are memory-mapped and read once, so writing a model needs
// little memory beyond one weight's repacked parts.
//
//===----------------------------------------------------------------------===//

#include "llmc/Target/Target.h"

#include "llm/IR/LLMOps.h"
#include "llm/IR/WeightData.h"
#include "llmc/Conversion/DeviceLayout.h"
#include "llmc/format.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace llmc;

namespace {
class Writer {
public:
  explicit Writer(llvm::raw_fd_ostream &os) : os(os) {}

  void padTo(uint64_t offset) {
    static const char zeros[64] = {};
    while (written < offset) {
      uint64_t n = std::min<uint64_t>(offset - written, sizeof(zeros));
      write(zeros, n);
    }
  }
  void write(const void *data, uint64_t n) {
    os.write(static_cast<const char *>(data), n);
    written += n;
  }
  uint64_t offset() const { return written; }

private:
  llvm::raw_fd_ostream &os;
  uint64_t written = 0;
};

/// The interleaving of `weight` chosen by convert-llm-to-loops (1: plain).
int64_t getInterleave(llm::WeightOp weight) {
  auto attr = weight->getAttrOfType<IntegerAttr>("llm.device_interleave");
  return attr ? attr.getInt() : 1;
}

/// Quant bytes per row in each interleaved word (4 unless
/// convert-llm-to-loops chose 8 for AArch64 i8mm or 1 for RISC-V V).
int64_t getInterleaveWord(llm::WeightOp weight) {
  auto attr = weight->getAttrOfType<IntegerAttr>("llm.device_interleave_word");
  return attr ? attr.getInt() : 4;
}

/// A row-major `rows x ...` array reordered into the interleaved layout:
/// row groups of R rows, and in each group the rows' `itemBytes`-byte
/// items side by side (quants: 4-byte words; scales and offsets: one
/// value).
template <typename T>
std::vector<T> interleaveRows(ArrayRef<T> plain, int64_t rows, int64_t R,
                              int64_t itemBytes) {
  int64_t rowBytes = plain.size() * sizeof(T) / rows;
  int64_t items = rowBytes / itemBytes;
  std::vector<T> out(plain.size());
  const char *src = reinterpret_cast<const char *>(plain.data());
  char *dst = reinterpret_cast<char *>(out.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < items; ++j)
      std::memcpy(dst + (((r / R) * items + j) * R + r % R) * itemBytes,
                  src + r * rowBytes + j * itemBytes, itemBytes);
  return out;
}

/// The device format of a weight, sparse if it is marked so.
DeviceFormat getWeightDeviceFormat(llm::WeightOp weight) {
  DeviceFormat device =
      getDeviceFormat(weight.getFormatOrDefault(), weight.getCols());
  device.sparse = static_cast<bool>(weight.getSparsityAttr());
  return device;
}

/// Writes the index, (interleaved layout) sums and value parts of a 2:4
/// sparse weight (DeviceLayout.h) after its scales; fails if a group of 4 holds
/// more than 2 nonzeros.
llvm::Error writeSparse(Writer &w, llm::WeightOp weight,
                        const llm::UnpackedWeight &u,
                        const DevicePacking &packing, uint64_t start) {
  llm::FormatAttr format = weight.getFormatOrDefault();
  uint64_t rows = weight.getRows(), cols = weight.getCols();
  bool nibbles = format.getBits() == 4;
  uint8_t zero = llm::getZeroQuant(format);
  std::vector<uint8_t> index, sums, values;
  // False once a row (or row group) has more than 2 nonzeros in a group
  // of 4.
  bool packed = true;
  if (packing.interleave > 1) {
    uint64_t R = packing.interleave, blocks = cols / 32;
    uint64_t sumBytes = 2, valueBytes = nibbles ? 8 : 16;
    index.resize(rows * blocks * 4);
    sums.resize(rows * blocks * sumBytes);
    values.resize(rows * blocks * valueBytes);
    for (uint64_t r = 0; r < rows && packed; r += R)
      packed = packSparseRowGroup(u.quants.data() + r * cols, cols, zero,
                                  nibbles, index.data() + r * blocks * 4,
                                  sums.data() + r * blocks * sumBytes,
                                  values.data() + r * blocks * valueBytes);
  } else {
    uint64_t pairs = getSparsePairs(cols);
    uint64_t valueBytes = pairs * (nibbles ? 16 : 32);
    index.resize(rows * pairs * 8);
    values.resize(rows * valueBytes);
    for (uint64_t r = 0; r < rows && packed; ++r)
      packed = packSparseRow(u.quants.data() + r * cols, cols, zero, nibbles,
                             index.data() + r * pairs * 8,
                             values.data() + r * valueBytes);
  }
  if (!packed) {
    std::optional<llm::DenseGroup> dense =
        llm::findDenseGroup(u, format, rows, cols, 2, 4);
    return llvm::createStringError(
        "weight @%s is marked 2:4 sparse but row %lld, inputs %lld..%lld "
        "hold %lld nonzero values",
        weight.getSymName().str().c_str(),
        static_cast<long long>(dense ? dense->row : 0),
        static_cast<long long>(dense ? dense->col : 0),
        static_cast<long long>(dense ? dense->col + 3 : 0),
        static_cast<long long>(dense ? dense->nonzeros : 0));
  }
  w.padTo(start + packing.indexOffset);
  w.write(index.data(), index.size());
  if (!sums.empty()) {
    w.padTo(start + packing.sumsOffset);
    w.write(sums.data(), sums.size());
  }
  w.padTo(start + packing.dataOffset);
  w.write(values.data(), values.size());
  return llvm::Error::success();
}

/// Writes one weight in its device layout starting at `start` (the writer's
/// offset): dense formats as they are, integer formats as scales, offsets
/// and quants (nibbles re-packed into ggml's order per 32 elements), rows
/// interleaved if convert-llm-to-loops chose it, 2:4 sparse ones as scales,
/// positions and kept quants.
llvm::Error writePacked(Writer &w, llm::WeightOp weight, ArrayRef<char> src,
                        uint64_t start) {
  llm::FormatAttr format = weight.getFormatOrDefault();
  int64_t rows = weight.getRows(), cols = weight.getCols();
  if (format.isDense()) {
    w.write(src.data(), src.size());
    return llvm::Error::success();
  }
  DeviceFormat device = getWeightDeviceFormat(weight);
  int64_t interleave = getInterleave(weight);
  DevicePacking packing = getDevicePacking(device, rows, cols, interleave,
                                           getInterleaveWord(weight));
  llm::UnpackedWeight u = llm::unpackWeight(format, rows, cols, src);
  // In the interleaved layout, scales and offsets are items of their size
  // and the quants of a row are words of packing.wordBytes bytes, all
  // taken R rows at a time.
  auto put = [&](auto part, int64_t itemBytes) {
    using T = typename decltype(part)::value_type;
    if (interleave > 1)
      part = interleaveRows(ArrayRef<T>(part), rows, interleave, itemBytes);
    w.write(part.data(), part.size() * sizeof(T));
  };
  if (packing.halfScales) {
    // Exact: these scales were f16 in the source format.
    std::vector<uint16_t> half(u.scales.size());
    for (size_t i = 0; i < half.size(); ++i) {
      llvm::APFloat v(u.scales[i]);
      bool lost = false;
      v.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
      half[i] = static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
    }
    put(half, 2);
  } else {
    put(u.scales, 4);
  }
  if (device.sparse)
    return writeSparse(w, weight, u, packing, start);
  if (device.asymmetric) {
    w.padTo(start + packing.minsOffset);
    put(u.offsets, 4);
  }
  w.padTo(start + packing.dataOffset);
  if (device.kind == DeviceFormat::Int8) {
    put(u.quants, packing.wordBytes);
    return llvm::Error::success();
  }
  std::vector<uint8_t> nibbles(u.quants.size() / 2);
  for (size_t b = 0; b < u.quants.size() / 32; ++b)
    for (int j = 0; j < 16; ++j)
      nibbles[b * 16 + j] =
          static_cast<uint8_t>((u.quants[b * 32 + j] & 0xF) |
                               ((u.quants[b * 32 + j + 16] & 0xF) << 4));
  put(nibbles, packing.wordBytes);
  return llvm::Error::success();
}
} // namespace

llvm::Error llmc::writeWeightsFile(ModuleOp module, llvm::StringRef path) {
  auto layout = module->getAttrOfType<DictionaryAttr>("llm.device_layout");
  if (!layout)
    return llvm::createStringError(
        "the module has no llm.device_layout: run convert-llm-to-loops "
        "before writing weights");
  auto weightsBytes = layout.getAs<IntegerAttr>("weights_bytes");
  auto modelId = layout.getAs<IntegerAttr>("model_id");
  if (!weightsBytes || !modelId)
    return llvm::createStringError("llm.device_layout lacks weights_bytes or "
                                   "model_id");
  // Without a tokenizer (ONNX graphs) the section is empty and the runtime
  // runs the model from token ids.
  auto tokenizers = module.getOps<llm::TokenizerOp>();
  std::optional<ArrayRef<char>> tokBytes = ArrayRef<char>();
  if (!tokenizers.empty()) {
    llm::TokenizerOp tokenizer = *tokenizers.begin();
    tokBytes = llm::getRawBytes(tokenizer.getData());
    if (!tokBytes)
      return llvm::createStringError("the tokenizer data is not available");
  }

  llmc_weights_header_t header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.magic, LLMC_WEIGHTS_MAGIC, LLMC_WEIGHTS_MAGIC_SIZE);
  header.version = LLMC_WEIGHTS_VERSION;
  header.header_size = LLMC_WEIGHTS_HEADER_SIZE;
  header.model_id = static_cast<uint64_t>(modelId.getInt());
  header.data_offset = alignTo64(LLMC_WEIGHTS_HEADER_SIZE);
  header.data_size = static_cast<uint64_t>(weightsBytes.getInt());
  header.tokenizer_offset = (header.data_offset + header.data_size + 7) / 8 * 8;
  header.tokenizer_size = tokBytes->size();
  header.file_size = header.tokenizer_offset + header.tokenizer_size;

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   path.str().c_str(), ec.message().c_str());
  Writer w(os);
  w.write(&header, sizeof(header));

  llm::WeightDataReader reader;
  std::vector<char> scratch;
  for (auto weight : module.getOps<llm::WeightOp>()) {
    auto offsetAttr = weight->getAttrOfType<IntegerAttr>("llm.device_offset");
    if (!offsetAttr)
      return llvm::createStringError("weight @%s has no llm.device_offset",
                                     weight.getSymName().str().c_str());
    uint64_t start = header.data_offset + offsetAttr.getInt();
    if (start < w.offset())
      return llvm::createStringError("weight @%s overlaps the previous one",
                                     weight.getSymName().str().c_str());
    llvm::Expected<ArrayRef<char>> src = reader.getBytes(weight, scratch);
    if (!src)
      return src.takeError();
    DevicePacking packing = getDevicePacking(
        getWeightDeviceFormat(weight), weight.getRows(), weight.getCols(),
        getInterleave(weight), getInterleaveWord(weight));
    if (start + packing.totalBytes > header.data_offset + header.data_size)
      return llvm::createStringError("weight @%s lies outside the data size",
                                     weight.getSymName().str().c_str());
    w.padTo(start);
    if (llvm::Error err = writePacked(w, weight, *src, start))
      return err;
  }
  w.padTo(header.tokenizer_offset);
  w.write(tokBytes->data(), tokBytes->size());
  os.close();
  if (os.has_error())
    return llvm::createStringError(os.error(), "error writing %s: %s",
                                   path.str().c_str(),
                                   os.error().message().c_str());
  return llvm::Error::success();
}
