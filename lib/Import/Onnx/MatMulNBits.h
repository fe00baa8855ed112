//===- MatMulNBits.h - com.microsoft MatMulNBits to llmc int4 ---*- C++ -*-===//
//
// Internal to the ONNX reader: repacks the 4-bit block-quantized weight of a
// com.microsoft MatMulNBits node into llmc's asymmetric int4 format, without
// dequantizing it.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_ONNX_MATMULNBITS_H
#define LLMC_LIB_IMPORT_ONNX_MATMULNBITS_H

#include "OnnxGraph.h"

#include "llmc/Import/ModelSource.h"

namespace llmc {
namespace onnx_import {

/// The weight of MatMulNBits \p node as the TensorRef \p name, {out, in},
/// TensorFormat::Int4 with group = block_size, asymmetric.
llvm::Expected<TensorRef> convertMatMulNBits(const OnnxGraph &graph,
                                             const onnx::NodeProto &node,
                                             const std::string &name,
                                             int64_t out, int64_t in);

} // namespace onnx_import
} // namespace llmc

#endif // LLMC_LIB_IMPORT_ONNX_MATMULNBITS_H
