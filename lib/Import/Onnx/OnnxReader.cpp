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
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!file)
    return createStringError(
        std::make_error_code(std::errc::invalid_argument),
        path + ": cannot open file: " + file.getError().message());
  Expected<ModelSource> source = readONNX(path, (*file)->getMemBufferRef());
  if (!source)
    return source;
  // A graph has no vocabulary; a llama2.c tokenizer file may supply it.
  if (!tokenizerPath.empty()) {
    ErrorOr<std::unique_ptr<MemoryBuffer>> tok =
        MemoryBuffer::getFile(tokenizerPath, /*IsText=*/false);
    if (!tok)
      return createStringError(
          std::make_error_code(std::errc::invalid_argument),
          tokenizerPath +
              ": cannot open tokenizer: " + tok.getError().message());
    Expected<TokenizerData> t = readLlama2cTokenizer(
        tokenizerPath, (*tok)->getMemBufferRef(), source->config.vocabSize);
    if (!t)
      return t.takeError();
    source->tokenizer = std::move(*t);
    source->hasTokenizer = true;
  }
  outBuffer = std::move(*file);
  return source;
}

} // namespace llmc
