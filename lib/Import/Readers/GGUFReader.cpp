//===- GGUFReader.cpp - Reader for GGUF model files -----------------------===//
//
// Parses a GGUF file (ggml's model container) of a llama, qwen2 or gpt2
// model into a ModelSource. The layout, all integers little-endian:
//
//   char     magic[4] = "GGUF"
//   uint32   version              (2 or 3; 3 only adds big-endian files,
//                                  which are rejected here)
//   uint64   n_tensors
//   uint64   n_kv
//   n_kv      x { string key; uint32 value_type; value }
//   n_tensors x { string name; uint32 n_dims; uint64 ne[n_dims];
//                 uint32 ggml_type; uint64 offset }
//   padding to general.alignment (default 32)
//   data section: tensor i at data_start + offset_i (a multiple of alignment)
//
// string = uint64 length, then that many bytes (UTF-8, no terminator).
// value_type: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (1 byte),
// 8 string, 9 array = { uint32 element_type; uint64 count; elements },
// 10 u64, 11 i64, 12 f64. ne[0] is the innermost (contiguous) dimension.
//
// The parser never trusts a count or length: each is checked against the
// bytes left in the file before anything is allocated or skipped. Metadata
// values are not copied; arrays are validated when met and decoded on demand
// from their recorded offset.
//
// Architectures (general.architecture; hyper-parameters under "<arch>."),
// as llama.cpp writes them:
//  - llama: RMSNorm, SwiGLU, RoPE on adjacent pairs (the converter permutes
//    Q/K rows for ggml's "normal" rotary mode).
//  - qwen2: llama plus optional attn_q/k/v biases; RoPE on the two halves of
//    each head (ggml's "neox" mode, the Hugging Face layout).
//  - gpt2: LayerNorm with biases (attention.layer_norm_epsilon), learned
//    positions (position_embd.weight), no RoPE, GELU (tanh) feed-forward
//    without gate, biases on every linear, and q/k/v fused into
//    blk.N.attn_qkv.{weight,bias} (rows q, then k, then v), which the reader
//    splits into attn_q/k/v as row ranges of the file (no copy).
// A "gpt2" (byte-level BPE) vocabulary is not a SentencePiece one: the model
// imports without a tokenizer and runs on token ids.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

using namespace llvm;
using llmc::detail::ByteCursor;
using llmc::detail::makeError;

