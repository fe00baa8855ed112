//===- EmitLinear.cpp - llm.linear to vectorized loops ----------*- C++ -*-===//
//
// Emits matrix-vector products for every weight format: each output is an
// inner product over the packed weight row, accumulated in a vector and
// reduced in a fixed order (identical results on every target).
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

namespace {
/// Emits `acc' = acc + body(k)` over `k in [lb, ub) step s` and returns the
/// final accumulator.
Value accumulate(EmitContext &ctx, Value init, int64_t lb, int64_t ub,
                 int64_t step, function_ref<Value(Value k, Value acc)> body) {
  OpBuilder &b = ctx.b;
  auto loop = scf::ForOp::create(b, ctx.loc, ctx.index(lb), ctx.index(ub),
                                 ctx.index(step), ValueRange{init});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value next = body(loop.getInductionVar(), loop.getRegionIterArg(0));
  scf::YieldOp::create(b, ctx.loc, ValueRange{next});
  return loop.getResult(0);
}

Value splat(EmitContext &ctx, VectorType type, Value scalar) {
  return vector::BroadcastOp::create(ctx.b, ctx.loc, type, scalar);
}

Value zeros(EmitContext &ctx, VectorType type) {
  return arith::ConstantOp::create(
      ctx.b, ctx.loc, DenseElementsAttr::get(type, ctx.b.getF32FloatAttr(0)));
}

/// Ordered sum of the lanes (no reassociation: the same on every target).
Value reduce(EmitContext &ctx, Value v) {
  return vector::ReductionOp::create(ctx.b, ctx.loc, vector::CombiningKind::ADD,
                                     v);
}

/// Inner product of input row `t` with row `n` of a group-quantized weight,
/// one 32-element block per iteration: the block's quants are widened to
/// f32, multiplied with the inputs and scaled by the block's group scale (plus
/// the group offset times the inputs, for asymmetric formats).
Value emitIntegerRowDot(EmitContext &ctx, const DeviceWeight &w, Value x,
                        Value t, Value n) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  Type i8 = b.getI8Type();
  int64_t k = w.cols;
  int64_t groups = k / w.format.group;
  int64_t blocksPerGroup = w.format.group / 32;
  bool asym = w.format.asymmetric;
  auto scaleType = MemRefType::get({w.rows, groups}, f32);
  Value scales = ctx.weightView(w.offset + w.packing.scalesOffset, scaleType);
  Value mins = asym ? ctx.weightView(w.offset + w.packing.minsOffset, scaleType)
                    : Value();
  auto groupOf = [&](Value blk) -> Value {
    if (blocksPerGroup == 1)
      return blk;
    return arith::DivUIOp::create(b, loc, blk, ctx.index(blocksPerGroup));
  };

  if (w.format.kind == DeviceFormat::Int8) {
    auto vecType = VectorType::get({32}, f32);
    Value qs = ctx.weightView(w.offset + w.packing.dataOffset,
                              MemRefType::get({w.rows, k}, i8));
    Value vacc = accumulate(
        ctx, zeros(ctx, vecType), 0, k / 32, 1, [&](Value blk, Value acc) {
          Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
          Value g = groupOf(blk);
          Value s = memref::LoadOp::create(b, loc, scales, ValueRange{n, g});
          Value q = vector::LoadOp::create(b, loc, VectorType::get({32}, i8),
                                           qs, ValueRange{n, col});
          Value qf = asym ? Value(arith::UIToFPOp::create(b, loc, vecType, q))
                          : Value(arith::SIToFPOp::create(b, loc, vecType, q));
          Value xv =
              vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, col});
          Value term =
              arith::MulFOp::create(b, loc, splat(ctx, vecType, s),
                                    arith::MulFOp::create(b, loc, qf, xv));
          if (asym) {
            Value m = memref::LoadOp::create(b, loc, mins, ValueRange{n, g});
            term = arith::AddFOp::create(
                b, loc, term,
                arith::MulFOp::create(b, loc, splat(ctx, vecType, m), xv));
          }
          return arith::AddFOp::create(b, loc, acc, term);
        });
    return reduce(ctx, vacc);
  }

  auto vecType = VectorType::get({16}, f32);
  auto byteType = VectorType::get({16}, i8);
  Value nibbles = ctx.weightView(w.offset + w.packing.dataOffset,
                                 MemRefType::get({w.rows, k / 2}, i8));
  Value mask = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(15)));
  Value four = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(4)));
  Value eight = splat(ctx, vecType, ctx.f32(8.0f));
  Value vacc = accumulate(
      ctx, zeros(ctx, vecType), 0, k / 32, 1, [&](Value blk, Value acc) {
        Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
        Value colHigh = arith::AddIOp::create(b, loc, col, ctx.index(16));
        Value byteCol = arith::MulIOp::create(b, loc, blk, ctx.index(16));
        Value g = groupOf(blk);
        Value s = memref::LoadOp::create(b, loc, scales, ValueRange{n, g});
        Value bytes = vector::LoadOp::create(b, loc, byteType, nibbles,
                                             ValueRange{n, byteCol});
        Value lo = arith::UIToFPOp::create(
            b, loc, vecType, arith::AndIOp::create(b, loc, bytes, mask));
        Value hi = arith::UIToFPOp::create(
            b, loc, vecType, arith::ShRUIOp::create(b, loc, bytes, four));
        if (!asym) {
          lo = arith::SubFOp::create(b, loc, lo, eight);
          hi = arith::SubFOp::create(b, loc, hi, eight);
        }
        Value xl =
            vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, col});
        Value xh =
            vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, colHigh});
        Value dot =
            arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, lo, xl),
                                  arith::MulFOp::create(b, loc, hi, xh));
        Value term = arith::MulFOp::create(b, loc, splat(ctx, vecType, s), dot);
        if (asym) {
          Value m = memref::LoadOp::create(b, loc, mins, ValueRange{n, g});
          term = arith::AddFOp::create(
              b, loc, term,
              arith::MulFOp::create(b, loc, splat(ctx, vecType, m),
                                    arith::AddFOp::create(b, loc, xl, xh)));
        }
        return arith::AddFOp::create(b, loc, acc, term);
      });
  return reduce(ctx, vacc);
}

