//===- RecognizeDecoder.h - Find the transformer in an ONNX graph -*- C++ -*-=//
//
// Internal to the ONNX reader: walks the residual stream of a decoder-only
// transformer from the token embedding to the logits and fills a
// ModelSource with its configuration and canonically named weights.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_ONNX_RECOGNIZEDECODER_H
#define LLMC_LIB_IMPORT_ONNX_RECOGNIZEDECODER_H

#include "OnnxGraph.h"

#include "llmc/Import/ModelSource.h"

namespace llmc {
namespace onnx_import {

/// Recognises the decoder computed by \p graph and adds its configuration
/// and tensors to \p source (whose path is set).
llvm::Error recognizeDecoder(const OnnxGraph &graph, ModelSource &source);

} // namespace onnx_import
} // namespace llmc

#endif // LLMC_LIB_IMPORT_ONNX_RECOGNIZEDECODER_H
