//===- LLMDialect.cpp - The llm dialect -------------------------*- C++ -*-===//
//
// Registers the llm dialect's ops, attributes and types; type verifiers and
// storage-format arithmetic.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/LLMDialect.h"
#include "llm/IR/LLMOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace llmc::llm;

#include "llm/IR/LLMDialect.cpp.inc"
#include "llm/IR/LLMEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "llm/IR/LLMAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "llm/IR/LLMTypes.cpp.inc"

void LLMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "llm/IR/LLMOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "llm/IR/LLMAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "llm/IR/LLMTypes.cpp.inc"
      >();
}

int64_t llmc::llm::getBlockSize(WeightFormat format) {
  switch (format) {
  case WeightFormat::f32:
  case WeightFormat::f16:
    return 1;
  case WeightFormat::q8_0:
  case WeightFormat::q4_0:
    return 32;
  }
  llvm_unreachable("unknown weight format");
}

uint64_t llmc::llm::getStorageBytes(WeightFormat format, int64_t numElements) {
  if (numElements < 0 || numElements % getBlockSize(format) != 0)
    return 0;
  uint64_t n = static_cast<uint64_t>(numElements);
  switch (format) {
  case WeightFormat::f32:
    return n * 4;
  case WeightFormat::f16:
    return n * 2;
  case WeightFormat::q8_0:
    return n / 32 * 34; // fp16 scale + 32 x int8
  case WeightFormat::q4_0:
    return n / 32 * 18; // fp16 scale + 16 bytes of nibbles
  }
  llvm_unreachable("unknown weight format");
}

std::optional<ArrayRef<char>> llmc::llm::getRawBytes(ElementsAttr attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
    return std::nullopt;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    if (!dense.isSplat())
      return dense.getRawData();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t slots, int64_t kvHeads,
                                  int64_t headDim, int64_t maxSeq,
                                  Type element) {
  if (slots < 0)
    return emitError() << "kv_cache slots must be non-negative, got " << slots;
  if (kvHeads <= 0 || headDim <= 0 || maxSeq <= 0)
    return emitError() << "kv_cache kv_heads, head_dim and max_seq must be "
                          "positive, got "
                       << kvHeads << ", " << headDim << ", " << maxSeq;
  if (!element.isF32())
    return emitError() << "kv_cache element type must be f32, got " << element;
  return success();
}

int64_t KVCacheType::getSlotBytes() const {
  int64_t elementBytes = getElement().getIntOrFloatBitWidth() / 8;
  return 2 * getKvHeads() * getMaxSeq() * getHeadDim() * elementBytes;
}