/// Inner product of input row `t` with weight row `n`.
Value emitRowDot(EmitContext &ctx, const DeviceWeight &w, Value x, Value t,
                 Value n) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  Type i8 = b.getI8Type();
  int64_t k = w.cols;
  switch (w.format.kind) {
  case DeviceFormat::F32:
  case DeviceFormat::F16: {
    bool half = w.format.kind == DeviceFormat::F16;
    int64_t width = ctx.vectorWidth;
    auto vecType = VectorType::get({width}, f32);
    Value view =
        ctx.weightView(w.offset, MemRefType::get({w.rows, w.cols},
                                                 half ? b.getF16Type() : f32));
    int64_t kVec = k / width * width;
    Value sum = ctx.f32(0.0f);
    if (kVec > 0) {
      Value vacc = accumulate(
          ctx, zeros(ctx, vecType), 0, kVec, width, [&](Value kk, Value acc) {
            Value xv =
                vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, kk});
            Value wv;
            if (half) {
              wv = vector::LoadOp::create(
                  b, loc, VectorType::get({width}, b.getF16Type()), view,
                  ValueRange{n, kk});
              wv = ctx.extendF16(wv);
            } else {
              wv = vector::LoadOp::create(b, loc, vecType, view,
                                          ValueRange{n, kk});
            }
            return arith::AddFOp::create(b, loc, acc,
                                         arith::MulFOp::create(b, loc, xv, wv));
          });
      sum = reduce(ctx, vacc);
    }
    if (kVec == k)
      return sum;
    return accumulate(ctx, sum, kVec, k, 1, [&](Value kk, Value acc) {
      Value xs = memref::LoadOp::create(b, loc, x, ValueRange{t, kk});
      Value ws = ctx.loadWeightElement(w, n, kk);
      return arith::AddFOp::create(b, loc, acc,
                                   arith::MulFOp::create(b, loc, xs, ws));
    });
  }
  case DeviceFormat::Int8:
  case DeviceFormat::Int4:
    return emitIntegerRowDot(ctx, w, x, t, n);
  }
  llvm_unreachable("unknown device format");
}
} // namespace

void llmc::lowering::emitLinear(EmitContext &ctx, llm::LinearOp op, Value out) {
  const DeviceWeight &w = ctx.weight(op.getWeightAttr());
  const DeviceWeight *bias =
      op.getBiasAttr() ? &ctx.weight(op.getBiasAttr()) : nullptr;
  Value x = ctx.buffer(op.getInput());
  auto shape = op.getResult().getType().getShape();
  ctx.forLoop(0, shape[0], [&](Value t) {
    ctx.forLoop(0, shape[1], [&](Value n) {
      Value y = emitRowDot(ctx, w, x, t, n);
      if (bias)
        y = arith::AddFOp::create(
            ctx.b, ctx.loc, y, ctx.loadWeightElement(*bias, ctx.index(0), n));
      memref::StoreOp::create(ctx.b, ctx.loc, y, out, ValueRange{t, n});
    });
  });
}