namespace llmc {
namespace {

/// GGUF metadata value types.
enum ValueType : uint32_t {
  VT_U8 = 0,
  VT_I8 = 1,
  VT_U16 = 2,
  VT_I16 = 3,
  VT_U32 = 4,
  VT_I32 = 5,
  VT_F32 = 6,
  VT_Bool = 7,
  VT_String = 8,
  VT_Array = 9,
  VT_U64 = 10,
  VT_I64 = 11,
  VT_F64 = 12,
  VT_Count
};

StringRef valueTypeName(uint32_t type) {
  static const char *const names[] = {"u8",  "i8",  "u16",  "i16",    "u32",
                                      "i32", "f32", "bool", "string", "array",
                                      "u64", "i64", "f64"};
  return type < VT_Count ? names[type] : "unknown";
}

/// Size in bytes of a fixed-size value type, 0 for string and array.
uint64_t scalarSize(uint32_t type) {
  switch (type) {
  case VT_U8:
  case VT_I8:
  case VT_Bool:
    return 1;
  case VT_U16:
  case VT_I16:
    return 2;
  case VT_U32:
  case VT_I32:
  case VT_F32:
    return 4;
  case VT_U64:
  case VT_I64:
  case VT_F64:
    return 8;
  default:
    return 0;
  }
}

/// Smallest number of file bytes one value of \p type can occupy.
uint64_t minValueSize(uint32_t type) {
  if (type == VT_String)
    return 8;
  if (type == VT_Array)
    return 12;
  return scalarSize(type);
}

bool isIntegerType(uint32_t type) {
  return type <= VT_I32 || type == VT_U64 || type == VT_I64;
}
bool isSignedType(uint32_t type) {
  return type == VT_I8 || type == VT_I16 || type == VT_I32 || type == VT_I64;
}
bool isFloatType(uint32_t type) { return type == VT_F32 || type == VT_F64; }

/// Names of the ggml tensor types, for messages about unsupported ones.
StringRef ggmlTypeName(uint32_t type) {
  static const struct {
    uint32_t type;
    const char *name;
  } names[] = {{0, "F32"},      {1, "F16"},     {2, "Q4_0"},     {3, "Q4_1"},
               {6, "Q5_0"},     {7, "Q5_1"},    {8, "Q8_0"},     {9, "Q8_1"},
               {10, "Q2_K"},    {11, "Q3_K"},   {12, "Q4_K"},    {13, "Q5_K"},
               {14, "Q6_K"},    {15, "Q8_K"},   {16, "IQ2_XXS"}, {17, "IQ2_XS"},
               {18, "IQ3_XXS"}, {19, "IQ1_S"},  {20, "IQ4_NL"},  {21, "IQ3_S"},
               {22, "IQ2_S"},   {23, "IQ4_XS"}, {24, "I8"},      {25, "I16"},
               {26, "I32"},     {27, "I64"},    {28, "F64"},     {29, "IQ1_M"},
               {30, "BF16"},    {34, "TQ1_0"},  {35, "TQ2_0"},   {39, "MXFP4"}};
  for (const auto &entry : names)
    if (entry.type == type)
      return entry.name;
  return "unknown";
}

std::optional<TensorFormat> formatFromGGMLType(uint32_t type) {
  switch (type) {
  case 0:
    return TensorFormat::F32;
  case 1:
    return TensorFormat::F16;
  case 2:
    return TensorFormat::Q4_0;
  case 8:
    return TensorFormat::Q8_0;
  default:
    return std::nullopt;
  }
}

/// Sanity limits on the file's variable-length fields.
constexpr uint64_t kMaxKeyLength = 1024;
constexpr uint64_t kMaxTensorNameLength = 1024;
constexpr unsigned kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxAlignment = 1 << 20;
/// Smallest encodings: a metadata pair (key length, 1-byte key, type, u8
/// value) and a tensor info (name length, 1-byte name, n_dims, one ne, type,
/// offset).
constexpr uint64_t kMinKVBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

/// One metadata value, referenced in place.
struct MetaValue {
  uint32_t type = 0;
  uint64_t keyOffset = 0; ///< Where the key/value pair starts (for messages).
  uint64_t bits = 0;      ///< Scalar: raw little-endian bits, zero-extended.
  StringRef str;          ///< String: the bytes.
  uint32_t elemType = 0;  ///< Array: element type, count, first element.
  uint64_t count = 0;
  uint64_t elemOffset = 0;
};

/// Reads a length-prefixed string of at most \p maxLength bytes.
Error readString(ByteCursor &cur, StringRef &out, uint64_t maxLength,
                 const Twine &what) {
  uint64_t start = cur.offset();
  uint64_t length;
  if (Error err = cur.read(length, "length of " + what))
    return err;
  if (length > maxLength)
    return cur.errorAt(start, "length " + Twine(length) + " of " + what +
                                  " exceeds the limit of " + Twine(maxLength));
  if (length > cur.remaining())
    return cur.errorAt(start, "length " + Twine(length) + " of " + what +
                                  " exceeds the " + Twine(cur.remaining()) +
                                  " bytes left in the file");
  return cur.readBytes(length, out, what);
}

/// Parses (and for arrays, validates and skips) one value of \p type.
Error parseValue(ByteCursor &cur, uint32_t type, unsigned depth, MetaValue &out,
                 const Twine &what) {
  out.type = type;
  if (uint64_t size = scalarSize(type)) {
    StringRef bytes;
    if (Error err = cur.readBytes(size, bytes, what))
      return err;
    out.bits = 0;
    for (uint64_t i = 0; i < size; ++i)
      out.bits |= uint64_t(uint8_t(bytes[i])) << (8 * i);
    return Error::success();
  }
  if (type == VT_String)
    return readString(cur, out.str, UINT64_MAX, what);
  if (type != VT_Array)
    return cur.errorAt(cur.offset() - 4,
                       "unknown value type " + Twine(type) + " of " + what);

  /// Array: element type and count, each checked before walking elements.
  uint64_t start = cur.offset();
  if (depth >= kMaxArrayDepth)
    return cur.errorAt(start, what + " nests arrays deeper than " +
                                  Twine(kMaxArrayDepth));
  if (Error err = cur.read(out.elemType, "element type of " + what))
    return err;
  if (out.elemType >= VT_Count)
    return cur.errorAt(start, "unknown element type " + Twine(out.elemType) +
                                  " of " + what);
  if (Error err = cur.read(out.count, "element count of " + what))
    return err;
  uint64_t minSize = minValueSize(out.elemType);
  if (out.count > cur.remaining() / minSize)
    return cur.errorAt(start + 4, "element count " + Twine(out.count) + " of " +
                                      what + " needs at least " +
                                      Twine(minSize) + " bytes each but only " +
                                      Twine(cur.remaining()) +
                                      " bytes are left in the file");
  out.elemOffset = cur.offset();
  if (uint64_t size = scalarSize(out.elemType))
    return cur.skip(out.count * size, what);
  MetaValue elem;
  for (uint64_t i = 0; i < out.count; ++i)
    if (Error err = parseValue(cur, out.elemType, depth + 1, elem,
                               "element " + Twine(i) + " of " + what))
      return err;
  return Error::success();
}

/// The parsed metadata with typed accessors that report what and where.
class Metadata {
public:
  Metadata(StringRef path, StringRef data) : path(path), data(data) {}

