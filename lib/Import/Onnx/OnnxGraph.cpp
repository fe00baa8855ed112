//===- OnnxGraph.cpp - Parsing, indexing and tensor data of ONNX ----------===//
//
// Parses the protobuf with a bounded CodedInputStream, indexes the graph,
// and decodes tensor data from every storage form ONNX allows: raw_data,
// the typed repeated fields, and external data files. Every failure is an
// llvm::Error naming the model file and, where one is involved, the node.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include "llvm/ADT/APFloat.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace llmc {
namespace onnx_import {

unsigned elementBytes(int32_t dataType) {
  switch (dataType) {
  case DT_FLOAT:
  case DT_INT32:
  case DT_UINT32:
    return 4;
  case DT_UINT8:
  case DT_INT8:
  case DT_BOOL:
    return 1;
  case DT_UINT16:
  case DT_INT16:
  case DT_FLOAT16:
  case DT_BFLOAT16:
    return 2;
  case DT_INT64:
  case DT_UINT64:
  case DT_DOUBLE:
    return 8;
  default:
    return 0;
  }
}

std::string dataTypeName(int32_t dataType) {
  switch (dataType) {
  case DT_FLOAT:
    return "float";
  case DT_UINT8:
    return "uint8";
  case DT_INT8:
    return "int8";
  case DT_UINT16:
    return "uint16";
  case DT_INT16:
    return "int16";
  case DT_INT32:
    return "int32";
  case DT_INT64:
    return "int64";
  case DT_STRING:
    return "string";
  case DT_BOOL:
    return "bool";
  case DT_FLOAT16:
    return "float16";
  case DT_DOUBLE:
    return "double";
  case DT_UINT32:
    return "uint32";
  case DT_UINT64:
    return "uint64";
  case DT_BFLOAT16:
    return "bfloat16";
  default:
    return "data type " + std::to_string(dataType);
  }
}

float halfToFloat(uint16_t h) {
  // LLVM's IEEE half semantics (exact: every half is a float), rather than
  // another hand-written copy of llm::halfToFloat.
  return APFloat(APFloat::IEEEhalf(), APInt(16, h)).convertToFloat();
}

//===----------------------------------------------------------------------===//
// Parsing and indexing
//===----------------------------------------------------------------------===//

Expected<std::unique_ptr<OnnxGraph>> OnnxGraph::parse(StringRef path,
                                                      StringRef bytes) {
  std::unique_ptr<OnnxGraph> g(new OnnxGraph());
  g->modelPath = path.str();
  if (bytes.empty())
    return g->error("not an ONNX model: the file is empty");
  if (bytes.size() > size_t(INT_MAX))
    return g->error("the ONNX protobuf is " + Twine(bytes.size()) +
                    " bytes; protobuf messages are limited to 2 GiB (store "
                    "the weights as external data)");
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()), int(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  if (!g->model.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage())
    return g->error("not a valid ONNX model: the protobuf is malformed or "
                    "truncated");
  if (!g->model.has_graph() || g->model.graph().node_size() == 0)
    return g->error("the ONNX model has no graph nodes (truncated file or "
                    "not a model)");
  if (Error err = g->index())
    return std::move(err);
  return std::move(g);
}

Error OnnxGraph::index() {
  const onnx::GraphProto &g = graph();
  for (const onnx::TensorProto &t : g.initializer())
    constants[t.name()] = &t;
  for (const onnx::ValueInfoProto &v : g.input())
    inputs[v.name()] = &v;
  for (const onnx::ValueInfoProto &v : g.output())
    outputs[v.name()] = &v;
  for (const onnx::NodeProto &node : g.node()) {
    for (const std::string &in : node.input()) {
      if (in.empty())
        continue;
      if (!producers.count(in) && !constants.count(in) && !inputs.count(in))
        return nodeError(node, "input '" + in +
                                   "' is neither a graph input, an "
                                   "initializer nor the output of an "
                                   "earlier node (missing initializer?)");
      readers[in].push_back(&node);
    }
    for (const std::string &out : node.output()) {
      if (out.empty())
        continue;
      if (producers.count(out) || constants.count(out) || inputs.count(out))
        return nodeError(node, "output '" + out + "' is defined twice");
      producers[out] = &node;
    }
    if (node.op_type() == "Constant" &&
        (node.domain().empty() || node.domain() == "ai.onnx") &&
        node.output_size() == 1) {
      if (const onnx::AttributeProto *value = attr(node, "value"))
        if (value->has_t())
          constants[node.output(0)] = &value->t();
    }
  }
  for (const onnx::ValueInfoProto &v : g.output())
    if (!producers.count(v.name()) && !constants.count(v.name()) &&
        !inputs.count(v.name()))
      return error("graph output '" + v.name() +
                   "' is not computed by any "
                   "node");
  return Error::success();
}

const onnx::NodeProto *OnnxGraph::producer(StringRef value) const {
  auto it = producers.find(value);
  return it == producers.end() ? nullptr : it->second;
}

ArrayRef<const onnx::NodeProto *> OnnxGraph::consumers(StringRef value) const {
  auto it = readers.find(value);
  if (it == readers.end())
    return {};
  return it->second;
}

const onnx::TensorProto *OnnxGraph::constant(StringRef value) const {
  auto it = constants.find(value);
  return it == constants.end() ? nullptr : it->second;
}

bool OnnxGraph::isGraphInput(StringRef value) const {
  return inputs.count(value) && !constants.count(value);
}

bool OnnxGraph::isGraphOutput(StringRef value) const {
  return outputs.count(value);
}

const onnx::ValueInfoProto *OnnxGraph::valueInfo(StringRef value) const {
  auto it = inputs.find(value);
  if (it != inputs.end())
    return it->second;
  auto out = outputs.find(value);
  return out == outputs.end() ? nullptr : out->second;
}

int64_t OnnxGraph::opsetVersion(StringRef domain) const {
  bool standard = domain.empty() || domain == "ai.onnx";
  for (const onnx::OperatorSetIdProto &op : model.opset_import()) {
    StringRef d = op.domain();
    if (standard ? (d.empty() || d == "ai.onnx") : d == domain)
      return op.version();
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Diagnostics and attributes
//===----------------------------------------------------------------------===//

std::string OnnxGraph::describe(const onnx::NodeProto &node) const {
  std::string name = node.name();
  if (name.empty() && node.output_size())
    name = "producing " + node.output(0);
  std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
  return "node '" + name + "' (" + node.op_type() + ", domain " + domain + ")";
}

Error OnnxGraph::error(const Twine &message) const {
  return createStringError(std::make_error_code(std::errc::invalid_argument),
                           Twine(modelPath) + ": " + message);
}

Error OnnxGraph::nodeError(const onnx::NodeProto &node,
                           const Twine &why) const {
  return error(describe(node) + ": " + why);
}

const onnx::AttributeProto *OnnxGraph::attr(const onnx::NodeProto &node,
                                            StringRef name) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t OnnxGraph::attrInt(const onnx::NodeProto &node, StringRef name,
                           int64_t otherwise) {
  const onnx::AttributeProto *a = attr(node, name);
  return a && a->has_i() ? a->i() : otherwise;
}

float OnnxGraph::attrFloat(const onnx::NodeProto &node, StringRef name,
                           float otherwise) {
  const onnx::AttributeProto *a = attr(node, name);
  return a && a->has_f() ? a->f() : otherwise;
}

//===----------------------------------------------------------------------===//
// Tensor data
//===----------------------------------------------------------------------===//

Expected<int64_t> OnnxGraph::numElements(const onnx::TensorProto &t) const {
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    std::optional<int64_t> product = d < 0 ? std::nullopt : checkedMul(n, d);
    if (!product || *product > (int64_t(1) << 40))
      return error("tensor '" + t.name() + "' has an invalid shape");
    n = *product;
  }
  return n;
}

Expected<ExternalData>
OnnxGraph::externalData(const onnx::TensorProto &t) const {
  ExternalData ext;
  std::string location;
  bool haveLength = false;
  for (const onnx::StringStringEntryProto &kv : t.external_data()) {
    const std::string &valueText = kv.value();
    StringRef value = valueText;
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      uint64_t v;
      if (value.getAsInteger(10, v))
        return error("tensor '" + t.name() + "': external data " + kv.key() +
                     " '" + value + "' is not a number");
      (kv.key() == "offset" ? ext.offset : ext.length) = v;
      haveLength |= kv.key() == "length";
    }
  }
  if (location.empty())
    return error("tensor '" + t.name() +
                 "' is stored externally but names no location");
  if (sys::path::is_absolute(location) || StringRef(location).contains(".."))
    return error("tensor '" + t.name() + "': external data location '" +
                 location +
                 "' must be a relative path inside the model's "
                 "directory");
  SmallString<256> file(sys::path::parent_path(modelPath));
  sys::path::append(file, location);
  ext.file = std::string(file);
  uint64_t fileSize;
  if (std::error_code ec = sys::fs::file_size(file, fileSize))
    return error("tensor '" + t.name() + "': external data file '" + ext.file +
                 "' cannot be opened: " + ec.message());
  Expected<int64_t> n = numElements(t);
  if (!n)
    return n.takeError();
  unsigned elt = elementBytes(t.data_type());
  if (!elt)
    return error("tensor '" + t.name() + "' has unsupported element type " +
                 dataTypeName(t.data_type()));
  uint64_t expected = uint64_t(*n) * elt;
  if (!haveLength)
    ext.length = expected;
  if (ext.length != expected)
    return error("tensor '" + t.name() + "': external data length " +
                 Twine(ext.length) + " does not match its shape (" +
                 Twine(expected) + " bytes)");
  if (ext.offset > fileSize || fileSize - ext.offset < ext.length)
    return error("tensor '" + t.name() + "': external data range [" +
                 Twine(ext.offset) + ", " + Twine(ext.offset + ext.length) +
                 ") lies outside '" + ext.file + "' (" + Twine(fileSize) +
                 " bytes)");
  return ext;
}

Expected<std::vector<char>> OnnxGraph::bytes(const onnx::TensorProto &t) const {
  Expected<int64_t> n = numElements(t);
  if (!n)
    return n.takeError();
  int32_t type = t.data_type();
  unsigned elt = elementBytes(type);
  if (!elt)
    return error("tensor '" + t.name() + "' has unsupported element type " +
                 dataTypeName(type));
  uint64_t size = uint64_t(*n) * elt;
  std::vector<char> out;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    Expected<ExternalData> ext = externalData(t);
    if (!ext)
      return ext.takeError();
    ErrorOr<std::unique_ptr<MemoryBuffer>> buf =
        MemoryBuffer::getFileSlice(ext->file, ext->length, ext->offset);
    if (!buf)
      return error("tensor '" + t.name() + "': cannot read '" + ext->file +
                   "': " + buf.getError().message());
    StringRef data = (*buf)->getBuffer();
    out.assign(data.begin(), data.end());
    return out;
  }
  auto mismatch = [&](uint64_t have) {
    return error("tensor '" + t.name() + "' holds " + Twine(have) +
                 " elements but its shape needs " + Twine(*n));
  };
  if (t.has_raw_data()) {
    if (t.raw_data().size() != size)
      return error("tensor '" + t.name() + "' has " +
                   Twine(t.raw_data().size()) +
                   " bytes of raw data but its shape needs " + Twine(size));
    out.assign(t.raw_data().begin(), t.raw_data().end());
    return out;
  }
  // The typed field must hold exactly the shape's elements (checked before
  // allocating, so a huge claimed shape cannot exhaust memory).
  int64_t have;
  switch (type) {
  case DT_FLOAT:
    have = t.float_data_size();
    break;
  case DT_DOUBLE:
    have = t.double_data_size();
    break;
  case DT_INT64:
    have = t.int64_data_size();
    break;
  case DT_UINT32:
  case DT_UINT64:
    have = t.uint64_data_size();
    break;
  default:
    have = t.int32_data_size();
    break;
  }
  if (have != *n)
    return mismatch(have);
  out.resize(size);
  auto put = [&](uint64_t i, uint64_t v) {
    for (unsigned b = 0; b < elt; ++b)
      out[i * elt + b] = char((v >> (8 * b)) & 0xff);
  };
  switch (type) {
  case DT_FLOAT:
    if (uint64_t(t.float_data_size()) != uint64_t(*n))
      return mismatch(t.float_data_size());
    std::memcpy(out.data(), t.float_data().data(), size);
    break;
  case DT_DOUBLE:
    if (uint64_t(t.double_data_size()) != uint64_t(*n))
      return mismatch(t.double_data_size());
    std::memcpy(out.data(), t.double_data().data(), size);
    break;
  case DT_INT64:
    if (uint64_t(t.int64_data_size()) != uint64_t(*n))
      return mismatch(t.int64_data_size());
    for (int64_t i = 0; i < *n; ++i)
      put(i, uint64_t(t.int64_data(i)));
    break;
  case DT_UINT32:
  case DT_UINT64:
    if (uint64_t(t.uint64_data_size()) != uint64_t(*n))
      return mismatch(t.uint64_data_size());
    for (int64_t i = 0; i < *n; ++i)
      put(i, t.uint64_data(i));
    break;
  default: // int32_data holds every narrower type, float16 as its bits
    if (uint64_t(t.int32_data_size()) != uint64_t(*n))
      return mismatch(t.int32_data_size());
    for (int64_t i = 0; i < *n; ++i)
      put(i, uint64_t(uint32_t(t.int32_data(i))));
    break;
  }
  return out;
}

