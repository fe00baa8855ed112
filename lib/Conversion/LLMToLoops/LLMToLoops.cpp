//===- LLMToLoops.cpp - Lower the llm decode function to loops --*- C++ -*-===//
//
// Implements convert-llm-to-loops: plans the device weights layout and the
// activation arena, builds the device ABI functions, and dispatches each llm
// op to its emitter.
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"
#include "llmc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

namespace llmc {
#define GEN_PASS_DEF_CONVERTLLMTOLOOPSPASS
#include "llmc/Conversion/Passes.h.inc"
} // namespace llmc

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

//===----------------------------------------------------------------------===//
// EmitContext
//===----------------------------------------------------------------------===//

Value EmitContext::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value EmitContext::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

const DeviceWeight &EmitContext::weight(FlatSymbolRefAttr sym) const {
  auto it = deviceWeights.find(sym.getAttr());
  assert(it != deviceWeights.end() && "weight symbol verified to exist");
  return it->second;
}

Value EmitContext::weightView(uint64_t offset, MemRefType type) {
  return memref::ViewOp::create(
      b, loc, type, weights, index(static_cast<int64_t>(offset)), ValueRange{});
}

Value EmitContext::loadWeightElement(const DeviceWeight &w, Value row,
                                     Value col) {
  Type f32Type = b.getF32Type();
  switch (w.format.kind) {
  case DeviceFormat::F32: {
    Value view =
        weightView(w.offset, MemRefType::get({w.rows, w.cols}, f32Type));
    return memref::LoadOp::create(b, loc, view, ValueRange{row, col});
  }
  case DeviceFormat::F16: {
    Value view =
        weightView(w.offset, MemRefType::get({w.rows, w.cols}, b.getF16Type()));
    Value h = memref::LoadOp::create(b, loc, view, ValueRange{row, col});
    return extendF16(h);
  }
  case DeviceFormat::Int8:
  case DeviceFormat::Int4: {
    assert(w.packing.interleave == 1 &&
           "interleaved weights are read only by the linear kernels");
    int64_t groups = w.cols / w.format.group;
    auto scaleType = MemRefType::get({w.rows, groups}, f32Type);
    Value group = arith::DivUIOp::create(b, loc, col, index(w.format.group));
    Value scale = memref::LoadOp::create(
        b, loc, weightView(w.offset + w.packing.scalesOffset, scaleType),
        ValueRange{row, group});
    Value q;
    Type i8 = b.getI8Type();
    if (w.format.kind == DeviceFormat::Int8) {
      Value qs = weightView(w.offset + w.packing.dataOffset,
                            MemRefType::get({w.rows, w.cols}, i8));
      Value qi = memref::LoadOp::create(b, loc, qs, ValueRange{row, col});
      q = w.format.asymmetric
              ? Value(arith::UIToFPOp::create(b, loc, f32Type, qi))
              : Value(arith::SIToFPOp::create(b, loc, f32Type, qi));
    } else {
      Value nibbles = weightView(w.offset + w.packing.dataOffset,
                                 MemRefType::get({w.rows, w.cols / 2}, i8));
      // Element j of a 32-element block: byte j % 16 of the block, low
      // nibble for j < 16, high nibble otherwise.
      Value c32 = index(32), c16 = index(16);
      Value block = arith::DivUIOp::create(b, loc, col, c32);
      Value within = arith::RemUIOp::create(b, loc, col, c32);
      Value byteIdx = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, block, c16),
          arith::RemUIOp::create(b, loc, within, c16));
      Value byte =
          memref::LoadOp::create(b, loc, nibbles, ValueRange{row, byteIdx});
      Value isHigh =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, within, c16);
      Value shift = arith::SelectOp::create(
          b, loc, isHigh, arith::ConstantIntOp::create(b, loc, i8, 4),
          arith::ConstantIntOp::create(b, loc, i8, 0));
      Value nib = arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, byte, shift),
          arith::ConstantIntOp::create(b, loc, i8, 15));
      q = arith::UIToFPOp::create(b, loc, f32Type, nib);
      if (!w.format.asymmetric)
        q = arith::SubFOp::create(b, loc, q, f32(8.0f));
    }
    Value value = arith::MulFOp::create(b, loc, scale, q);
    if (!w.format.asymmetric)
      return value;
    Value min = memref::LoadOp::create(
        b, loc, weightView(w.offset + w.packing.minsOffset, scaleType),
        ValueRange{row, group});
    return arith::AddFOp::create(b, loc, value, min);
  }
  }
  llvm_unreachable("unknown device format");
}

