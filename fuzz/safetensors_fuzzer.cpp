//===- safetensors_fuzzer.cpp - libFuzzer entry for the safetensors reader ===//
//
// Feeds arbitrary bytes to llmc::readSafeTensors (the header of a
// .safetensors file) and, as JSON text, to llmc::readHFTokenizer: both must
// reject every malformed input with an llvm::Error — no crash, no
// out-of-bounds access. Seed the corpus with a small checkpoint, e.g.
//   utils/export-hf.py stories260K.bin tok512.bin hf/
//   cp hf/model.safetensors hf/tokenizer.json corpus/
//   safetensors-fuzzer -max_total_time=60 corpus/
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::MemoryBufferRef buffer(bytes, "fuzz.safetensors");
  llvm::Expected<std::vector<llmc::SafeTensorInfo>> tensors =
      llmc::readSafeTensors("fuzz.safetensors", buffer);
  if (tensors) {
    /// An accepted header describes tensors inside the input.
    for (const llmc::SafeTensorInfo &t : *tensors)
      if (t.offset > size || t.size > size - t.offset)
        __builtin_trap();
  } else {
    llvm::consumeError(tensors.takeError());
  }
  llvm::Expected<llmc::TokenizerData> tokenizer =
      llmc::readHFTokenizer("fuzz.json", bytes, /*vocabSize=*/1024,
                            /*bosId=*/1, /*eosId=*/2);
  if (tokenizer) {
    if (tokenizer->pieces.size() != 1024 || tokenizer->scores.size() != 1024)
      __builtin_trap();
  } else {
    llvm::consumeError(tokenizer.takeError());
  }
  return 0;
}