  StringMap<MetaValue> values;

  const MetaValue *lookup(StringRef key) const {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  }
  bool has(StringRef key) const { return lookup(key) != nullptr; }

  Error typeError(StringRef key, const MetaValue &v, StringRef expected) const {
    return makeError(path, "offset " + Twine(v.keyOffset) + ": metadata '" +
                               key + "' has type " + valueTypeName(v.type) +
                               ", expected " + expected);
  }
  Error missing(StringRef key) const {
    return makeError(path, "missing metadata '" + key + "'");
  }

  /// Integer value of \p key, or \p fallback if absent (error if no
  /// fallback).
  Error getInt(StringRef key, int64_t &out,
               std::optional<int64_t> fallback = std::nullopt) const {
    const MetaValue *v = lookup(key);
    if (!v) {
      if (!fallback)
        return missing(key);
      out = *fallback;
      return Error::success();
    }
    return toInt(key, *v, v->type, v->bits, out);
  }

  Error getFloat(StringRef key, float &out,
                 std::optional<float> fallback = std::nullopt) const {
    const MetaValue *v = lookup(key);
    if (!v) {
      if (!fallback)
        return missing(key);
      out = *fallback;
      return Error::success();
    }
    if (!isFloatType(v->type))
      return typeError(key, *v, "f32 or f64");
    out = static_cast<float>(toDouble(v->type, v->bits));
    return Error::success();
  }

  Error getBool(StringRef key, bool &out, bool fallback) const {
    const MetaValue *v = lookup(key);
    if (!v) {
      out = fallback;
      return Error::success();
    }
    if (v->type != VT_Bool)
      return typeError(key, *v, "bool");
    out = v->bits != 0;
    return Error::success();
  }

  Error getString(StringRef key, StringRef &out,
                  std::optional<StringRef> fallback = std::nullopt) const {
    const MetaValue *v = lookup(key);
    if (!v) {
      if (!fallback)
        return missing(key);
      out = *fallback;
      return Error::success();
    }
    if (v->type != VT_String)
      return typeError(key, *v, "string");
    out = v->str;
    return Error::success();
  }

  /// The array \p key, which must hold elements accepted by \p accept.
  Error getArray(StringRef key, const MetaValue *&out,
                 function_ref<bool(uint32_t)> accept,
                 StringRef expected) const {
    out = lookup(key);
    if (!out)
      return missing(key);
    if (out->type == VT_Array && accept(out->elemType))
      return Error::success();
    std::string actual = valueTypeName(out->type).str();
    if (out->type == VT_Array)
      actual += ("[" + valueTypeName(out->elemType) + "]").str();
    return makeError(path, "offset " + Twine(out->keyOffset) + ": metadata '" +
                               key + "' has type " + actual +
                               ", expected an array of " + expected);
  }

  /// Decodes element \p i's scalar bits of a fixed-size array.
  uint64_t elementBits(const MetaValue &array, uint64_t i) const {
    uint64_t size = scalarSize(array.elemType);
    uint64_t at = array.elemOffset + i * size;
    uint64_t bits = 0;
    for (uint64_t b = 0; b < size; ++b)
      bits |= uint64_t(uint8_t(data[at + b])) << (8 * b);
    return bits;
  }

