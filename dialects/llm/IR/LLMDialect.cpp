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

//===----------------------------------------------------------------------===//
// FormatAttr
//===----------------------------------------------------------------------===//

Attribute FormatAttr::parse(AsmParser &parser, Type) {
  // <kind (, group = N | , per_channel)? (, asymmetric)?>
  StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<FormatKind> kind = symbolizeFormatKind(keyword);
  if (!kind) {
    parser.emitError(parser.getCurrentLocation())
        << "unknown weight format '" << keyword
        << "' (expected f32, f16, q8_0, q4_0, q4_k, int8 or int4)";
    return {};
  }
  int64_t group = 0;
  bool symmetric = true;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef option;
    if (parser.parseKeyword(&option))
      return {};
    if (option == "group") {
      if (parser.parseEqual() || parser.parseInteger(group))
        return {};
    } else if (option == "per_channel") {
      group = 0;
    } else if (option == "asymmetric") {
      symmetric = false;
    } else {
      parser.emitError(parser.getCurrentLocation())
          << "unknown format option '" << option
          << "' (expected group = N, per_channel or asymmetric)";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<FormatAttr>(parser.getContext(), *kind, group,
                                       symmetric);
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyFormatKind(getKind());
  if (getKind() == FormatKind::int8 || getKind() == FormatKind::int4) {
    if (getGroup() == 0)
      printer << ", per_channel";
    else
      printer << ", group = " << getGroup();
    if (!getSymmetric())
      printer << ", asymmetric";
  }
  printer << ">";
}

LogicalResult FormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 FormatKind kind, int64_t group,
                                 bool symmetric) {
  bool integer = kind == FormatKind::int8 || kind == FormatKind::int4;
  if (!integer && (group != 0 || !symmetric))
    return emitError() << "format " << stringifyFormatKind(kind)
                       << " takes no group or asymmetric option";
  if (integer && (group < 0 || group % 32 != 0))
    return emitError() << "group size must be a positive multiple of 32 "
                          "(or per_channel), got "
                       << group;
  return success();
}

bool FormatAttr::isDense() const {
  return getKind() == FormatKind::f32 || getKind() == FormatKind::f16;
}

int64_t FormatAttr::getRowMultiple() const {
  switch (getKind()) {
  case FormatKind::f32:
  case FormatKind::f16:
    return 1;
  case FormatKind::q4_k:
    return 256;
  case FormatKind::q8_0:
  case FormatKind::q4_0:
    return 32;
  case FormatKind::int8:
  case FormatKind::int4:
    return getGroup() == 0 ? 32 : getGroup();
  }
  llvm_unreachable("unknown format kind");
}

int64_t FormatAttr::getGroupSize(int64_t cols) const {
  switch (getKind()) {
  case FormatKind::f32:
  case FormatKind::f16:
    return 1;
  case FormatKind::q8_0:
  case FormatKind::q4_0:
  case FormatKind::q4_k:
    return 32;
  case FormatKind::int8:
  case FormatKind::int4:
    return getGroup() == 0 ? cols : getGroup();
  }
  llvm_unreachable("unknown format kind");
}

int64_t FormatAttr::getBits() const {
  switch (getKind()) {
  case FormatKind::f32:
    return 32;
  case FormatKind::f16:
    return 16;
  case FormatKind::q8_0:
  case FormatKind::int8:
    return 8;
  case FormatKind::q4_0:
  case FormatKind::q4_k:
  case FormatKind::int4:
    return 4;
  }
  llvm_unreachable("unknown format kind");
}

uint64_t FormatAttr::getStorageBytes(int64_t rows, int64_t cols) const {
  if (rows <= 0 || cols <= 0 || cols % getRowMultiple() != 0)
    return 0;
  uint64_t n = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  switch (getKind()) {
  case FormatKind::f32:
    return n * 4;
  case FormatKind::f16:
    return n * 2;
  case FormatKind::q8_0:
    return n / 32 * 34; // fp16 scale + 32 x int8
  case FormatKind::q4_0:
    return n / 32 * 18; // fp16 scale + 16 bytes of nibbles
  case FormatKind::q4_k:
    return n / 256 * 144; // d, dmin, 12 bytes of scales, 128 of nibbles
  case FormatKind::int8:
  case FormatKind::int4: {
    uint64_t group = getGroupSize(cols);
    uint64_t perGroup = (getSymmetric() ? 4 : 8) + group * getBits() / 8;
    return n / group * perGroup;
  }
  }
  llvm_unreachable("unknown format kind");
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
// SparsityAttr
//===----------------------------------------------------------------------===//

Attribute SparsityAttr::parse(AsmParser &parser, Type) {
  // <n:m>
  int64_t n = 0, m = 0;
  if (parser.parseLess() || parser.parseInteger(n) || parser.parseColon() ||
      parser.parseInteger(m) || parser.parseGreater())
    return {};
  return parser.getChecked<SparsityAttr>(parser.getContext(), n, m);
}

void SparsityAttr::print(AsmPrinter &printer) const {
  printer << "<" << getN() << ":" << getM() << ">";
}

LogicalResult SparsityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t n, int64_t m) {
  if (n != 2 || m != 4)
    return emitError() << "unsupported sparsity " << n << ":" << m
                       << " (only 2:4 is supported)";
  return success();
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
  if (!element.isF32() && !element.isF16() && !element.isSignlessInteger(8))
    return emitError() << "kv_cache element type must be f32, f16 or i8, got "
                       << element;
  return success();
}

int64_t KVCacheType::getRowsBytes() const {
  int64_t elementBytes = getElement().getIntOrFloatBitWidth() / 8;
  return getSlots() * 2 * getKvHeads() * getMaxSeq() * getHeadDim() *
         elementBytes;
}

int64_t KVCacheType::getScalesOffset() const {
  return (getRowsBytes() + 63) / 64 * 64;
}

int64_t KVCacheType::getTotalBytes() const {
  if (!getElement().isSignlessInteger(8))
    return getRowsBytes();
  return getScalesOffset() + getSlots() * 2 * getKvHeads() * getMaxSeq() * 4;
}