Value EmitContext::extendF16(Value half) {
  Type f32Type = b.getF32Type();
  auto vecType = dyn_cast<VectorType>(half.getType());
  auto like = [&](Type scalar) -> Type {
    return vecType ? Type(VectorType::get(vecType.getShape(), scalar)) : scalar;
  };
  if (!emulateF16)
    return arith::ExtFOp::create(b, loc, like(f32Type), half);
  // Integer widening (F. Giesen's exact half-to-float): move exponent and
  // mantissa into place, rebias the exponent, fix up Inf/NaN, and
  // renormalize subnormals by a float subtraction that is exact.
  Type i32 = like(b.getI32Type());
  auto constI = [&](uint32_t v) -> Value {
    TypedAttr attr = b.getI32IntegerAttr(static_cast<int32_t>(v));
    if (vecType)
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(cast<ShapedType>(i32), attr));
    return arith::ConstantOp::create(b, loc, attr);
  };
  auto constF = [&](float v) -> Value {
    TypedAttr attr = b.getF32FloatAttr(v);
    if (vecType)
      return arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(cast<ShapedType>(like(f32Type)), attr));
    return arith::ConstantOp::create(b, loc, attr);
  };
  Value bits = arith::ExtUIOp::create(
      b, loc, i32,
      arith::BitcastOp::create(b, loc, like(b.getI16Type()), half));
  Value o = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, bits, constI(0x7fff)), constI(13));
  Value exp = arith::AndIOp::create(b, loc, o, constI(0x0f800000));
  o = arith::AddIOp::create(b, loc, o, constI(0x38000000));
  Value isSpecial = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, exp,
                                          constI(0x0f800000));
  o = arith::SelectOp::create(
      b, loc, isSpecial, arith::AddIOp::create(b, loc, o, constI(0x38000000)),
      o);
  Value isSub =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, exp, constI(0));
  Value sub = arith::SubFOp::create(
      b, loc,
      arith::BitcastOp::create(
          b, loc, like(f32Type),
          arith::AddIOp::create(b, loc, o, constI(0x00800000))),
      constF(6.103515625e-05f)); // 2^-14
  Value mag = arith::SelectOp::create(
      b, loc, isSub, arith::BitcastOp::create(b, loc, i32, sub), o);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, bits, constI(0x8000)), constI(16));
  return arith::BitcastOp::create(b, loc, like(f32Type),
                                  arith::OrIOp::create(b, loc, mag, sign));
}

void EmitContext::forLoop(Value lb, Value ub, int64_t step,
                          function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, index(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

//===----------------------------------------------------------------------===//
// Arena planning
//===----------------------------------------------------------------------===//

namespace {
/// Fewest tokens of a partial prefill chunk that run as a padded chunk
/// rather than one decode step each: with fewer than one token tile the
/// chunk's single pass over the weights (one read stream per thread) took
/// longer than the decode steps (several streams per thread) on the
/// TinyLlama shape (docs/benchmarks.md).
constexpr int64_t kMinPaddedTokens = 4;

/// First-fit allocator over byte offsets of the activation arena; freed
/// ranges are reused, so the arena holds only simultaneously live buffers.
class ArenaPlanner {
public:
  uint64_t allocate(uint64_t bytes) {
    bytes = alignTo64(std::max<uint64_t>(bytes, 1));
    uint64_t cursor = 0;
    auto it = live.begin();
    for (; it != live.end(); ++it) {
      if (it->first >= cursor + bytes)
        break;
      cursor = std::max(cursor, it->first + it->second);
    }
    live.insert(it, {cursor, bytes});
    highWater = std::max(highWater, cursor + bytes);
    return cursor;
  }
  void release(uint64_t offset) {
    for (auto it = live.begin(); it != live.end(); ++it)
      if (it->first == offset) {
        live.erase(it);
        return;
      }
  }
  uint64_t size() const { return alignTo64(highWater); }

private:
  std::vector<std::pair<uint64_t, uint64_t>> live; // sorted (offset, size)
  uint64_t highWater = 0;
};

/// 64-bit FNV-1a, used to derive the model id.
struct Fnv1a {
  uint64_t h = 1469598103934665603ull;
  void add(const void *data, size_t n) {
    auto *p = static_cast<const unsigned char *>(data);
    for (size_t i = 0; i < n; ++i)
      h = (h ^ p[i]) * 1099511628211ull;
  }
  void add(StringRef s) {
    add(s.data(), s.size());
    add(uint64_t(s.size()));
  }
  void add(uint64_t v) { add(&v, sizeof(v)); }
};

MemRefType toMemRef(Type tensorType) {
  auto t = cast<RankedTensorType>(tensorType);
  return MemRefType::get(t.getShape(), t.getElementType());
}

struct ConvertLLMToLoopsPass
    : public llmc::impl::ConvertLLMToLoopsPassBase<ConvertLLMToLoopsPass> {
  using Base::Base;

  void runOnOperation() override;
  /// Assigns device offsets to all weights; returns the data size.
  uint64_t planWeights(ModuleOp module, EmitContext &ctx, Fnv1a &id);
  /// Points `ctx` at the ABI arguments of `fn` (weights, kv, arena first;
  /// pos and the parallel-for callback + pool at the given indices).
  void bindAbiArguments(EmitContext &ctx, func::FuncOp fn, unsigned pos,
                        unsigned parallelFor);
  /// Emits the ops of `block` (a flat llm function) at ctx.b, with the
  /// tokens in `tokens` (at arena offset `tokensOffset` if they live in the
  /// arena) and the returned 1xV value written to `logits` (memref<V>), or
  /// to an arena
  /// buffer returned in `outLogits` if `logits` is null. Observation points
  /// are recorded in `observations`, or skipped if it is null.
  LogicalResult emitBody(EmitContext &ctx, Block &block, Value returned,
                         ArenaPlanner &planner, Value tokens,
                         std::optional<uint64_t> tokensOffset, Value logits,
                         SmallVectorImpl<Attribute> *observations,
                         Value *outLogits = nullptr);
  /// A copy of the decode function `entry` whose row dimension (dimension 0
  /// of every tensor with one row) is `rows`, inserted before it; null after
  /// a diagnostic if the copy does not verify.
  func::FuncOp cloneWithRows(func::FuncOp entry, int64_t rows);
};
} // namespace

uint64_t ConvertLLMToLoopsPass::planWeights(ModuleOp module, EmitContext &ctx,
                                            Fnv1a &id) {
  // Integer weights that only llm.linear reads (with the integer-dot
  // kernels) get the interleaved layout their kernel wants; weights that
  // other ops also read element by element (embedding tables tied to the
  // classifier, norms, biases) stay plain.
  llvm::DenseSet<StringAttr> linearWeights, otherWeights;
  module.walk([&](Operation *op) {
    auto linear = dyn_cast<llm::LinearOp>(op);
    for (NamedAttribute attr : op->getAttrs()) {
      auto sym = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
      if (!sym)
        continue;
      if (linear && attr.getName() == linear.getWeightAttrName())
        linearWeights.insert(sym.getAttr());
      else
        otherWeights.insert(sym.getAttr());
    }
  });
  uint64_t cursor = 0;
  for (auto w : module.getOps<llm::WeightOp>()) {
    DeviceWeight dw;
    dw.rows = w.getRows();
    dw.cols = w.getCols();
    dw.format = getDeviceFormat(w.getFormatOrDefault(), dw.cols);
    dw.format.sparse = static_cast<bool>(w.getSparsityAttr());
    StringAttr name = w.getSymNameAttr();
    // 2:4 sparse weights are interleaved for the x86 VNNI kernel only
    // (elsewhere their per-row kernel expands or gathers the kept values).
    bool interleave = integerDot && linearWeights.contains(name) &&
                      !otherWeights.contains(name) &&
                      canInterleave(dw.format, dw.rows, dw.cols) &&
                      (!dw.format.sparse || !ctx.x86DotIntrinsic.empty());
    // AArch64 i8mm: 8-byte words, each 16 bytes one smmla operand; RISC-V
    // V: 1-byte words (k-major), one vector load per input element.
    int64_t wordBytes = ctx.neonMatMul ? 8 : ctx.wideningDot ? 1 : 4;
    dw.packing = getDevicePacking(dw.format, dw.rows, dw.cols,
                                  interleave ? kInterleaveRows : 1, wordBytes);
    dw.offset = alignTo64(cursor);
    cursor = dw.offset + dw.packing.totalBytes;
    w->setAttr("llm.device_offset",
               IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                static_cast<int64_t>(dw.offset)));
    if (interleave)
      w->setAttr("llm.device_interleave",
                 IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                  kInterleaveRows));
    if (interleave && wordBytes != 4)
      w->setAttr(
          "llm.device_interleave_word",
          IntegerAttr::get(IntegerType::get(&getContext(), 64), wordBytes));
    id.add(uint64_t(dw.packing.interleave));
    id.add(uint64_t(dw.packing.wordBytes));
    id.add(uint64_t(dw.packing.halfScales));
    ctx.deviceWeights[w.getSymNameAttr()] = dw;
    // The id covers the layout and the identity of every weight's data.
    id.add(w.getSymName());
    id.add(uint64_t(dw.format.kind));
    id.add(uint64_t(dw.format.group));
    id.add(uint64_t(dw.format.asymmetric));
    id.add(uint64_t(dw.rows));
    id.add(uint64_t(dw.cols));
    if (dw.format.sparse)
      id.add(StringRef("sparse 2:4"));
    id.add(dw.offset);
    if (std::optional<Attribute> data = w.getData()) {
      if (auto ext = dyn_cast<llm::ExternalDataAttr>(*data)) {
        id.add(ext.getPath());
        id.add(ext.getOffset());
        id.add(ext.getSize());
      } else if (auto elements = dyn_cast<ElementsAttr>(*data)) {
        if (std::optional<ArrayRef<char>> raw = llm::getRawBytes(elements))
          id.add(raw->data(), raw->size());
      }
    }
  }
  return alignTo64(cursor);
}