  Error toInt(StringRef key, const MetaValue &v, uint32_t type, uint64_t bits,
              int64_t &out) const {
    if (!isIntegerType(type))
      return typeError(key, v, "an integer");
    if (isSignedType(type)) {
      unsigned width = 8 * scalarSize(type);
      out = SignExtend64(bits, width);
    } else {
      if (bits > uint64_t(INT64_MAX))
        return makeError(path, "offset " + Twine(v.keyOffset) + ": metadata '" +
                                   key + "' value " + Twine(bits) +
                                   " is too large");
      out = static_cast<int64_t>(bits);
    }
    return Error::success();
  }

  static double toDouble(uint32_t type, uint64_t bits) {
    if (type == VT_F32) {
      uint32_t b = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b, 4);
      return f;
    }
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }

private:
  StringRef path;
  StringRef data;
};

/// A tensor info record before its placement is resolved.
struct TensorInfo {
  StringRef name;
  uint64_t infoOffset;
  std::vector<uint64_t> ne;
  TensorFormat format;
  uint64_t relOffset;
};

Error readHeader(ByteCursor &cur, uint64_t &numTensors, uint64_t &numKV) {
  StringRef magic;
  if (Error err = cur.readBytes(4, magic, "the GGUF magic"))
    return err;
  if (magic != "GGUF") {
    std::string shown;
    for (char ch : magic)
      shown += isPrint(ch)
                   ? std::string(1, ch)
                   : "\\x" + utohexstr(uint8_t(ch), /*LowerCase=*/false, 2);
    return cur.errorAt(0, "bad magic '" + shown + "', expected 'GGUF'");
  }
  uint32_t version;
  if (Error err = cur.read(version, "the GGUF version"))
    return err;
  if (version != 2 && version != 3) {
    uint32_t swapped = byteswap(version);
    if (swapped == 2 || swapped == 3)
      return cur.errorAt(4, "big-endian GGUF files are not supported");
    return cur.errorAt(4, "unsupported GGUF version " + Twine(version) +
                              " (versions 2 and 3 are supported)");
  }
  if (Error err = cur.read(numTensors, "the tensor count"))
    return err;
  if (Error err = cur.read(numKV, "the metadata count"))
    return err;
  if (numKV > cur.remaining() / kMinKVBytes)
    return cur.errorAt(16, "metadata count " + Twine(numKV) +
                               " cannot fit in the " + Twine(cur.remaining()) +
                               " bytes left in the file");
  if (numTensors > cur.remaining() / kMinTensorInfoBytes)
    return cur.errorAt(8, "tensor count " + Twine(numTensors) +
                              " cannot fit in the " + Twine(cur.remaining()) +
                              " bytes left in the file");
  return Error::success();
}

Error readMetadata(ByteCursor &cur, uint64_t numKV, Metadata &meta) {
  for (uint64_t i = 0; i < numKV; ++i) {
    uint64_t start = cur.offset();
    StringRef key;
    if (Error err = readString(cur, key, kMaxKeyLength,
                               "key of metadata pair " + Twine(i)))
      return err;
    if (key.empty())
      return cur.errorAt(start,
                         "metadata pair " + Twine(i) + " has an empty key");
    uint32_t type;
    if (Error err = cur.read(type, "type of metadata '" + key + "'"))
      return err;
    MetaValue value;
    value.keyOffset = start;
    if (Error err = parseValue(cur, type, 0, value, "metadata '" + key + "'"))
      return err;
    if (!meta.values.try_emplace(key, value).second)
      return cur.errorAt(start, "duplicate metadata key '" + key + "'");
  }
  return Error::success();
}

Error readTensorInfos(ByteCursor &cur, uint64_t numTensors,
                      std::vector<TensorInfo> &infos) {
  for (uint64_t i = 0; i < numTensors; ++i) {
    TensorInfo info;
    info.infoOffset = cur.offset();
    if (Error err = readString(cur, info.name, kMaxTensorNameLength,
                               "name of tensor " + Twine(i)))
      return err;
    std::string what = ("tensor '" + info.name + "'").str();
    uint32_t numDims;
    if (Error err = cur.read(numDims, "dimension count of " + what))
      return err;
    if (numDims < 1 || numDims > kMaxDims)
      return cur.errorAt(cur.offset() - 4, what + " has " + Twine(numDims) +
                                               " dimensions, expected 1 to " +
                                               Twine(kMaxDims));
    uint64_t numElements = 1;
    for (uint32_t d = 0; d < numDims; ++d) {
      uint64_t n;
      if (Error err = cur.read(n, "dimension " + Twine(d) + " of " + what))
        return err;
      std::optional<uint64_t> product = checkedMulUnsigned(numElements, n);
      if (n == 0 || n > uint64_t(INT64_MAX) || !product ||
          *product > uint64_t(INT64_MAX))
        return cur.errorAt(cur.offset() - 8, "dimension " + Twine(d) + " of " +
                                                 what + " is " + Twine(n) +
                                                 ", which is zero or too "
                                                 "large");
      numElements = *product;
      info.ne.push_back(n);
    }
    uint32_t type;
    if (Error err = cur.read(type, "type of " + what))
      return err;
    std::optional<TensorFormat> format = formatFromGGMLType(type);
    if (!format)
      return cur.errorAt(cur.offset() - 4,
                         "unsupported tensor type " + Twine(type) + " (" +
                             ggmlTypeName(type) + ") for '" + info.name +
                             "' (supported: F32, F16, Q8_0, Q4_0)");
    info.format = *format;
    if (Error err = cur.read(info.relOffset, "data offset of " + what))
      return err;
    infos.push_back(std::move(info));
  }
  return Error::success();
}

/// Resolves each tensor's absolute placement and checks it: block-aligned
/// rows, aligned offset, data inside the file, no two tensors overlapping.
Error placeTensors(StringRef path, uint64_t fileSize, uint64_t dataStart,
                   uint64_t alignment, ArrayRef<TensorInfo> infos,
                   std::vector<TensorRef> &tensors) {
  for (const TensorInfo &info : infos) {
    TensorRef t;
    t.name = info.name.str();
    t.shape.assign(info.ne.rbegin(), info.ne.rend());
    t.format = info.format;
    int64_t block = formatBlockElements(t.format);
    if (static_cast<int64_t>(info.ne[0]) % block != 0)
      return makeError(path, "tensor '" + t.name + "' of type " +
                                 formatName(t.format) + " has rows of " +
                                 Twine(info.ne[0]) +
                                 " elements, not a multiple of the block "
                                 "size " +
                                 Twine(block));
    t.size = formatBytes(t.format, t.numElements());
    if (info.relOffset % alignment != 0)
      return makeError(
          path, "tensor '" + t.name + "' data offset " + Twine(info.relOffset) +
                    " is not a multiple of the alignment " + Twine(alignment));
    std::optional<uint64_t> begin =
        checkedAddUnsigned(dataStart, info.relOffset);
    std::optional<uint64_t> end =
        begin ? checkedAddUnsigned(*begin, t.size) : std::nullopt;
    if (!end || *end > fileSize)
      return makeError(path, "tensor '" + t.name + "' data [offset " +
                                 (begin ? Twine(*begin) : Twine("overflow")) +
                                 ", size " + Twine(t.size) +
                                 ") extends past end of file (size " +
                                 Twine(fileSize) + ")");
    t.offset = *begin;
    tensors.push_back(std::move(t));
  }

  std::vector<const TensorRef *> byOffset;
  for (const TensorRef &t : tensors)
    byOffset.push_back(&t);
  llvm::sort(byOffset, [](const TensorRef *a, const TensorRef *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const TensorRef *prev = byOffset[i - 1], *cur = byOffset[i];
    if (cur->offset < prev->offset + prev->size)
      return makeError(
          path, "tensor '" + cur->name + "' data [offset " +
                    Twine(cur->offset) + ", size " + Twine(cur->size) +
                    ") overlaps tensor '" + prev->name + "' [offset " +
                    Twine(prev->offset) + ", size " + Twine(prev->size) + ")");
  }
  return Error::success();
}

/// Metadata keys (after "<arch>.") that must equal the head dimension.
const StringRef kHeadDimKeys[] = {
    "rope.dimension_count", "attention.key_length", "attention.value_length"};

/// Sets the layer variants of architecture \p arch, or fails for an
/// architecture llmc does not know.
Error setArchitecture(StringRef path, StringRef arch, ModelConfig &c) {
  c.architecture = arch.str();
  if (arch == "llama")
    return Error::success();
  if (arch == "qwen2") {
    c.rope = RopeKind::Halves;
    return Error::success();
  }
  if (arch == "gpt2") {
    c.norm = NormKind::Layer;
    c.gatedMLP = false;
    c.activation = ActivationKind::GELUTanh;
    c.rope = RopeKind::None;
    c.learnedPositions = true;
    return Error::success();
  }
  return makeError(path, "unsupported architecture '" + arch +
                             "' (supported: 'llama', 'qwen2', 'gpt2')");
}

/// Reads the hyper-parameters and rejects variants llmc cannot compile
/// faithfully (partial rotary, RoPE scaling, experts).
Error readConfig(StringRef path, const Metadata &meta, ModelConfig &c) {
  StringRef arch;
  if (Error err = meta.getString("general.architecture", arch))
    return err;
  if (Error err = setArchitecture(path, arch, c))
    return err;
  std::string p = (arch + ".").str();
  if (Error err = meta.getInt(p + "embedding_length", c.dim))
    return err;
  if (Error err = meta.getInt(p + "feed_forward_length", c.hiddenDim))
    return err;
  if (Error err = meta.getInt(p + "block_count", c.numLayers))
    return err;
  if (Error err = meta.getInt(p + "attention.head_count", c.numHeads))
    return err;
  if (Error err =
          meta.getInt(p + "attention.head_count_kv", c.numKVHeads, c.numHeads))
    return err;
  if (Error err = meta.getInt(p + "context_length", c.maxSeqLen))
    return err;
  if (Error err = meta.getFloat(p + (c.norm == NormKind::Layer
                                         ? "attention.layer_norm_epsilon"
                                         : "attention.layer_norm_rms_epsilon"),
                                c.rmsNormEps))
    return err;
  if (Error err = meta.getFloat(p + "rope.freq_base", c.ropeTheta, 10000.0f))
    return err;

  /// Keys that, when present, must agree with the plain llama model (when
  /// dim / n_heads is not integral, validateModelConfig reports that).
  bool headDimKnown = c.numHeads > 0 && c.dim > 0 && c.dim % c.numHeads == 0;
  int64_t headDim = headDimKnown ? c.dim / c.numHeads : 0;
  for (StringRef key : headDimKnown ? ArrayRef<StringRef>(kHeadDimKeys)
                                    : ArrayRef<StringRef>()) {
    int64_t value;
    if (Error err = meta.getInt(p + key.str(), value, headDim))
      return err;
    if (value != headDim)
      return makeError(path, "metadata '" + p + key + "' is " + Twine(value) +
                                 " but the head dimension is " +
                                 Twine(headDim) +
                                 " (partial or non-standard rotary/head "
                                 "sizes are not supported)");
  }
  StringRef scaling;
  if (Error err = meta.getString(p + "rope.scaling.type", scaling, "none"))
    return err;
  if (scaling != "none")
    return makeError(path, "RoPE scaling '" + scaling + "' is not supported");
  int64_t experts;
  if (Error err = meta.getInt(p + "expert_count", experts, 0))
    return err;
  if (experts != 0)
    return makeError(path, "mixture-of-experts models (" + p + "expert_count " +
                               Twine(experts) + ") are not supported");
  return Error::success();
}

/// Reads the tokenizer.ggml.* vocabulary, if there is one.
Error readTokenizer(StringRef path, StringRef data, const Metadata &meta,
                    ModelSource &source) {
  if (!meta.has("tokenizer.ggml.tokens")) {
    if (meta.has("tokenizer.ggml.model"))
      return makeError(path, "metadata 'tokenizer.ggml.model' is present but "
                             "'tokenizer.ggml.tokens' is missing");
    return Error::success();
  }
  StringRef model;
  if (Error err = meta.getString("tokenizer.ggml.model", model, "llama"))
    return err;
  /// Byte-level BPE: the runtime's tokenizer cannot encode with it; the
  /// model is usable on token ids.
  if (model == "gpt2")
    return Error::success();
  if (model != "llama")
    return makeError(path, "unsupported tokenizer model '" + model +
                               "' (supported: 'llama'; 'gpt2' vocabularies "
                               "are skipped)");

  TokenizerData &tok = source.tokenizer;
  const MetaValue *tokens;
  if (Error err = meta.getArray(
          "tokenizer.ggml.tokens", tokens,
          [](uint32_t t) { return t == VT_String; }, "strings"))
    return err;
  uint64_t n = tokens->count;
  ByteCursor cur(path, data, tokens->elemOffset);
  tok.pieces.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    StringRef piece;
    if (Error err = readString(cur, piece, UINT64_MAX, "token " + Twine(i)))
      return err;
    tok.pieces.push_back(piece.str());
    tok.maxTokenLength = std::max(
        tok.maxTokenLength,
        static_cast<unsigned>(std::min<uint64_t>(piece.size(), UINT_MAX)));
  }

  /// Scores and types are optional; when present they cover every token.
  auto checkCount = [&](StringRef key, const MetaValue *array) -> Error {
    if (array->count == n)
      return Error::success();
    return makeError(path, "metadata '" + key + "' has " + Twine(array->count) +
                               " elements but there are " + Twine(n) +
                               " tokens");
  };
  tok.scores.assign(n, 0.0f);
  if (meta.has("tokenizer.ggml.scores")) {
    const MetaValue *scores;
    if (Error err =
            meta.getArray("tokenizer.ggml.scores", scores, isFloatType, "f32"))
      return err;
    if (Error err = checkCount("tokenizer.ggml.scores", scores))
      return err;
    for (uint64_t i = 0; i < n; ++i)
      tok.scores[i] = static_cast<float>(
          Metadata::toDouble(scores->elemType, meta.elementBits(*scores, i)));
  }
  tok.types.assign(n, TokenNormal);
  if (meta.has("tokenizer.ggml.token_type")) {
    const MetaValue *types;
    if (Error err = meta.getArray("tokenizer.ggml.token_type", types,
                                  isIntegerType, "integers"))
      return err;
    if (Error err = checkCount("tokenizer.ggml.token_type", types))
      return err;
    for (uint64_t i = 0; i < n; ++i) {
      int64_t type;
      if (Error err =
              meta.toInt("tokenizer.ggml.token_type", *types, types->elemType,
                         meta.elementBits(*types, i), type))
        return err;
      if (type < TokenNormal || type > TokenByte)
        return makeError(path, "token " + Twine(i) + " has type " +
                                   Twine(type) + ", expected 1 to 6");
      tok.types[i] = static_cast<uint32_t>(type);
    }
  }

  /// Special ids default to SentencePiece's; 0xFFFFFFFF means "none".
  for (auto [key, id, fallback] :
       {std::make_tuple("tokenizer.ggml.bos_token_id", &tok.bosId, 1),
        std::make_tuple("tokenizer.ggml.eos_token_id", &tok.eosId, 2)}) {
    int64_t value;
    if (Error err = meta.getInt(
            key, value, n > uint64_t(fallback) ? fallback : int64_t(-1)))
      return err;
    if (value == 0xFFFFFFFF)
      value = -1;
    if (value < -1 || value >= static_cast<int64_t>(n))
      return makeError(path, "metadata '" + Twine(key) + "' is " +
                                 Twine(value) + ", outside the " + Twine(n) +
                                 " tokens");
    *id = static_cast<int32_t>(value);
  }
  if (Error err = meta.getBool("tokenizer.ggml.add_space_prefix",
                               tok.addDummyPrefix, true))
    return err;
  source.hasTokenizer = true;
  return Error::success();
}

/// Replaces each fused blk.N.attn_qkv.{weight,bias} of \p source by
/// attn_q/k/v tensors: the rows [0, dim), [dim, dim + kvDim) and
/// [dim + kvDim, dim + 2 kvDim) of the fused tensor, which are contiguous
/// byte ranges of the file in every format (rows never share a block).
Error splitFusedQKV(ModelSource &source) {
  const ModelConfig &c = source.config;
  std::vector<TensorRef> out;
  out.reserve(source.tensors.size() + 2 * c.numLayers);
  for (TensorRef &t : source.tensors) {
    StringRef name = t.name;
    if (!name.starts_with("blk.") || !(name.ends_with(".attn_qkv.weight") ||
                                       name.ends_with(".attn_qkv.bias"))) {
      out.push_back(std::move(t));
      continue;
    }
    bool isBias = name.ends_with(".bias");
    StringRef suffix = isBias ? "bias" : "weight";
    StringRef prefix = name.drop_back(strlen("attn_qkv.") + suffix.size());
    int64_t rows = c.dim + 2 * c.kvDim();
    std::vector<int64_t> want =
        isBias ? std::vector<int64_t>{rows} : std::vector<int64_t>{rows, c.dim};
    if (t.shape != want) {
      std::string shape, expected;
      for (int64_t d : t.shape)
        shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      for (int64_t d : want)
        expected += (expected.empty() ? "" : ", ") + std::to_string(d);
      return makeError(source.path, "fused tensor '" + name + "' has shape [" +
                                        shape + "], expected [" + expected +
                                        "] (dim + 2 x kv dim rows)");
    }
    /// A matrix splits between rows (whole blocks); a bias between
    /// elements, which only a dense format allows.
    if (isBias && formatBlockElements(t.format) != 1)
      return makeError(source.path, "fused bias '" + name + "' has format " +
                                        formatName(t.format) +
                                        ", expected f32 or f16");
    uint64_t rowBytes =
        isBias ? formatBlockBytes(t.format) : formatBytes(t.format, c.dim);
    int64_t begin = 0;
    for (auto [part, n] : {std::pair<StringRef, int64_t>{"attn_q", c.dim},
                           {"attn_k", c.kvDim()},
                           {"attn_v", c.kvDim()}}) {
      TensorRef piece;
      piece.name = (prefix + part + "." + suffix).str();
      piece.shape =
          isBias ? std::vector<int64_t>{n} : std::vector<int64_t>{n, c.dim};
      piece.format = t.format;
      piece.offset = t.offset + static_cast<uint64_t>(begin) * rowBytes;
      piece.size = static_cast<uint64_t>(n) * rowBytes;
      piece.file = t.file;
      out.push_back(std::move(piece));
      begin += n;
    }
  }
  source.tensors = std::move(out);
  return Error::success();
}

} // namespace

