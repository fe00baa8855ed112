//===- OnnxReader.cpp - Read an ONNX decoder into a ModelSource -----------===//
//
// The entry point of the ONNX reader: parse, recognise, validate.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/OnnxReader.h"

#include "OnnxGraph.h"
#include "RecognizeDecoder.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace llmc {

bool isONNXPath(StringRef path) {
  return sys::path::extension(path).equals_insensitive(".onnx");
}

Expected<ModelSource> readONNX(StringRef path, MemoryBufferRef buffer) {
  Expected<std::unique_ptr<onnx_import::OnnxGraph>> graph =
      onnx_import::OnnxGraph::parse(path, buffer.getBuffer());
  if (!graph)
    return graph.takeError();
  ModelSource source;
  source.path = path.str();
  source.sourceFormat = SourceFormat::ONNX;
  if (Error err = onnx_import::recognizeDecoder(**graph, source))
    return std::move(err);
  if (Error err = validateModelSource(source))
    return std::move(err);
  return source;
}

Expected<ModelSource> readONNXFile(StringRef path, StringRef tokenizerPath,
                                   std::unique_ptr<MemoryBuffer> &outBuffer) {
  if (!tokenizerPath.empty())
    return createStringError(std::make_error_code(std::errc::invalid_argument),
                             path + ": --tokenizer applies only to llama2.c "
                                    "checkpoints; ONNX models are run from "
                                    "token ids");
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!file)
    return createStringError(
        std::make_error_code(std::errc::invalid_argument),
        path + ": cannot open file: " + file.getError().message());
  Expected<ModelSource> source = readONNX(path, (*file)->getMemBufferRef());
  if (source)
    outBuffer = std::move(*file);
  return source;
}

} // namespace llmc
