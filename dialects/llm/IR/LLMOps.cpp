//===- LLMOps.cpp - llm dialect operations ----------------------*- C++ -*-===//
//
// Verifiers of the llm ops: every shape relation between activations,
// weights and the KV cache is checked here, so a pass that forgets one side
// of a rewrite fails verification.
//
//===----------------------------------------------------------------------===//

#include "llm/IR/LLMOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace llmc::llm;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Looks up the llm.weight named by `sym` and checks that it has `rank`.
static FailureOr<WeightOp> lookupWeight(Operation *op, FlatSymbolRefAttr sym,
                                        SymbolTableCollection &symbolTable,
                                        StringRef role, int64_t rank) {
  auto weight = symbolTable.lookupNearestSymbolFrom<WeightOp>(op, sym);
  if (!weight)
    return op->emitOpError()
           << role << " " << sym << " does not name an llm.weight";
  if (weight.getTensorType().getRank() != rank)
    return op->emitOpError() << role << " " << sym << " must have rank " << rank
                             << ", got " << weight.getTensorType();
  return weight;
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

FormatAttr WeightOp::getFormatOrDefault() {
  if (FormatAttr format = getFormatAttr())
    return format;
  return FormatAttr::get(getContext(), FormatKind::f32);
}

int64_t WeightOp::getRows() {
  RankedTensorType type = getTensorType();
  return type.getRank() == 2 ? type.getDimSize(0) : 1;
}

int64_t WeightOp::getCols() { return getTensorType().getShape().back(); }

uint64_t WeightOp::getStorageBytes() {
  return getFormatOrDefault().getStorageBytes(getRows(), getCols());
}

LogicalResult WeightOp::verify() {
  RankedTensorType type = getTensorType();
  if (!type.getElementType().isF32())
    return emitOpError() << "logical type must have f32 elements, got " << type;
  if (type.getRank() < 1 || type.getRank() > 2)
    return emitOpError() << "must be rank 1 or 2, got " << type;
  FormatAttr format = getFormatOrDefault();
  int64_t multiple = format.getRowMultiple();
  if (getCols() % multiple != 0)
    return emitOpError() << "innermost dimension " << getCols()
                         << " is not a multiple of the " << multiple
                         << "-element groups of format " << format;
  if (SparsityAttr sparsity = getSparsityAttr()) {
    // The sparse device layout exists for symmetric integer formats, where
    // a zero weight is a zero quant.
    bool symmetricInteger = format.getKind() == FormatKind::q8_0 ||
                            format.getKind() == FormatKind::q4_0 ||
                            ((format.getKind() == FormatKind::int8 ||
                              format.getKind() == FormatKind::int4) &&
                             format.getSymmetric());
    if (type.getRank() != 2)
      return emitOpError() << "sparsity " << sparsity << " needs a matrix, got "
                           << type;
    if (!symmetricInteger)
      return emitOpError() << "sparsity " << sparsity
                           << " needs a symmetric int8/int4, q8_0 or q4_0 "
                              "format, got "
                           << format;
  }
  if (!getData())
    return success();
  Attribute data = *getData();
  uint64_t expected = getStorageBytes();
  if (auto ext = dyn_cast<ExternalDataAttr>(data)) {
    if (ext.getSize() != expected)
      return emitOpError() << "external data holds " << ext.getSize()
                           << " bytes but " << type << " in format " << format
                           << " needs " << expected;
    return success();
  }
  auto elements = dyn_cast<ElementsAttr>(data);
  if (!elements)
    return emitOpError() << "data must be #llm.extern or an elements "
                            "attribute, got "
                         << data;
  auto dataType = cast<ShapedType>(elements.getType());
  if (dataType == type) {
    if (format.getKind() != FormatKind::f32)
      return emitOpError() << "f32 values given for a weight stored as "
                           << format;
    return success();
  }
  if (dataType.getRank() == 1 && dataType.getElementType().isInteger(8)) {
    if (static_cast<uint64_t>(dataType.getNumElements()) != expected)
      return emitOpError() << "raw data holds " << dataType.getNumElements()
                           << " bytes but " << type << " in format " << format
                           << " needs " << expected;
    return success();
  }
  return emitOpError() << "data type " << dataType
                       << " is neither the logical type " << type
                       << " nor a 1-D i8 byte tensor";
}

//===----------------------------------------------------------------------===//
// TokenizerOp
//===----------------------------------------------------------------------===//

LogicalResult TokenizerOp::verify() {
  // I64Attr getters are unsigned; ids are signed (-1 means none).
  auto vocab = static_cast<int64_t>(getVocab());
  if (vocab <= 0)
    return emitOpError() << "vocab must be positive, got " << vocab;
  for (auto [name, id] :
       {std::pair<StringRef, int64_t>{"bos", static_cast<int64_t>(getBos())},
        {"eos", static_cast<int64_t>(getEos())}})
    if (id < -1 || id >= vocab)
      return emitOpError() << name << " id " << id << " is outside [-1, "
                           << vocab << ")";
  auto type = cast<ShapedType>(getData().getType());
  if (type.getRank() != 1 || !type.getElementType().isInteger(8))
    return emitOpError() << "data must be a 1-D i8 tensor, got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  auto tokens = getTokens().getType();
  auto result = getResult().getType();
  if (tokens.getDimSize(0) != result.getDimSize(0))
    return emitOpError() << "result has " << result.getDimSize(0)
                         << " rows but there are " << tokens.getDimSize(0)
                         << " tokens";
  return success();
}

LogicalResult
EmbeddingOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto weight = lookupWeight(*this, getTableAttr(), symbolTable, "table", 2);
  if (failed(weight))
    return failure();
  int64_t dim = weight->getTensorType().getDimSize(1);
  if (getResult().getType().getDimSize(1) != dim)
    return emitOpError() << "result row width "
                         << getResult().getType().getDimSize(1)
                         << " does not match the table's " << dim;
  return success();
}