Expected<ModelSource> readGGUF(StringRef path, MemoryBufferRef buffer) {
  StringRef data = buffer.getBuffer();
  ByteCursor cur(path, data);

  /// Header, metadata (the architecture is checked first: it explains the
  /// most), then the tensor infos.
  uint64_t numTensors, numKV;
  if (Error err = readHeader(cur, numTensors, numKV))
    return std::move(err);
  Metadata meta(path, data);
  if (Error err = readMetadata(cur, numKV, meta))
    return std::move(err);
  ModelSource source;
  source.path = path.str();
  source.sourceFormat = SourceFormat::GGUF;
  if (Error err = readConfig(path, meta, source.config))
    return std::move(err);
  std::vector<TensorInfo> infos;
  if (Error err = readTensorInfos(cur, numTensors, infos))
    return std::move(err);

  /// The data section starts at the next multiple of general.alignment.
  int64_t alignment;
  if (Error err = meta.getInt("general.alignment", alignment, 32))
    return std::move(err);
  if (alignment < 1 || uint64_t(alignment) > kMaxAlignment ||
      !isPowerOf2_64(alignment))
    return makeError(path, "general.alignment " + Twine(alignment) +
                               " is not a power of two in [1, " +
                               Twine(kMaxAlignment) + "]");
  uint64_t dataStart = alignTo(cur.offset(), alignment);

  if (Error err = placeTensors(path, data.size(), dataStart, alignment, infos,
                               source.tensors))
    return std::move(err);
  if (Error err = readTokenizer(path, data, meta, source))
    return std::move(err);

  /// Vocabulary size: explicit key, else the tokenizer, else the embedding.
  ModelConfig &c = source.config;
  std::optional<int64_t> vocab;
  if (source.hasTokenizer)
    vocab = static_cast<int64_t>(source.tokenizer.pieces.size());
  else if (const TensorRef *embd = source.find("token_embd.weight"))
    vocab = embd->shape.front();
  std::string vocabKey = c.architecture + ".vocab_size";
  if (meta.has(vocabKey) || !vocab) {
    if (Error err = meta.getInt(vocabKey, c.vocabSize))
      return std::move(err);
  } else {
    c.vocabSize = *vocab;
  }

  /// The split needs sane sizes (validateModelSource checks them again).
  if (Error err = validateModelConfig(path, c))
    return std::move(err);
  if (Error err = splitFusedQKV(source))
    return std::move(err);

  if (Error err = validateModelSource(source))
    return std::move(err);
  return std::move(source);
}

} // namespace llmc
