//===- gguf_fuzzer.cpp - libFuzzer entry point for the GGUF reader --------===//
//
// Feeds arbitrary bytes to llmc::readGGUF, which must reject every malformed
// input with an llvm::Error: no crash, no out-of-bounds access, no huge
// allocation. Seed the corpus with small GGUF files, for example
//   utils/make-test-model.py -o corpus/tiny.gguf --layers 1 --dim 32 \
//       --hidden 32 --heads 2 --vocab 260 --type q4_0
//   gguf-fuzzer -max_total_time=60 -rss_limit_mb=2048 corpus/
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::MemoryBufferRef buffer(bytes, "fuzz.gguf");
  llvm::Expected<llmc::ModelSource> source =
      llmc::readGGUF("fuzz.gguf", buffer);
  if (!source) {
    llvm::consumeError(source.takeError());
    return 0;
  }
  /// A file that is accepted must describe tensors inside the input.
  for (const llmc::TensorRef &t : source->tensors)
    if (t.offset > size || t.size > size - t.offset)
      __builtin_trap();
  return 0;
}
