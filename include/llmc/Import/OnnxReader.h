//===- OnnxReader.h - Decoder-only LLMs from ONNX graphs --------*- C++ -*-===//
//
// The ONNX reader of llmc: parses an ONNX model (protobuf, with optional
// external-data weight files) and recognises the decoder-only transformer it
// computes, producing a ModelSource. Supported forms are listed in
// docs/importers.md; anything else fails with a diagnostic naming the node,
// its op type and domain, and why.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_IMPORT_ONNXREADER_H
#define LLMC_IMPORT_ONNXREADER_H

#include "llmc/Import/ModelSource.h"

namespace llmc {

/// Reads the ONNX model held in \p buffer (the contents of \p path; external
/// data files are resolved relative to the directory of \p path). Tensor data
/// is copied into TensorRef::data, except external data, which is referenced
/// in place through TensorRef::file when no conversion is needed.
llvm::Expected<ModelSource> readONNX(llvm::StringRef path,
                                     llvm::MemoryBufferRef buffer);

/// Opens \p path and reads it with readONNX; on success \p outBuffer holds
/// the file. ONNX graphs carry no tokenizer: a non-empty \p tokenizerPath
/// names a llama2.c tokenizer file for the model's vocabulary.
llvm::Expected<ModelSource>
readONNXFile(llvm::StringRef path, llvm::StringRef tokenizerPath,
             std::unique_ptr<llvm::MemoryBuffer> &outBuffer);

/// Whether \p path names an ONNX model (by its ".onnx" extension).
bool isONNXPath(llvm::StringRef path);

} // namespace llmc

#endif // LLMC_IMPORT_ONNXREADER_H
