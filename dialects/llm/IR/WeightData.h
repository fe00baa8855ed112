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

/// Decodes stored bytes in any format to f32 values (rows x cols).
void decodeWeight(FormatAttr format, int64_t rows, int64_t cols,
                  llvm::ArrayRef<char> bytes, float *out);

/// Encodes f32 values into `format`'s stored bytes with round-to-nearest
/// quantization: symmetric scales max|w| / (2^(b-1) - 1) (q4_0 and int4
/// symmetric use -8..7 with the sign of the largest magnitude, as ggml),
/// asymmetric scales (max - min) / (2^b - 1) with the minimum as offset;
/// q4_k chooses per-sub-block scales and offsets and quantizes them to
/// 6 bits as its format requires.
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
