//===- onnx_fuzzer.cpp - libFuzzer entry point for the ONNX reader --------===//
//
// Feeds arbitrary bytes to llmc::readONNX, which must reject every malformed
// input with an llvm::Error: no crash, no out-of-bounds access, no huge
// allocation, no unbounded evaluation of masks. The model path lies in a
// directory that does not exist, so external data never resolves to a real
// file. Seed the corpus with test/Import/Inputs/make-onnx-graph.py output:
//   make-onnx-graph.py -o corpus/ok.onnx
//   onnx-fuzzer -max_total_time=60 -rss_limit_mb=2048 corpus/
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/OnnxReader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *path = "/nonexistent-llmc-fuzz/model.onnx";
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::MemoryBufferRef buffer(bytes, path);
  llvm::Expected<llmc::ModelSource> source = llmc::readONNX(path, buffer);
  if (!source) {
    llvm::consumeError(source.takeError());
    return 0;
  }
  /// An accepted model owns the bytes of every tensor it describes.
  for (const llmc::TensorRef &t : source->tensors)
    if (!t.data || t.data->size() != t.size)
      __builtin_trap();
  return 0;
}
