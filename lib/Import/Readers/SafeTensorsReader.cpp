//===- SafeTensorsReader.cpp - Parse the header of a .safetensors file ----===//
//
// A safetensors file is
//   uint64 N (little-endian)       length of the JSON header
//   N bytes                        UTF-8 JSON object, maybe padded with spaces
//   data                           the tensors' bytes, back to back
// The header maps each tensor name to {"dtype": "F32", "shape": [..],
// "data_offsets": [begin, end]} with offsets relative to the start of the
// data; the optional "__metadata__" key maps strings to strings. Every
// offset, size and shape is checked against the file before it is used.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace llvm;
using llmc::detail::makeError;

namespace llmc {

/// Headers larger than this are rejected before parsing (the format's
/// reference implementation uses the same 100 MB limit).
static constexpr uint64_t kMaxHeaderBytes = 100u << 20;
/// Tensors of higher rank are not weights of any decoder llmc imports.
static constexpr size_t kMaxRank = 8;

uint64_t safeTensorsDTypeBytes(StringRef dtype) {
  return StringSwitch<uint64_t>(dtype)
      .Cases({"F64", "I64", "U64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
      .Default(0);
}

/// Parses one tensor entry of the header.
static Error parseEntry(StringRef path, StringRef name,
                        const json::Value &value, uint64_t dataBase,
                        uint64_t dataSize, SafeTensorInfo &out) {
  auto fail = [&](const Twine &message) {
    return makeError(path, "tensor '" + name + "': " + message);
  };
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return fail("header entry is not a JSON object");
  out.name = name.str();
  std::optional<StringRef> dtype = entry->getString("dtype");
  if (!dtype)
    return fail("no string \"dtype\"");
  out.dtype = dtype->str();
  uint64_t elementBytes = safeTensorsDTypeBytes(*dtype);
  if (!elementBytes)
    return fail("unknown dtype '" + *dtype + "'");

  const json::Array *shape = entry->getArray("shape");
  if (!shape)
    return fail("no array \"shape\"");
  if (shape->size() > kMaxRank)
    return fail("shape has rank " + Twine(shape->size()) + ", more than " +
                Twine(kMaxRank));
  uint64_t elements = 1;
  for (const json::Value &dim : *shape) {
    std::optional<int64_t> d = dim.getAsInteger();
    if (!d || *d < 0)
      return fail("shape holds a value that is not a non-negative integer");
    out.shape.push_back(*d);
    std::optional<uint64_t> product =
        checkedMulUnsigned<uint64_t>(elements, static_cast<uint64_t>(*d));
    if (!product)
      return fail("shape overflows 64 bits");
    elements = *product;
  }
  std::optional<uint64_t> bytes = checkedMulUnsigned(elements, elementBytes);
  if (!bytes)
    return fail("byte size overflows 64 bits");

  const json::Array *offsets = entry->getArray("data_offsets");
  if (!offsets || offsets->size() != 2)
    return fail("no array \"data_offsets\" of two integers");
  std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
  std::optional<int64_t> end = (*offsets)[1].getAsInteger();
  if (!begin || !end || *begin < 0 || *end < *begin)
    return fail("data_offsets must be integers with 0 <= begin <= end");
  if (static_cast<uint64_t>(*end) > dataSize)
    return fail("data_offsets [" + Twine(*begin) + ", " + Twine(*end) +
                "] reach beyond the " + Twine(dataSize) +
                " data bytes of the file (truncated file?)");
  uint64_t size = static_cast<uint64_t>(*end - *begin);
  if (size != *bytes)
    return fail("data_offsets [" + Twine(*begin) + ", " + Twine(*end) +
                "] span " + Twine(size) + " bytes, but " + *dtype + " with " +
                Twine(elements) + " elements needs " + Twine(*bytes));
  out.offset = dataBase + static_cast<uint64_t>(*begin);
  out.size = size;
  return Error::success();
}

Expected<std::vector<SafeTensorInfo>> readSafeTensors(StringRef path,
                                                      MemoryBufferRef buffer) {
  StringRef data = buffer.getBuffer();
  if (data.size() < 8)
    return makeError(path, "file of " + Twine(data.size()) +
                               " bytes is too small for a safetensors "
                               "header length");
  uint64_t headerBytes = support::endian::read64le(data.data());
  if (headerBytes > kMaxHeaderBytes || headerBytes > data.size() - 8)
    return makeError(path, "header length " + Twine(headerBytes) +
                               " exceeds the file size " + Twine(data.size()) +
                               " (or the " + Twine(kMaxHeaderBytes) +
                               "-byte limit)");
  StringRef headerText = data.substr(8, headerBytes);
  Expected<json::Value> header = json::parse(headerText);
  if (!header)
    return makeError(path, "bad JSON header: " + toString(header.takeError()));
  const json::Object *object = header->getAsObject();
  if (!object)
    return makeError(path, "the JSON header is not an object");
  uint64_t dataBase = 8 + headerBytes;
  uint64_t dataSize = data.size() - dataBase;

  std::vector<SafeTensorInfo> tensors;
  for (const auto &[key, value] : *object) {
    if (key == "__metadata__") {
      if (!value.getAsObject())
        return makeError(path, "\"__metadata__\" is not a JSON object");
      continue;
    }
    SafeTensorInfo info;
    if (Error err = parseEntry(path, key, value, dataBase, dataSize, info))
      return std::move(err);
    tensors.push_back(std::move(info));
  }
  // File order, so that errors and the imported module are deterministic
  // (json::Object is a hash map).
  llvm::sort(tensors, [](const SafeTensorInfo &a, const SafeTensorInfo &b) {
    return std::tie(a.offset, a.name) < std::tie(b.offset, b.name);
  });
  // Tensors may not overlap (empty tensors take no room).
  for (size_t i = 1; i < tensors.size(); ++i) {
    const SafeTensorInfo &prev = tensors[i - 1], &cur = tensors[i];
    if (cur.size && prev.offset + prev.size > cur.offset)
      return makeError(path, "tensor '" + cur.name +
                                 "' overlaps the data of tensor '" + prev.name +
                                 "'");
  }
  return tensors;
}

} // namespace llmc
