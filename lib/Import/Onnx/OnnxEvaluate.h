//===- OnnxEvaluate.h - Evaluate small index/mask subgraphs -----*- C++ -*-===//
//
// Internal to the ONNX reader: a small interpreter for the integer, boolean
// and scalar-float ops that ONNX exports use to build attention masks and
// position indices (Shape, Range, Unsqueeze, comparisons, Where, ...). The
// recogniser evaluates a mask for concrete probe inputs to learn what it
// means (causal, sliding window) instead of matching its many spellings.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_ONNX_ONNXEVALUATE_H
#define LLMC_LIB_IMPORT_ONNX_ONNXEVALUATE_H

#include "OnnxGraph.h"

#include "llvm/ADT/StringMap.h"

namespace llmc {
namespace onnx_import {

/// A dense tensor of the interpreter; every element is held as a double
/// (exact for the int64 indices and masks it is used on). A tensor with
/// `shapeOnly` has a shape but no elements (a KV-cache input: only its
/// Shape may be taken).
struct EvalTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
  int32_t dataType = DT_INT64;
  bool shapeOnly = false;

  int64_t size() const;
};

/// Evaluates \p value of \p graph, with graph inputs bound by \p inputs.
/// Fails, naming the node, on an op the interpreter does not know or on a
/// graph input that is not bound.
llvm::Expected<EvalTensor> evaluate(const OnnxGraph &graph,
                                    llvm::StringRef value,
                                    const llvm::StringMap<EvalTensor> &inputs);

} // namespace onnx_import
} // namespace llmc

#endif // LLMC_LIB_IMPORT_ONNX_ONNXEVALUATE_H