void ConvertLLMToLoopsPass::bindAbiArguments(EmitContext &ctx, func::FuncOp fn,
                                             unsigned pos,
                                             unsigned parallelFor) {
  Block &body = fn.getBody().front();
  ctx.function = fn;
  ctx.weights = body.getArgument(0);
  ctx.kvCache = body.getArgument(1);
  ctx.arena = body.getArgument(2);
  ctx.pos = body.getArgument(pos);
  ctx.parallelForFn = body.getArgument(parallelFor);
  ctx.pool = body.getArgument(parallelFor + 1);
}

func::FuncOp ConvertLLMToLoopsPass::cloneWithRows(func::FuncOp entry,
                                                  int64_t rows) {
  OpBuilder b(entry);
  auto copy = cast<func::FuncOp>(b.clone(*entry));
  copy.setSymName((entry.getSymName() + "_rows").str());
  copy->removeAttr("llm.entry");
  auto widen = [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() < 1 || type.getDimSize(0) != 1)
      return;
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = rows;
    v.setType(RankedTensorType::get(shape, type.getElementType(),
                                    type.getEncoding()));
  };
  copy.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          widen(arg);
    for (Value result : op->getResults())
      widen(result);
  });
  Block &body = copy.getBody().front();
  copy.setFunctionType(
      FunctionType::get(copy.getContext(), body.getArgumentTypes(),
                        body.getTerminator()->getOperandTypes()));
  if (failed(verify(copy))) {
    entry.emitOpError() << "cannot be batched to " << rows
                        << " rows for prefill (the row-widened copy does not "
                           "verify); use prefill-chunk=1";
    copy.erase();
    return {};
  }
  return copy;
}

