//===- OnnxGraph.h - An ONNX model with lookups and checked data -*- C++
//-*-===//
//
// Internal to the ONNX reader: the parsed ModelProto with the indexes the
// recogniser walks (producer and consumers of every value, constants from
// initializers and Constant nodes, graph inputs and outputs), attribute
// accessors, tensor data decoding (raw_data or typed fields, external data
// files) and the reader's diagnostics, which name the node, its op type and
// its domain.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_ONNX_ONNXGRAPH_H
#define LLMC_LIB_IMPORT_ONNX_ONNXGRAPH_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llmc {
namespace onnx_import {

/// ONNX TensorProto data types used by the reader.
enum DataType : int32_t {
  DT_FLOAT = 1,
  DT_UINT8 = 2,
  DT_INT8 = 3,
  DT_UINT16 = 4,
  DT_INT16 = 5,
  DT_INT32 = 6,
  DT_INT64 = 7,
  DT_STRING = 8,
  DT_BOOL = 9,
  DT_FLOAT16 = 10,
  DT_DOUBLE = 11,
  DT_UINT32 = 12,
  DT_UINT64 = 13,
  DT_BFLOAT16 = 16,
};

/// Bytes of one element of \p dataType, 0 if not a fixed-size numeric type.
unsigned elementBytes(int32_t dataType);
/// Name of \p dataType ("float", "float16", ...) for messages.
std::string dataTypeName(int32_t dataType);
/// IEEE half to float.
float halfToFloat(uint16_t h);

/// Where the bytes of an external-data tensor are.
struct ExternalData {
  std::string file; ///< Path of the data file (model directory + location).
  uint64_t offset = 0;
  uint64_t length = 0;
};

class OnnxGraph {
public:
  /// Parses \p bytes (the contents of \p path) as an ONNX ModelProto and
  /// indexes its main graph. Fails on malformed protobuf, a graph without
  /// nodes, duplicate producers, or a node reading a value nothing defines.
  static llvm::Expected<std::unique_ptr<OnnxGraph>>
  parse(llvm::StringRef path, llvm::StringRef bytes);

  llvm::StringRef path() const { return modelPath; }
  const onnx::GraphProto &graph() const { return model.graph(); }
  const onnx::ModelProto &proto() const { return model; }

  /// The node computing \p value, or null (graph input, initializer, "").
  const onnx::NodeProto *producer(llvm::StringRef value) const;
  /// The nodes reading \p value, in graph order.
  llvm::ArrayRef<const onnx::NodeProto *>
  consumers(llvm::StringRef value) const;
  /// The initializer or Constant-node tensor named \p value, or null.
  const onnx::TensorProto *constant(llvm::StringRef value) const;
  bool isGraphInput(llvm::StringRef value) const;
  bool isGraphOutput(llvm::StringRef value) const;
  /// The declared type of a graph input/output, or null.
  const onnx::ValueInfoProto *valueInfo(llvm::StringRef value) const;
  /// The opset imported for \p domain ("" and "ai.onnx" are the same), or 0.
  int64_t opsetVersion(llvm::StringRef domain) const;

  /// "node 'NAME' (OP, domain DOMAIN)".
  std::string describe(const onnx::NodeProto &node) const;
  /// "<path>: <message>".
  llvm::Error error(const llvm::Twine &message) const;
  /// "<path>: node 'NAME' (OP, domain DOMAIN): <why>".
  llvm::Error nodeError(const onnx::NodeProto &node,
                        const llvm::Twine &why) const;

  /// The attribute \p name of \p node, or null.
  static const onnx::AttributeProto *attr(const onnx::NodeProto &node,
                                          llvm::StringRef name);
  static int64_t attrInt(const onnx::NodeProto &node, llvm::StringRef name,
                         int64_t otherwise);
  static float attrFloat(const onnx::NodeProto &node, llvm::StringRef name,
                         float otherwise);

  /// Element count of \p tensor, or an error when a dimension is negative
  /// or the product overflows.
  llvm::Expected<int64_t> numElements(const onnx::TensorProto &tensor) const;
  /// The external-data placement of \p tensor (which must be stored
  /// externally): the file must exist inside the model's directory and hold
  /// the whole range, and the range must match the shape.
  llvm::Expected<ExternalData>
  externalData(const onnx::TensorProto &tensor) const;
  /// The little-endian element bytes of \p tensor, from raw_data, the typed
  /// fields or the external file, checked against its shape.
  llvm::Expected<std::vector<char>>
  bytes(const onnx::TensorProto &tensor) const;
  /// The elements of a float/float16/bfloat16/double tensor as float.
  llvm::Expected<std::vector<float>>
  floats(const onnx::TensorProto &tensor) const;
  /// The elements of an integer or bool tensor as int64.
  llvm::Expected<std::vector<int64_t>>
  ints(const onnx::TensorProto &tensor) const;

private:
  OnnxGraph() = default;
  llvm::Error index();

  std::string modelPath;
  onnx::ModelProto model;
  llvm::StringMap<const onnx::NodeProto *> producers;
  llvm::StringMap<std::vector<const onnx::NodeProto *>> readers;
  llvm::StringMap<const onnx::TensorProto *> constants;
  llvm::StringMap<const onnx::ValueInfoProto *> inputs, outputs;
};

} // namespace onnx_import
} // namespace llmc

#endif // LLMC_LIB_IMPORT_ONNX_ONNXGRAPH_H