Expected<std::vector<float>>
OnnxGraph::floats(const onnx::TensorProto &t) const {
  int32_t type = t.data_type();
  if (type != DT_FLOAT && type != DT_FLOAT16 && type != DT_BFLOAT16 &&
      type != DT_DOUBLE)
    return error("tensor '" + t.name() + "' is " + dataTypeName(type) +
                 ", expected a floating-point tensor");
  Expected<std::vector<char>> raw = bytes(t);
  if (!raw)
    return raw.takeError();
  unsigned elt = elementBytes(type);
  size_t n = raw->size() / elt;
  std::vector<float> out(n);
  const char *p = raw->data();
  for (size_t i = 0; i < n; ++i) {
    switch (type) {
    case DT_FLOAT:
      std::memcpy(&out[i], p + 4 * i, 4);
      break;
    case DT_DOUBLE: {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = float(d);
      break;
    }
    case DT_FLOAT16:
      out[i] = halfToFloat(support::endian::read16le(p + 2 * i));
      break;
    default: { // bfloat16
      uint32_t bits = uint32_t(support::endian::read16le(p + 2 * i)) << 16;
      std::memcpy(&out[i], &bits, 4);
      break;
    }
    }
  }
  return out;
}

Expected<std::vector<int64_t>>
OnnxGraph::ints(const onnx::TensorProto &t) const {
  int32_t type = t.data_type();
  bool isSigned = type == DT_INT8 || type == DT_INT16 || type == DT_INT32 ||
                  type == DT_INT64;
  bool isUnsigned = type == DT_UINT8 || type == DT_UINT16 ||
                    type == DT_UINT32 || type == DT_UINT64 || type == DT_BOOL;
  if (!isSigned && !isUnsigned)
    return error("tensor '" + t.name() + "' is " + dataTypeName(type) +
                 ", expected an integer tensor");
  Expected<std::vector<char>> raw = bytes(t);
  if (!raw)
    return raw.takeError();
  unsigned elt = elementBytes(type);
  size_t n = raw->size() / elt;
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = 0;
    for (unsigned b = 0; b < elt; ++b)
      v |= uint64_t(uint8_t((*raw)[i * elt + b])) << (8 * b);
    if (isSigned && elt < 8 && (v >> (8 * elt - 1)) & 1)
      v |= ~uint64_t(0) << (8 * elt); // sign-extend
    out[i] = int64_t(v);
  }
  return out;
}

} // namespace onnx_import
} // namespace llmc
