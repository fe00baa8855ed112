//===- WeightData.h - Read, decode and encode weight bytes ------*- C++ -*-===//
//
// The bytes behind an llm.weight: reading them (model files are memory-
// mapped once and shared), decoding any storage format to f32 values, and
// encoding f32 values into a storage format. Compression passes and the
// weights writer share this, so every format has one definition.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_WEIGHTDATA_H
#define LLMC_DIALECT_LLM_IR_WEIGHTDATA_H

#include "llm/IR/LLMOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>
#include <vector>

namespace llmc::llm {

/// Reads the stored bytes of weights.
class WeightDataReader {
public:
  /// The bytes of `weight` in its storage format. `scratch` may hold them
  /// (splat attributes are expanded there); the result lives as long as this
  /// reader, `scratch` and the weight's attributes.
  llvm::Expected<llvm::ArrayRef<char>> getBytes(WeightOp weight,
                                                std::vector<char> &scratch);
  /// The weight's values, dequantized to f32, rows x cols row-major.
  llvm::Expected<std::vector<float>> getValues(WeightOp weight);

private:
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
};

/// The canonical unpacked form of an integer-family format (q8_0, q4_0, q4_k,
/// int8, int4): per group an f32 scale (and offset), and per element an
/// 8-bit quant (int8 family: the byte; int4 family: the nibble, 0..15, in
/// element order). Value = scale * (q - zero) + offset, where zero is 8 for
/// symmetric int4, 0 otherwise, and q is signed for symmetric int8.
struct UnpackedWeight {
  std::vector<float> scales;   ///< rows * cols / group
  std::vector<float> offsets;  ///< same size, asymmetric formats only
  std::vector<uint8_t> quants; ///< rows * cols
};

/// Unpacks stored bytes of an integer-family format.
UnpackedWeight unpackWeight(FormatAttr format, int64_t rows, int64_t cols,
                            llvm::ArrayRef<char> bytes);

/// The quant that stands for 0 in a symmetric integer-family format (8 for
/// the 4-bit ones, 0 for the 8-bit ones).
uint8_t getZeroQuant(FormatAttr format);

/// A group of `m` consecutive elements of a row that holds more than `n`
/// nonzero quants: its row, first column and number of nonzeros.
struct DenseGroup {
  int64_t row = 0, col = 0, nonzeros = 0;
};

/// The first group of `m` consecutive elements along the rows of `u` (an
/// unpacked symmetric integer-family weight of `format`, rows x cols, cols
/// a multiple of m) with more than `n` nonzero quants, if any: the check
/// behind `#llm.sparsity<n:m>`.
std::optional<DenseGroup> findDenseGroup(const UnpackedWeight &u,
                                         FormatAttr format, int64_t rows,
                                         int64_t cols, int64_t n, int64_t m);

/// Decodes stored bytes in any format to f32 values (rows x cols).
void decodeWeight(FormatAttr format, int64_t rows, int64_t cols,
                  llvm::ArrayRef<char> bytes, float *out);

/// Encodes f32 values into `format`'s stored bytes. The GGUF formats use
/// ggml's plain round-to-nearest (q8_0: max|w| / 127; q4_0: the largest
/// magnitude maps to -8; q4_k: per-sub-block min/max, 6-bit sub-scales) so
/// they compare with llama.cpp's reference quantizers. llmc's int8/int4
/// search each group's scale (and offset) for the smallest squared error:
/// candidate scales around the RTN one, quants by rounding, then a least
/// squares refit of the scale (and offset) to those quants.
std::vector<char> encodeWeight(FormatAttr format, int64_t rows, int64_t cols,
                               llvm::ArrayRef<float> values);

/// A 1-D i8 `dense_resource` attribute owning a copy of `bytes`.
mlir::ElementsAttr createByteResource(mlir::MLIRContext *context,
                                      llvm::StringRef name,
                                      llvm::ArrayRef<char> bytes);

/// IEEE half <-> single precision (round to nearest even).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);

} // namespace llmc::llm

#endif // LLMC_DIALECT_LLM_IR_WEIGHTDATA_H