//===----------------------------------------------------------------------===//
// PositionEmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult
PositionEmbeddingOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto weight = lookupWeight(*this, getTableAttr(), symbolTable, "table", 2);
  if (failed(weight))
    return failure();
  int64_t dim = weight->getTensorType().getDimSize(1);
  if (getInput().getType().getDimSize(1) != dim)
    return emitOpError() << "row width " << getInput().getType().getDimSize(1)
                         << " does not match the table's " << dim;
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp / LayerNormOp
//===----------------------------------------------------------------------===//

/// Checks that a norm's epsilon is a positive finite number.
static LogicalResult verifyEps(Operation *op, APFloat eps) {
  float value = eps.convertToFloat();
  if (!(value > 0.0f) || !std::isfinite(value))
    return op->emitOpError() << "eps must be positive, got " << value;
  return success();
}

/// Checks that the rank-1 weight `sym` (in `role`) has one element per
/// column of `input`.
static LogicalResult verifyRowVector(Operation *op, FlatSymbolRefAttr sym,
                                     SymbolTableCollection &symbolTable,
                                     StringRef role, Value input) {
  auto weight = lookupWeight(op, sym, symbolTable, role, 1);
  if (failed(weight))
    return failure();
  int64_t dim = cast<RankedTensorType>(input.getType()).getDimSize(1);
  if (weight->getTensorType().getDimSize(0) != dim)
    return op->emitOpError() << role << " " << sym << " has "
                             << weight->getTensorType().getDimSize(0)
                             << " elements but rows have " << dim;
  return success();
}

LogicalResult RMSNormOp::verify() { return verifyEps(*this, getEps()); }

LogicalResult RMSNormOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyRowVector(*this, getWeightAttr(), symbolTable, "weight",
                         getInput());
}

LogicalResult LayerNormOp::verify() { return verifyEps(*this, getEps()); }

LogicalResult
LayerNormOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (failed(verifyRowVector(*this, getWeightAttr(), symbolTable, "weight",
                             getInput())))
    return failure();
  if (FlatSymbolRefAttr bias = getBiasAttr())
    return verifyRowVector(*this, bias, symbolTable, "bias", getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  if (getInput().getType().getDimSize(0) != getResult().getType().getDimSize(0))
    return emitOpError() << "input has " << getInput().getType().getDimSize(0)
                         << " rows but result has "
                         << getResult().getType().getDimSize(0);
  return success();
}