/// The f32 or f16 weight of the RMSNorm that follows `linear` before any
/// other linear or attention (the norm after a residual add), if any.
static const DeviceWeight *nextNormWeight(EmitContext &ctx, Operation *linear) {
  for (Operation *op = linear->getNextNode(); op; op = op->getNextNode()) {
    if (isa<llm::LinearOp, llm::AttentionOp>(op))
      return nullptr;
    if (auto norm = dyn_cast<llm::RMSNormOp>(op)) {
      const DeviceWeight &w = ctx.weight(norm.getWeightAttr());
      bool isFloat = w.format.kind == DeviceFormat::F32 ||
                     w.format.kind == DeviceFormat::F16;
      return isFloat && w.rows == 1 ? &w : nullptr;
    }
  }
  return nullptr;
}

LogicalResult ConvertLLMToLoopsPass::emitBody(
    EmitContext &ctx, Block &entryBlock, Value returned, ArenaPlanner &planner,
    Value tokens, std::optional<uint64_t> tokensOffset, Value logits,
    SmallVectorImpl<Attribute> *observations, Value *outLogits) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto allocate = [&](MemRefType t) -> std::pair<Value, uint64_t> {
    uint64_t offset = planner.allocate(memrefBytes(t));
    Value view = memref::ViewOp::create(b, loc, t, ctx.arena,
                                        ctx.index(static_cast<int64_t>(offset)),
                                        ValueRange{});
    return {view, offset};
  };
  ctx.buffers[entryBlock.getArgument(0)] = tokens;

  // Liveness: the last op (by position) that uses each value.
  DenseMap<Operation *, unsigned> position;
  unsigned n = 0;
  for (Operation &op : entryBlock)
    position[&op] = n++;
  DenseMap<Value, unsigned> lastUse;
  DenseMap<Value, uint64_t> offsets;
  if (tokensOffset)
    offsets[entryBlock.getArgument(0)] = *tokensOffset;
  for (Operation &op : entryBlock)
    for (Value operand : op.getOperands())
      lastUse[operand] = std::max(lastUse.lookup(operand), position[&op]);

  std::vector<uint64_t> scratch;
  ctx.allocScratch = [&](MemRefType t) {
    auto [view, offset] = allocate(t);
    scratch.push_back(offset);
    return view;
  };
  ctx.allocPersistent = [&](MemRefType t) { return allocate(t).first; };

  // Linears emitted with an earlier one of their group (emitLinearGroup).
  DenseSet<Operation *> grouped;
  auto releaseOperands = [&](Operation &op) {
    for (Value operand : op.getOperands())
      if (lastUse.lookup(operand) == position[&op] && offsets.count(operand))
        planner.release(offsets[operand]);
  };
  for (Operation &op : entryBlock) {
    if (isa<func::ReturnOp>(op))
      break;
    if (grouped.contains(&op)) {
      releaseOperands(op);
      continue;
    }
    // Result buffers: the returned logits are written straight into the
    // caller's logits array.
    Value out;
    if (op.getNumResults() == 1) {
      Value result = op.getResult(0);
      if (result == returned && logits) {
        out = memref::ExpandShapeOp::create(
            b, loc, toMemRef(result.getType()), logits,
            ArrayRef<ReassociationIndices>{{0, 1}});
      } else {
        auto [view, offset] = allocate(toMemRef(result.getType()));
        out = view;
        offsets[result] = offset;
      }
      ctx.buffers[result] = out;
    }
    // Observation points keep a copy of their input in an arena region that
    // is never reused, listed in llm.observations for the host.
    if (auto observe = dyn_cast<llm::ObserveOp>(op)) {
      if (observations) {
        auto type = toMemRef(observe.getInput().getType());
        auto [copyView, offset] = allocate(type);
        Value copy = copyView;
        Value in = ctx.buffer(observe.getInput());
        ctx.forLoop(0, type.getDimSize(0), [&](Value t) {
          ctx.forLoop(0, type.getDimSize(1), [&](Value j) {
            Value v = memref::LoadOp::create(b, loc, in, ValueRange{t, j});
            memref::StoreOp::create(b, loc, v, copy, ValueRange{t, j});
          });
        });
        observations->push_back(b.getDictionaryAttr(
            {b.getNamedAttr("name", observe.getNameAttr()),
             b.getNamedAttr("offset",
                            b.getI64IntegerAttr(static_cast<int64_t>(offset))),
             b.getNamedAttr("rows", b.getI64IntegerAttr(type.getDimSize(0))),
             b.getNamedAttr("cols", b.getI64IntegerAttr(type.getDimSize(1)))}));
      }
      for (Value operand : op.getOperands())
        if (lastUse.lookup(operand) == position[&op] && offsets.count(operand))
          planner.release(offsets[operand]);
      continue;
    }
    bool ok = true;
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](llm::EmbeddingOp o) { emitEmbedding(ctx, o, out); })
        .Case([&](llm::PositionEmbeddingOp o) {
          emitPositionEmbedding(ctx, o, out);
        })
        .Case([&](llm::RMSNormOp o) { emitRMSNorm(ctx, o, out); })
        .Case([&](llm::LayerNormOp o) { emitLayerNorm(ctx, o, out); })
        .Case([&](llm::RopeOp o) { emitRope(ctx, o, out); })
        .Case([&](llm::ActOp o) { emitAct(ctx, o, out); })
        .Case([&](llm::GatedActOp o) { emitGatedAct(ctx, o, out); })
        .Case([&](llm::AddOp o) { emitAdd(ctx, o, out); })
        .Case([&](llm::LinearOp o) {
          // The linears right after this one that read the same input (q/k/v,
          // gate/up) run in its parallel loop.
          SmallVector<llm::LinearOp> group = {o};
          SmallVector<Value> outs = {out};
          for (auto next = dyn_cast_or_null<llm::LinearOp>(o->getNextNode());
               next && next.getResult() != returned &&
               canShareLinearLoop(ctx, o, next);
               next = dyn_cast_or_null<llm::LinearOp>(next->getNextNode())) {
            auto [view, offset] = allocate(toMemRef(next.getType()));
            offsets[next.getResult()] = offset;
            ctx.buffers[next.getResult()] = view;
            group.push_back(next);
            outs.push_back(view);
            grouped.insert(next);
          }
          ctx.nextNormWeight = nextNormWeight(ctx, group.back());
          // Decode's gate and up (in either order) with the llm.gated_act
          // right after them: one loop that stores only the gated result.
          auto act = group.size() == 2 ? dyn_cast_or_null<llm::GatedActOp>(
                                             group.back()->getNextNode())
                                       : llm::GatedActOp();
          bool upFirst = act && act.getGate() == group[1].getResult();
          if (act &&
              canFuseGatedPair(ctx, group[upFirst], group[!upFirst], act)) {
            auto [view, offset] = allocate(toMemRef(act.getType()));
            offsets[act.getResult()] = offset;
            ctx.buffers[act.getResult()] = view;
            grouped.insert(act);
            emitGatedLinearPair(ctx, group[upFirst], group[!upFirst], act,
                                view);
          } else if (group.size() == 1) {
            emitLinear(ctx, o, out);
          } else {
            emitLinearGroup(ctx, group, outs);
          }
          ctx.nextNormWeight = nullptr;
        })
        .Case([&](llm::AttentionOp o) { emitAttention(ctx, o, out); })
        .Default([&](Operation *other) {
          other->emitOpError("cannot be lowered by convert-llm-to-loops");
          ok = false;
        });
    if (!ok)
      return failure();
    for (uint64_t offset : scratch)
      planner.release(offset);
    scratch.clear();
    // Release buffers whose last use was this op.
    releaseOperands(op);
  }
  if (outLogits)
    *outLogits = ctx.buffer(returned);
  return success();
}

void ConvertLLMToLoopsPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();

  // Find and check the entry point.
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>())
    if (auto kind = func->getAttrOfType<StringAttr>("llm.entry"))
      if (kind.getValue() == "decode")
        entry = func;
  if (!entry) {
    module.emitError("no decode entry point: expected a func.func with "
                     "llm.entry = \"decode\"");
    return signalPassFailure();
  }
  if (vectorWidth <= 0 || (vectorWidth & (vectorWidth - 1)) != 0) {
    module.emitError() << "vector-width must be a positive power of two, got "
                       << static_cast<int64_t>(vectorWidth);
    return signalPassFailure();
  }
  WalkResult structured = entry.walk([](Operation *op) {
    if (isa<llm::LayerOp, llm::ResidualOp>(op)) {
      op->emitOpError("must be inlined before lowering (run "
                      "llm-inline-structure)");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (structured.wasInterrupted())
    return signalPassFailure();

  FunctionType type = entry.getFunctionType();
  auto tokensType = type.getNumInputs() == 3
                        ? dyn_cast<RankedTensorType>(type.getInput(0))
                        : RankedTensorType();
  auto cacheType = type.getNumInputs() == 3
                       ? dyn_cast<llm::KVCacheType>(type.getInput(2))
                       : llm::KVCacheType();
  auto logitsType = type.getNumResults() == 1
                        ? dyn_cast<RankedTensorType>(type.getResult(0))
                        : RankedTensorType();
  if (!tokensType ||
      tokensType != RankedTensorType::get({1}, IntegerType::get(context, 32)) ||
      !type.getInput(1).isIndex() || !cacheType || !logitsType ||
      logitsType.getRank() != 2 || logitsType.getDimSize(0) != 1 ||
      !logitsType.getElementType().isF32() ||
      entry.getBody().getBlocks().size() != 1) {
    entry.emitOpError()
        << "decode entry must have type (tensor<1xi32>, index, "
           "!llm.kv_cache<...>) -> tensor<1xVxf32> and a single block, got "
        << type;
    return signalPassFailure();
  }
  int64_t vocab = logitsType.getDimSize(1);
  auto returnOp = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  Value returned = returnOp.getOperand(0);
  if (!returned.getDefiningOp() ||
      returned.getDefiningOp()->getBlock() != &entry.getBody().front()) {
    entry.emitOpError("the returned logits must be computed in the body");
    return signalPassFailure();
  }

  // The device ABI functions: llmc_model_forward (one token) and, with a
  // chunk of C > 1 rows, llmc_model_prefill (C tokens per call through a
  // clone of the decode function whose row dimension is C).
  OpBuilder b(context);
  b.setInsertionPoint(entry);
  Location loc = entry.getLoc();
  Type i8 = b.getI8Type();
  Fnv1a id;
  auto makeContext = [&]() {
    auto ctx = std::make_unique<EmitContext>(b, loc, vectorWidth, emulateF16);
    ctx->integerDot = integerDot;
    ctx->parallelMinWork = parallelMinWork;
    ctx->decodeStreams = decodeStreams;
    ctx->decodePrefetch = decodePrefetch;
    ctx->attentionHeads = attentionHeads;
    if (dotInstruction == "avx512-vnni") {
      ctx->x86DotIntrinsic = "llvm.x86.avx512.vpdpbusd.256";
      ctx->x86WideDotIntrinsic = "llvm.x86.avx512.vpdpbusd.512";
    } else if (dotInstruction == "avx-vnni")
      // The same intrinsic: LLVM selects the VEX-encoded AVX-VNNI form
      // on targets without AVX512-VL (LLVM has no llvm.x86.avxvnni.*).
      ctx->x86DotIntrinsic = "llvm.x86.avx512.vpdpbusd.256";
    ctx->wideningDot = dotInstruction == "widening";
    ctx->avx2Dot = dotInstruction == "avx2";
    ctx->neonDot =
        dotInstruction == "neon-dotprod" || dotInstruction == "neon-i8mm";
    ctx->neonMatMul = dotInstruction == "neon-i8mm";
    return ctx;
  };
  if (!llvm::is_contained({"generic", "widening", "avx2", "avx512-vnni",
                           "avx-vnni", "neon-dotprod", "neon-i8mm"},
                          dotInstruction)) {
    module.emitError() << "dot-instruction must be generic, widening, avx2, "
                          "avx512-vnni, avx-vnni, neon-dotprod or neon-i8mm, "
                          "got '"
                       << dotInstruction << "'";
    return signalPassFailure();
  }
  if (decodeStreams < 1 || decodeStreams > 16) {
    module.emitError() << "decode-streams must be in [1, 16], got "
                       << static_cast<int64_t>(decodeStreams);
    return signalPassFailure();
  }
  if (decodePrefetch < 0 || decodePrefetch > 64) {
    module.emitError() << "decode-prefetch must be in [0, 64], got "
                       << static_cast<int64_t>(decodePrefetch);
    return signalPassFailure();
  }
  if (attentionHeads < 1 || attentionHeads > 16) {
    module.emitError() << "attention-heads must be in [1, 16], got "
                       << static_cast<int64_t>(attentionHeads);
    return signalPassFailure();
  }
  if (prefillChunk < 1) {
    module.emitError() << "prefill-chunk must be >= 1, got "
                       << static_cast<int64_t>(prefillChunk);
    return signalPassFailure();
  }
  if (parallelMinWork < 0) {
    module.emitError() << "parallel-min-work must be >= 0, got "
                       << static_cast<int64_t>(parallelMinWork);
    return signalPassFailure();
  }
  std::unique_ptr<EmitContext> decodeCtx = makeContext();
  uint64_t weightsSize = planWeights(module, *decodeCtx, id);
  // 2:4 sparse weights are read only by the integer linear kernels.
  WalkResult sparseUses = module.walk([&](Operation *op) {
    if (isa<llm::WeightOp>(op))
      return WalkResult::advance();
    for (NamedAttribute attr : op->getAttrs()) {
      auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
      if (!ref)
        continue;
      auto it = decodeCtx->deviceWeights.find(ref.getAttr());
      if (it == decodeCtx->deviceWeights.end() || !it->second.format.sparse)
        continue;
      auto linear = dyn_cast<llm::LinearOp>(op);
      if (!linear || linear.getWeightAttr() != ref) {
        op->emitOpError() << "reads the 2:4 sparse weight " << ref
                          << "; only the weight of an llm.linear can be "
                             "sparse";
        return WalkResult::interrupt();
      }
      if (!integerDot) {
        op->emitOpError() << "has the 2:4 sparse weight " << ref
                          << ", which needs the integer-dot kernels "
                             "(integer-dot=true)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  if (sparseUses.wasInterrupted())
    return signalPassFailure();
  weightBytes = weightsSize;
  uint64_t kvBytes = cacheType.getTotalBytes();
  auto weightsType = MemRefType::get({std::max<int64_t>(weightsSize, 64)}, i8);
  auto kvType = MemRefType::get({std::max<int64_t>(kvBytes, 64)}, i8);
  auto arenaUnplanned = MemRefType::get({64}, i8);
  auto logitsMemRef = MemRefType::get({vocab}, b.getF32Type());
  auto ptrType = LLVM::LLVMPointerType::get(context);
  Block &entryBlock = entry.getBody().front();

  // llmc_model_forward(weights, kv, arena, token, pos, logits, parallel_for,
  // pool).
  auto forwardType =
      b.getFunctionType({weightsType, kvType, arenaUnplanned, b.getI32Type(),
                         b.getIndexType(), logitsMemRef, ptrType, ptrType},
                        {});
  auto forward =
      func::FuncOp::create(b, loc, "llmc_model_forward", forwardType);
  SmallVector<Attribute> observations;
  uint64_t arenaSize = 64;
  {
    EmitContext &ctx = *decodeCtx;
    Block *body = forward.addEntryBlock();
    b.setInsertionPointToStart(body);
    bindAbiArguments(ctx, forward, /*pos=*/4, /*parallelFor=*/6);
    ArenaPlanner planner;
    // The token goes into a one-element arena buffer.
    uint64_t offset = planner.allocate(4);
    Value tokenBuf = memref::ViewOp::create(
        b, loc, toMemRef(tokensType), ctx.arena,
        ctx.index(static_cast<int64_t>(offset)), ValueRange{});
    memref::StoreOp::create(b, loc, body->getArgument(3), tokenBuf,
                            ValueRange{ctx.index(0)});
    if (failed(emitBody(ctx, entryBlock, returned, planner, tokenBuf, offset,
                        body->getArgument(5), &observations)))
      return signalPassFailure();
    func::ReturnOp::create(b, loc);
    arenaSize = std::max(arenaSize, planner.size());
  }

  // llmc_model_prefill(weights, kv, arena, tokens, n, pos, logits,
  // parallel_for, pool) runs llmc_model_prefill_chunk, a C-row copy of the
  // decode function, on n == C tokens. kMinPaddedTokens <= n < C tokens (a
  // prompt's last, partial chunk) pad the chunk with copies of their last
  // token if the padded positions fit the cache: each row computes what
  // decode would (rows only read earlier positions, so the padding cannot
  // change them), the linears skip the tiles of padding rows (activeRows),
  // the logits are the last real row's, and the padding's K/V entries are
  // overwritten when those positions are run. So n tokens cost one pass
  // over the weights, not n. Otherwise each token runs llmc_model_forward.
  int64_t chunk = std::min<int64_t>(prefillChunk, cacheType.getMaxSeq());
  auto tokensMemRef = MemRefType::get({chunk}, b.getI32Type());
  std::unique_ptr<EmitContext> chunkCtx;
  func::FuncOp chunkFn;
  if (chunk > 1) {
    func::FuncOp rows = cloneWithRows(entry, chunk);
    if (!rows)
      return signalPassFailure();
    chunkCtx = makeContext();
    chunkCtx->deviceWeights = decodeCtx->deviceWeights;
    EmitContext &ctx = *chunkCtx;
    b.setInsertionPoint(entry);
    // (..., parallel_for, pool, last): `last` is the row whose logits are
    // returned.
    auto chunkType = b.getFunctionType(
        {weightsType, kvType, arenaUnplanned, tokensMemRef, b.getIndexType(),
         logitsMemRef, ptrType, ptrType, b.getIndexType()},
        {});
    chunkFn =
        func::FuncOp::create(b, loc, "llmc_model_prefill_chunk", chunkType);
    chunkFn.setPrivate();
    Block *body = chunkFn.addEntryBlock();
    b.setInsertionPointToStart(body);
    bindAbiArguments(ctx, chunkFn, /*pos=*/4, /*parallelFor=*/6);
    Value last = body->getArgument(8);
    ArenaPlanner planner;
    Block &rowsBlock = rows.getBody().front();
    Value rowsReturned =
        cast<func::ReturnOp>(rowsBlock.getTerminator()).getOperand(0);
    Value allLogits;
    // Only the last real row's logits are returned: its classifier computes
    // only that row.
    if (auto classifier = rowsReturned.getDefiningOp<llm::LinearOp>()) {
      ctx.lastRowOnly = classifier;
      ctx.lastRow = last;
    }
    ctx.activeRows = arith::AddIOp::create(b, loc, last, ctx.index(1));
    if (failed(emitBody(ctx, rowsBlock, rowsReturned, planner,
                        body->getArgument(3), std::nullopt, Value(),
                        /*observations=*/nullptr, &allLogits))) {
      rows.erase();
      return signalPassFailure();
    }
    ctx.forLoop(0, vocab, [&](Value j) {
      Value v = memref::LoadOp::create(b, loc, allLogits, ValueRange{last, j});
      memref::StoreOp::create(b, loc, v, body->getArgument(5), ValueRange{j});
    });
    func::ReturnOp::create(b, loc);
    arenaSize = std::max(arenaSize, planner.size());
    rows.erase();
  }
  {
    b.setInsertionPoint(entry);
    Type i64 = b.getI64Type();
    auto prefillType = b.getFunctionType({weightsType, kvType, arenaUnplanned,
                                          tokensMemRef, i64, b.getIndexType(),
                                          logitsMemRef, ptrType, ptrType},
                                         {});
    auto prefill =
        func::FuncOp::create(b, loc, "llmc_model_prefill", prefillType);
    Block *body = prefill.addEntryBlock();
    b.setInsertionPointToStart(body);
    auto args = body->getArguments();
    Value count = arith::IndexCastOp::create(b, loc, b.getIndexType(), args[4]);
    auto perToken = [&]() {
      decodeCtx->forLoop(decodeCtx->index(0), count, 1, [&](Value i) {
        Value token = memref::LoadOp::create(b, loc, args[3], ValueRange{i});
        Value p = arith::AddIOp::create(b, loc, args[5], i);
        func::CallOp::create(b, loc, forward,
                             ValueRange{args[0], args[1], args[2], token, p,
                                        args[6], args[7], args[8]});
      });
    };
    auto callChunk = [&](Value tokens, Value last) {
      func::CallOp::create(b, loc, chunkFn,
                           ValueRange{args[0], args[1], args[2], tokens,
                                      args[5], args[6], args[7], args[8],
                                      last});
    };
    if (chunkFn) {
      auto index = [&](int64_t v) {
        return arith::ConstantIndexOp::create(b, loc, v);
      };
      Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         count, index(chunk));
      auto isFull = scf::IfOp::create(b, loc, full, /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(isFull.thenBlock());
      callChunk(args[3], index(chunk - 1));
      b.setInsertionPointToStart(isFull.elseBlock());
      if (chunk <= kMinPaddedTokens) {
        perToken();
      } else {
        Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                             count, index(kMinPaddedTokens));
        Value fits = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sle,
            arith::AddIOp::create(b, loc, args[5], index(chunk)),
            index(cacheType.getMaxSeq()));
        auto pad = scf::IfOp::create(
            b, loc, arith::AndIOp::create(b, loc, enough, fits),
            /*withElseRegion=*/true);
        b.setInsertionPointToStart(pad.thenBlock());
        // The caller's array holds `count` tokens: copy them, then the last.
        Value padded = memref::AllocaOp::create(b, loc, tokensMemRef);
        Value last = arith::SubIOp::create(b, loc, count, index(1));
        decodeCtx->forLoop(index(0), index(chunk), 1, [&](Value i) {
          Value from = arith::MinUIOp::create(b, loc, i, last);
          Value token =
              memref::LoadOp::create(b, loc, args[3], ValueRange{from});
          memref::StoreOp::create(b, loc, token, padded, ValueRange{i});
        });
        callChunk(padded, last);
        b.setInsertionPointToStart(pad.elseBlock());
        perToken();
      }
    } else {
      perToken();
    }
    func::ReturnOp::create(b, loc);
  }

  // Now the arena size is known: give the arena arguments their static type
  // (also where tasks rebuild the arena).
  arenaBytes = arenaSize;
  auto arenaType = MemRefType::get({static_cast<int64_t>(arenaSize)}, i8);
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.getSymName().starts_with("llmc_model_") ||
        func.getNumArguments() < 3 ||
        func.getArgument(2).getType() != arenaUnplanned)
      continue;
    func.getArgument(2).setType(arenaType);
    SmallVector<Type> inputs(func.getFunctionType().getInputs());
    inputs[2] = arenaType;
    func.setFunctionType(b.getFunctionType(inputs, {}));
  }
  for (EmitContext *ctx : {decodeCtx.get(), chunkCtx.get()})
    if (ctx)
      for (auto [rebuilt, size] : ctx->arenaImports) {
        rebuilt.getResult(0).setType(arenaType);
        cast<LLVM::ConstantOp>(size).setValueAttr(
            b.getI64IntegerAttr(static_cast<int64_t>(arenaSize)));
      }

  // Model id: layout, data identity, shapes.
  id.add(uint64_t(vocab));
  id.add(kvBytes);
  id.add(uint64_t(arenaSize));
  id.add(uint64_t(chunk));
  for (auto tok : module.getOps<llm::TokenizerOp>())
    if (std::optional<ArrayRef<char>> raw = llm::getRawBytes(tok.getData()))
      id.add(raw->data(), raw->size());
  int64_t modelId = static_cast<int64_t>(id.h & 0x7fffffffffffffffull);

  // llmc_model_info.
  int64_t dim = 0;
  for (auto emb : entryBlock.getOps<llm::EmbeddingOp>())
    dim = emb.getResult().getType().getDimSize(1);
  int64_t layers = 0;
  if (auto attr = entry->getAttrOfType<IntegerAttr>("llm.num_layers"))
    layers = attr.getInt();
  auto infoType = MemRefType::get({kInfoCount}, b.getI64Type());
  b.setInsertionPoint(entry);
  auto info = func::FuncOp::create(b, loc, "llmc_model_info",
                                   b.getFunctionType({infoType}, {}));
  Block *infoBody = info.addEntryBlock();
  b.setInsertionPointToStart(infoBody);
  int64_t values[kInfoCount] = {};
  values[kInfoAbiVersion] = kAbiVersion;
  values[kInfoModelId] = modelId;
  values[kInfoDim] = dim;
  values[kInfoVocab] = vocab;
  values[kInfoLayers] = layers;
  values[kInfoMaxSeq] = cacheType.getMaxSeq();
  values[kInfoWeightsBytes] = weightsSize;
  values[kInfoKVBytes] = kvBytes;
  values[kInfoArenaBytes] = arenaSize;
  values[kInfoPrefillChunk] = chunk;
  // Tables a step reads one row of (embeddings not shared with a linear):
  // what a decoded token does not stream through (bench/, docs/benchmarks.md).
  llvm::DenseMap<StringAttr, bool> gatherOnly;
  entryBlock.walk([&](Operation *op) {
    bool gathers = isa<llm::EmbeddingOp, llm::PositionEmbeddingOp>(op);
    for (NamedAttribute attr : op->getAttrs())
      if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue()))
        if (decodeCtx->deviceWeights.count(ref.getAttr())) {
          auto [it, inserted] = gatherOnly.try_emplace(ref.getAttr(), gathers);
          if (!inserted)
            it->second = it->second && gathers;
        }
  });
  for (auto [name, only] : gatherOnly) {
    if (!only)
      continue;
    const DeviceWeight &table = decodeCtx->deviceWeights[name];
    values[kInfoGatheredBytes] += table.packing.totalBytes;
    values[kInfoGatheredRowBytes] +=
        (table.packing.totalBytes + table.rows - 1) / table.rows;
  }
  for (unsigned i = 0; i < kInfoCount; ++i)
    memref::StoreOp::create(
        b, loc, arith::ConstantIntOp::create(b, loc, b.getI64Type(), values[i]),
        infoBody->getArgument(0), ValueRange{decodeCtx->index(i)});
  func::ReturnOp::create(b, loc);

  module->setAttr(
      "llm.device_layout",
      b.getDictionaryAttr({
          b.getNamedAttr("weights_bytes", b.getI64IntegerAttr(weightsSize)),
          b.getNamedAttr("kv_cache_bytes", b.getI64IntegerAttr(kvBytes)),
          b.getNamedAttr("arena_bytes", b.getI64IntegerAttr(arenaSize)),
          b.getNamedAttr("model_id", b.getI64IntegerAttr(modelId)),
          b.getNamedAttr("max_seq", b.getI64IntegerAttr(cacheType.getMaxSeq())),
      }));
  if (!observations.empty())
    module->setAttr("llm.observations", b.getArrayAttr(observations));
  entry.erase();
}
