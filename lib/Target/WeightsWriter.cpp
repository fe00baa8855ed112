//===- WeightsWriter.cpp - Write the device weights file --------*- C++ -*-===//
//
// Streams every weight, repacked into its device layout (DeviceLayout.h),
// and the tokenizer section into an LLMW file (runtime/include/llmc/format.h).
// Source bytes are memory-mapped and read once, so writing a model needs
// little memory beyond the pages being copied.
//
//===----------------------------------------------------------------------===//

#include "llmc/Target/Target.h"

#include "llm/IR/LLMOps.h"
#include "llmc/Conversion/DeviceLayout.h"
#include "llmc/format.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace llmc;

namespace {
/// IEEE half to single precision.
float halfToFloat(uint16_t h) {
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

/// Source bytes of weights, with memory-mapped model files shared by path.
class SourceData {
public:
  /// The stored bytes of `weight` in its storage format, or an error.
  llvm::Expected<ArrayRef<char>> bytes(llm::WeightOp weight,
                                       std::vector<char> &scratch) {
    std::optional<Attribute> data = weight.getData();
    if (!data)
      return error(weight, "has no data; code generation needs its bytes "
                           "(import it from a model file)");
    uint64_t expected = weight.getStorageBytes();
    if (auto ext = dyn_cast<llm::ExternalDataAttr>(*data)) {
      auto it = files.find(ext.getPath());
      if (it == files.end()) {
        auto buffer = llvm::MemoryBuffer::getFile(
            ext.getPath(), /*IsText=*/false, /*RequiresNullTerminator=*/false);
        if (!buffer)
          return error(weight, "cannot open its data file '" +
                                   ext.getPath().str() +
                                   "': " + buffer.getError().message());
        it = files.try_emplace(ext.getPath(), std::move(*buffer)).first;
      }
      const llvm::MemoryBuffer &file = *it->second;
      if (ext.getOffset() > file.getBufferSize() ||
          ext.getSize() > file.getBufferSize() - ext.getOffset())
        return error(weight, "data [offset " + std::to_string(ext.getOffset()) +
                                 ", size " + std::to_string(ext.getSize()) +
                                 ") lies outside '" + ext.getPath().str() +
                                 "' (" + std::to_string(file.getBufferSize()) +
                                 " bytes); was the file changed?");
      return ArrayRef<char>(file.getBufferStart() + ext.getOffset(),
                            ext.getSize());
    }
    auto elements = cast<ElementsAttr>(*data);
    if (std::optional<ArrayRef<char>> raw = llm::getRawBytes(elements)) {
      if (raw->size() != expected)
        return error(weight, "data holds " + std::to_string(raw->size()) +
                                 " bytes, expected " +
                                 std::to_string(expected));
      return *raw;
    }
    // A splat (dense<c>): expand the f32 value.
    auto dense = dyn_cast<DenseElementsAttr>(elements);
    if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
      return error(weight, "data is not available in memory");
    float value = dense.getSplatValue<float>();
    scratch.resize(expected);
    for (uint64_t i = 0; i < expected; i += 4)
      std::memcpy(scratch.data() + i, &value, 4);
    return ArrayRef<char>(scratch);
  }

private:
  static llvm::Error error(llm::WeightOp weight, const llvm::Twine &message) {
    return llvm::createStringError("weight @" + weight.getSymName().str() +
                                   " " + message.str());
  }
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
};

/// Writes one weight in its device layout starting at the writer's offset.
void writePacked(Writer &w, llm::WeightFormat format, ArrayRef<char> src,
                 uint64_t start, const DevicePacking &packing) {
  if (format == llm::WeightFormat::f32 || format == llm::WeightFormat::f16) {
    w.write(src.data(), src.size());
    return;
  }
  // ggml blocks: fp16 scale then the quants (32 int8 or 16 nibble bytes).
  uint64_t quantBytes = format == llm::WeightFormat::q8_0 ? 32 : 16;
  uint64_t blockBytes = 2 + quantBytes;
  uint64_t blocks = src.size() / blockBytes;
  for (uint64_t b = 0; b < blocks; ++b) {
    uint16_t h;
    std::memcpy(&h, src.data() + b * blockBytes, 2);
    float scale = halfToFloat(h);
    w.write(&scale, 4);
  }
  w.padTo(start + packing.dataOffset);
  for (uint64_t b = 0; b < blocks; ++b)
    w.write(src.data() + b * blockBytes + 2, quantBytes);
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
  auto tokenizers = module.getOps<llm::TokenizerOp>();
  if (tokenizers.empty())
    return llvm::createStringError(
        "the model has no tokenizer; import it with one (for llama2.c "
        "checkpoints, --tokenizer)");
  llm::TokenizerOp tokenizer = *tokenizers.begin();
  std::optional<ArrayRef<char>> tokBytes =
      llm::getRawBytes(tokenizer.getData());
  if (!tokBytes)
    return llvm::createStringError("the tokenizer data is not available");

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

  SourceData sources;
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
    llvm::Expected<ArrayRef<char>> src = sources.bytes(weight, scratch);
    if (!src)
      return src.takeError();
    ArrayRef<int64_t> shape = weight.getTensorType().getShape();
    DevicePacking packing =
        getDevicePacking(static_cast<DeviceFormat>(weight.getFormat()),
                         shape.size() == 2 ? shape[0] : 1, shape.back());
    if (start + packing.totalBytes > header.data_offset + header.data_size)
      return llvm::createStringError("weight @%s lies outside the data size",
                                     weight.getSymName().str().c_str());
    w.padTo(start);
    writePacked(w, weight.getFormat(), *src, start, packing);
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