LogicalResult LinearOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto weight = lookupWeight(*this, getWeightAttr(), symbolTable, "weight", 2);
  if (failed(weight))
    return failure();
  ArrayRef<int64_t> shape = weight->getTensorType().getShape();
  int64_t in = getInput().getType().getDimSize(1);
  int64_t out = getResult().getType().getDimSize(1);
  if (shape[0] != out || shape[1] != in)
    return emitOpError() << "weight " << getWeightAttr() << " of type "
                         << weight->getTensorType() << " does not map " << in
                         << " inputs to " << out << " outputs (expected ["
                         << out << ", " << in << "])";
  if (FlatSymbolRefAttr biasSym = getBiasAttr()) {
    auto bias = lookupWeight(*this, biasSym, symbolTable, "bias", 1);
    if (failed(bias))
      return failure();
    if (bias->getTensorType().getDimSize(0) != out)
      return emitOpError() << "bias " << biasSym << " has "
                           << bias->getTensorType().getDimSize(0)
                           << " elements but the result has " << out
                           << " columns";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t width = getInput().getType().getDimSize(1);
  if (getHeads() * getHeadDim() != width)
    return emitOpError() << "heads (" << getHeads() << ") x head_dim ("
                         << getHeadDim() << ") does not equal the row width "
                         << width;
  if (getHeadDim() % 2 != 0)
    return emitOpError() << "head_dim must be even, got " << getHeadDim();
  if (!(getTheta().convertToFloat() > 0.0f))
    return emitOpError() << "theta must be positive";
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  int64_t rows = getQ().getType().getDimSize(0);
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"k", getK()}, {"v", getV()}}) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getDimSize(0) != rows)
      return emitOpError() << name << " has " << type.getDimSize(0)
                           << " rows but q has " << rows;
    if (type.getDimSize(1) != getKvHeads() * getHeadDim())
      return emitOpError() << name << " row width " << type.getDimSize(1)
                           << " does not equal kv_heads (" << getKvHeads()
                           << ") x head_dim (" << getHeadDim() << ")";
  }
  if (getQ().getType().getDimSize(1) != getHeads() * getHeadDim())
    return emitOpError() << "q row width " << getQ().getType().getDimSize(1)
                         << " does not equal heads (" << getHeads()
                         << ") x head_dim (" << getHeadDim() << ")";
  if (getResult().getType() != getQ().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " must equal the q type " << getQ().getType();
  if (getHeads() % getKvHeads() != 0)
    return emitOpError() << "heads (" << getHeads()
                         << ") is not a multiple of kv_heads (" << getKvHeads()
                         << ")";
  KVCacheType cache = getCache().getType();
  auto slot = static_cast<int64_t>(getSlot());
  if (slot < 0 || slot >= cache.getSlots())
    return emitOpError() << "slot " << slot << " is outside the cache's "
                         << cache.getSlots() << " slots";
  if (cache.getKvHeads() != getKvHeads() || cache.getHeadDim() != getHeadDim())
    return emitOpError() << "cache " << cache << " does not hold "
                         << getKvHeads() << " KV heads of dimension "
                         << getHeadDim();
  if (rows > cache.getMaxSeq())
    return emitOpError() << rows << " rows exceed the cache's max_seq "
                         << cache.getMaxSeq();
  if (std::optional<APFloat> scale = getScale()) {
    float value = scale->convertToFloat();
    if (!(value > 0.0f) || !std::isfinite(value))
      return emitOpError() << "scale must be a positive finite number, got "
                           << value;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LayerOp / ResidualOp
//===----------------------------------------------------------------------===//

/// Checks that a structure op's body takes and yields the input type.
static LogicalResult verifyStructureBody(Operation *op, Region &body,
                                         Type type) {
  Block &block = body.front();
  if (block.getNumArguments() != 1 || block.getArgument(0).getType() != type)
    return op->emitOpError()
           << "body must take exactly one argument of type " << type;
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError() << "body must end with llm.yield";
  if (yield.getValue().getType() != type)
    return op->emitOpError() << "body yields " << yield.getValue().getType()
                             << " but must yield " << type;
  return success();
}

LogicalResult LayerOp::verify() {
  if (static_cast<int64_t>(getIndex()) < 0)
    return emitOpError() << "layer index must be non-negative, got "
                         << static_cast<int64_t>(getIndex());
  return verifyStructureBody(*this, getBody(), getInput().getType());
}

LogicalResult ResidualOp::verify() {
  return verifyStructureBody(*this, getBody(), getInput().getType());
}

#define GET_OP_CLASSES
#include "llm/IR/LLMOps.cpp.inc"
