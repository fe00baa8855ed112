//===- ReadModelFile.cpp - Open a model file and pick its reader ----------===//
//
// The entry point of the readers for tools: a directory is a Hugging Face
// checkpoint; a file is mapped and recognized as GGUF by its magic (or
// ".gguf" extension), otherwise treated as a llama2.c checkpoint, whose
// tokenizer is a separate file found next to it.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;
using llmc::detail::makeError;

namespace llmc {

static Expected<std::unique_ptr<MemoryBuffer>> openFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot open file: " + buffer.getError().message());
  return std::move(*buffer);
}

/// The tokenizer next to a llama2.c checkpoint of \p vocabSize tokens:
/// "tok<vocab>.bin", else "tokenizer.bin", else none.
static std::string findLlama2cTokenizer(StringRef modelPath,
                                        int64_t vocabSize) {
  StringRef dir = sys::path::parent_path(modelPath);
  for (std::string name : {"tok" + std::to_string(vocabSize) + ".bin",
                           std::string("tokenizer.bin")}) {
    SmallString<256> candidate(dir);
    sys::path::append(candidate, name);
    if (sys::fs::is_regular_file(candidate))
      return std::string(candidate);
  }
  return "";
}

Expected<ModelSource> readModelFile(StringRef path, StringRef tokenizerPath,
                                    std::unique_ptr<MemoryBuffer> &outBuffer) {
  if (sys::fs::is_directory(path)) {
    if (!tokenizerPath.empty())
      return makeError(path, "a Hugging Face checkpoint directory carries "
                             "its own tokenizer.json; the separate tokenizer "
                             "'" +
                                 tokenizerPath +
                                 "' applies only to llama2.c checkpoints");
    return readHuggingFace(path);
  }
  Expected<std::unique_ptr<MemoryBuffer>> model = openFile(path);
  if (!model)
    return model.takeError();
  StringRef data = (*model)->getBuffer();

  if (data.starts_with("GGUF") ||
      sys::path::extension(path).equals_insensitive(".gguf")) {
    if (!tokenizerPath.empty())
      return makeError(path, "a GGUF file carries its own tokenizer; the "
                             "separate tokenizer '" +
                                 tokenizerPath +
                                 "' applies only to llama2.c "
                                 "checkpoints");
    Expected<ModelSource> source = readGGUF(path, (*model)->getMemBufferRef());
    if (source)
      outBuffer = std::move(*model);
    return source;
  }

  /// llama2.c: the tokenizer is explicit or found by the header's vocab size.
  std::string tokPath = tokenizerPath.str();
  if (tokPath.empty() && data.size() >= 28) {
    int32_t vocab =
        static_cast<int32_t>(support::endian::read32le(data.data() + 20));
    if (vocab != INT32_MIN)
      tokPath = findLlama2cTokenizer(path, vocab < 0 ? -vocab : vocab);
  }
  std::unique_ptr<MemoryBuffer> tokenizer;
  if (!tokPath.empty()) {
    Expected<std::unique_ptr<MemoryBuffer>> tok = openFile(tokPath);
    if (!tok)
      return tok.takeError();
    tokenizer = std::move(*tok);
  }
  Expected<ModelSource> source =
      readLlama2c(path, (*model)->getMemBufferRef(), tokenizer.get());
  if (source)
    outBuffer = std::move(*model);
  return source;
}

} // namespace llmc
