//===- TestModels.h - In-memory model files for reader tests --*- C++ -*-===//
//
// Builds GGUF and llama2.c files in memory so that each reader test can start
// from a valid model and break exactly one thing: a header field, a metadata
// value, a tensor's shape, type or offset. Tensor data is a byte pattern that
// identifies the tensor, so tests can check that offsets point at the right
// bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TEST_UNIT_IMPORT_TESTMODELS_H
#define LLMC_TEST_UNIT_IMPORT_TESTMODELS_H

#include "llmc/Import/ModelSource.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmc {
namespace test {

/// GGUF metadata value types.
enum GGUFValueType : uint32_t {
  GGUF_U8 = 0,
  GGUF_I8 = 1,
  GGUF_U16 = 2,
  GGUF_I16 = 3,
  GGUF_U32 = 4,
  GGUF_I32 = 5,
  GGUF_F32 = 6,
  GGUF_BOOL = 7,
  GGUF_STRING = 8,
  GGUF_ARRAY = 9,
  GGUF_U64 = 10,
  GGUF_I64 = 11,
  GGUF_F64 = 12,
};

/// ggml type number of a tensor format.
uint32_t ggmlType(TensorFormat format);

/// Little-endian encoders for hand-made payloads.
std::string le32(uint32_t v);
std::string le64(uint64_t v);
std::string ggufString(const std::string &s);

/// The byte at index \p i of the data of tensor number \p tensorIndex.
uint8_t patternByte(size_t tensorIndex, uint64_t i);

/// A GGUF file under construction.
class GGUFTestWriter {
public:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> ne; ///< Innermost first, as in the file.
    uint32_t type = 0;
    uint64_t dataBytes = 0;
    std::optional<uint64_t> offset; ///< Relative; default: packed, aligned.
    bool writeData = true;
  };

  std::string magic = "GGUF";
  uint32_t version = 3;
  uint64_t alignment = 32; ///< Used for layout; set general.alignment too.
  std::optional<uint64_t> tensorCountOverride, kvCountOverride;
  std::vector<std::pair<std::string, std::string>> kvs; ///< key, type+value
  std::vector<Tensor> tensors;

  /// Sets (or replaces in place) a metadata value.
  void setRaw(const std::string &key, uint32_t type,
              const std::string &payload);
  void setU32(const std::string &key, uint32_t v);
  void setI32(const std::string &key, int32_t v);
  void setU64(const std::string &key, uint64_t v);
  void setF32(const std::string &key, float v);
  void setBool(const std::string &key, bool v);
  void setString(const std::string &key, const std::string &v);
  void setStringArray(const std::string &key,
                      const std::vector<std::string> &v);
  void setF32Array(const std::string &key, const std::vector<float> &v);
  void setI32Array(const std::string &key, const std::vector<int32_t> &v);
  void remove(const std::string &key);
  bool hasKey(const std::string &key) const;

  /// Adds a tensor of logical shape \p shape (outermost first).
  void addTensor(const std::string &name, std::vector<int64_t> shape,
                 TensorFormat format);
  Tensor *tensor(const std::string &name);
  void removeTensor(const std::string &name);

  /// Relative offsets as they will be written.
  std::vector<uint64_t> layout() const;
  std::string build() const;

  /// A complete llama model of config \p c: metadata, a synthetic
  /// tokenizer of c.vocabSize pieces (if \p tokenizer), and every tensor,
  /// matrices in \p matrices and norms in F32; output.weight unless \p tied.
  static GGUFTestWriter llama(const ModelConfig &c, TensorFormat matrices,
                              bool tied, bool tokenizer = true);
};

/// A small valid llama configuration (dim 64, hidden 96, 2 layers, 4 heads,
/// 2 KV heads, vocab 40, seq 128).
ModelConfig tinyConfig();

/// The synthetic vocabulary used by GGUFTestWriter::llama.
std::vector<std::string> tinyVocab(int64_t size);

/// A llama2.c checkpoint with this header; weights are the byte pattern of
/// tensor 0. \p extraBytes is added (or removed if negative) at the end.
std::string makeLlama2c(const int32_t header[7], int64_t extraBytes = 0);

/// A llama2.c tokenizer file with these raw pieces.
std::string makeLlama2cTokenizer(const std::vector<std::string> &pieces,
                                 int32_t maxTokenLength = -1);

/// Succeeds if \p result is an error whose message starts with "<path>: "
/// and contains \p substring.
template <typename T>
::testing::AssertionResult failsWith(llvm::Expected<T> result,
                                     const std::string &path,
                                     const std::string &substring) {
  if (result)
    return ::testing::AssertionFailure()
           << "expected an error containing '" << substring << "', got success";
  std::string message = llvm::toString(result.takeError());
  if (message.rfind(path + ": ", 0) != 0)
    return ::testing::AssertionFailure()
           << "message does not start with '" << path << ": ': " << message;
  if (message.find(substring) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message lacks '" << substring << "': " << message;
  return ::testing::AssertionSuccess() << message;
}

/// The message of the error in \p result, or "" (and a test failure) if it
/// succeeded.
template <typename T> std::string errorMessage(llvm::Expected<T> result) {
  if (result) {
    ADD_FAILURE() << "expected an error, got success";
    return "";
  }
  return llvm::toString(result.takeError());
}

} // namespace test
} // namespace llmc

#endif // LLMC_TEST_UNIT_IMPORT_TESTMODELS_H
