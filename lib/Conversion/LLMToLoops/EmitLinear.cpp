//===- EmitLinear.cpp - llm.linear to vectorized loops ----------*- C++ -*-===//
//
// Emits matrix-vector products for every weight format: each output is an
// inner product over the packed weight row, accumulated in a vector and
// reduced in a fixed order (identical results on every target).
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
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

//===----------------------------------------------------------------------===//
// Integer dot products (int8 / int4 weights with int8 activations)
//===----------------------------------------------------------------------===//

/// Input rows (prefill tokens) that share each loaded weight block.
constexpr int64_t kRowTile = 4;

} // namespace

Value llmc::lowering::emitAbsMax(OpBuilder &b, Location loc,
                                 ArrayRef<Value> parts) {
  auto type = cast<VectorType>(parts.front().getType());
  auto bitsType = VectorType::get(type.getShape(), b.getI32Type());
  Value bits;
  for (Value part : parts) {
    Value abs = arith::BitcastOp::create(b, loc, bitsType,
                                         math::AbsFOp::create(b, loc, part));
    bits = bits ? Value(arith::MaxUIOp::create(b, loc, bits, abs)) : abs;
  }
  Value largest =
      vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXUI, bits);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), largest);
}

namespace {
QuantizedRows quantizeRows(EmitContext &ctx, Value x, int64_t rows, int64_t k,
                           bool shifted = false) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  Type i8 = b.getI8Type();
  Type i32 = b.getI32Type();
  int64_t blocks = k / 32;
  QuantizedRows r;
  r.q = ctx.allocScratch(MemRefType::get({rows, k}, i8));
  r.d = ctx.allocScratch(MemRefType::get({rows, blocks}, f32));
  r.sum = ctx.allocScratch(MemRefType::get({rows, blocks}, i32));
  if (shifted)
    r.shifted = ctx.allocScratch(MemRefType::get({rows, k}, i8));
  auto vecType = VectorType::get({32}, f32);
  // Rows are independent: split over the threads for prefill.
  ctx.parallelFor(rows, 4 * k, [&](Value t) {
    ctx.forLoop(0, blocks, [&](Value blk) {
      Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
      Value xv = vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, col});
      Value amax = emitAbsMax(b, loc, xv);
      Value d = arith::DivFOp::create(b, loc, amax, ctx.f32(127.0f));
      Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             amax, ctx.f32(0.0f));
      Value inv = arith::SelectOp::create(
          b, loc, positive,
          arith::DivFOp::create(b, loc, ctx.f32(127.0f), amax), ctx.f32(0.0f));
      // Round half to even and convert without a float-to-int instruction:
      // adding 1.5 * 2^23 rounds v (|v| <= 127) to an integer in the low
      // mantissa bits, so the float's bits minus those of 1.5 * 2^23 are
      // round(v). (RISC-V's narrowing float-to-int conversion with a static
      // rounding mode is also what qemu 7.2 mistranslates.)
      auto wideType = VectorType::get({32}, i32);
      Value biased = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, xv, splat(ctx, vecType, inv)),
          splat(ctx, vecType, ctx.f32(12582912.0f)));
      Value qi = arith::SubIOp::create(
          b, loc, arith::BitcastOp::create(b, loc, wideType, biased),
          arith::ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(wideType,
                                     b.getI32IntegerAttr(0x4B400000))));
      Value q = arith::TruncIOp::create(b, loc, VectorType::get({32}, i8), qi);
      vector::StoreOp::create(b, loc, q, r.q, ValueRange{t, col});
      if (shifted)
        vector::StoreOp::create(
            b, loc,
            arith::XOrIOp::create(
                b, loc, q,
                arith::ConstantOp::create(
                    b, loc,
                    DenseElementsAttr::get(cast<ShapedType>(q.getType()),
                                           b.getI8IntegerAttr(-128)))),
            r.shifted, ValueRange{t, col});
      memref::StoreOp::create(b, loc, d, r.d, ValueRange{t, blk});
      Value sum =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, qi);
      memref::StoreOp::create(b, loc, sum, r.sum, ValueRange{t, blk});
    });
  });
  return r;
}

BlockQuants loadBlockQuants(EmitContext &ctx, const DeviceWeight &w,
                            Value quants, Value n, Value blk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type();
  BlockQuants r;
  if (w.format.kind == DeviceFormat::Int8) {
    Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
    r.q = vector::LoadOp::create(b, loc, VectorType::get({32}, i8), quants,
                                 ValueRange{n, col});
    r.isUnsigned = w.format.asymmetric;
    return r;
  }
  auto bytes16 = VectorType::get({16}, i8);
  Value byteCol = arith::MulIOp::create(b, loc, blk, ctx.index(16));
  Value packed =
      vector::LoadOp::create(b, loc, bytes16, quants, ValueRange{n, byteCol});
  auto constant = [&](int8_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(bytes16, b.getI8IntegerAttr(v)));
  };
  Value lo = arith::AndIOp::create(b, loc, packed, constant(15));
  Value hi = arith::ShRUIOp::create(b, loc, packed, constant(4));
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < 32; ++i)
    concat.push_back(i);
  r.q = vector::ShuffleOp::create(b, loc, lo, hi, concat);
  r.isUnsigned = true;
  r.nibbles = true;
  r.zero = w.format.asymmetric ? 0 : 8;
  return r;
}

} // namespace

/// Integer partial sums of one 32-element block: a vector<8xi32> whose
/// lanes add up to sum_i (u_i - zero) * x_i, up to a correction `corr *
/// sum(x)` returned in `correction` (added later, per block). How the
/// products are grouped into lanes depends on the instruction (x86
/// vpdpbusd, AArch64 sdot via llvm.vector.partial.reduce.add, plain vector
/// code elsewhere); the lanes are exact integers, so the block's total does
/// not.
Value llmc::lowering::emitBlockLanes(EmitContext &ctx, const BlockQuants &wq,
                                     Value xv, int64_t &correction) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type();
  Type i32 = b.getI32Type();
  auto bytes32 = VectorType::get({32}, i8);
  auto lanesType = VectorType::get({kDotBlocks}, i32);
  Value zeroLanes = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(lanesType, b.getI32IntegerAttr(0)));
  auto bytes = [&](int8_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(bytes32, b.getI8IntegerAttr(v)));
  };
  auto call = [&](StringRef name, Type type, ValueRange args) -> Value {
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name),
                                         args)
        .getResult(0);
  };
  // |w| and x * sign(w): the signs of signed weights moved onto the inputs,
  // so an unsigned-by-signed byte product computes w * x (|x| <= 127).
  auto moveSigns = [&](Value w, Value &u, Value &sx) {
    u = call("llvm.x86.avx2.psign.b", bytes32, {w, w});
    sx = call("llvm.x86.avx2.psign.b", bytes32, {xv, w});
  };

  if (!ctx.x86DotIntrinsic.empty()) {
    // vpdpbusd: unsigned bytes (first operand) times signed bytes.
    Value u = wq.q, sx = xv;
    if (wq.isUnsigned)
      correction = -wq.zero;
    else {
      correction = 0;
      moveSigns(wq.q, u, sx);
    }
    return call(ctx.x86DotIntrinsic, lanesType, {zeroLanes, u, sx});
  }
  if (ctx.avx2Dot) {
    // pmaddubsw multiplies unsigned by signed bytes and adds pairs into
    // saturating 16-bit lanes; pmaddwd adds pairs of those into 32 bits.
    // Exact: int4 quants are <= 15, and for int8 weights (asymmetric ones
    // shifted by 128) the sign goes onto the inputs (|x| <= 127), so a pair
    // is at most 2 * 128 * 127 < 2^15.
    auto words = VectorType::get({16}, b.getI16Type());
    Value u = wq.q, sx = xv;
    if (wq.nibbles) {
      correction = -wq.zero;
    } else {
      Value w = wq.q;
      if (wq.isUnsigned)
        w = arith::SubIOp::create(b, loc, w, bytes(-128));
      correction = wq.isUnsigned ? 128 : 0;
      moveSigns(w, u, sx);
    }
    Value pairs = call("llvm.x86.avx2.pmadd.ub.sw", words, {u, sx});
    Value ones = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(words, b.getI16IntegerAttr(1)));
    return call("llvm.x86.avx2.pmadd.wd", lanesType, {pairs, ones});
  }
  // Signed bytes on both sides: shift unsigned quants into int8 range
  // (int4: by its zero point; asymmetric int8: by 128, added back).
  Value w = wq.q;
  int64_t shift = 0;
  if (wq.isUnsigned) {
    shift = wq.zero ? wq.zero : 128;
    w = arith::SubIOp::create(b, loc, w, bytes(static_cast<int8_t>(shift)));
  }
  correction = shift - wq.zero;
  if (ctx.wideningDot) {
    // Each half of the block as 16-bit values; the two halves' products
    // (|w x| <= 128 * 128 fits 16 bits) are summed into 32-bit lanes with
    // one widening multiply and one widening multiply-accumulate, then the
    // 16 lanes are folded into 8 by adding the upper half to the lower.
    auto half16 = VectorType::get({16}, b.getI16Type());
    auto half32 = VectorType::get({16}, i32);
    auto widen = [&](Value v, int64_t offset) -> Value {
      Value part = vector::ExtractStridedSliceOp::create(
          b, loc, v, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{16},
          ArrayRef<int64_t>{1});
      return arith::ExtSIOp::create(
          b, loc, half32, arith::ExtSIOp::create(b, loc, half16, part));
    };
    Value sum = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, widen(w, 0), widen(xv, 0)),
        arith::MulIOp::create(b, loc, widen(w, 16), widen(xv, 16)));
    auto slice = [&](int64_t offset) -> Value {
      return vector::ExtractStridedSliceOp::create(
          b, loc, sum, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{kDotBlocks},
          ArrayRef<int64_t>{1});
    };
    return arith::AddIOp::create(b, loc, slice(0), slice(kDotBlocks));
  }
  auto wide = VectorType::get({32}, i32);
  Value prod =
      arith::MulIOp::create(b, loc, arith::ExtSIOp::create(b, loc, wide, w),
                            arith::ExtSIOp::create(b, loc, wide, xv));
  return call("llvm.vector.partial.reduce.add", lanesType, {zeroLanes, prod});
}

/// Sums each of kDotBlocks lane vectors into one lane of the result, in
/// block order: three rounds of adding adjacent lanes of vector pairs.
SmallVector<Value> llmc::lowering::emitBlockChunks(
    EmitContext &ctx, int64_t blocks, SmallVector<Value> accs,
    function_ref<SmallVector<Value>(Value, int64_t, ValueRange)> chunk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t full = blocks / kDotBlocks;
  if (full > 0) {
    auto loop = scf::ForOp::create(b, loc, ctx.index(0), ctx.index(full),
                                   ctx.index(1), accs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value first = arith::MulIOp::create(b, loc, loop.getInductionVar(),
                                          ctx.index(kDotBlocks));
      scf::YieldOp::create(b, loc,
                           chunk(first, kDotBlocks, loop.getRegionIterArgs()));
    }
    accs = SmallVector<Value>(loop.getResults());
  }
  if (int64_t rest = blocks % kDotBlocks)
    accs = chunk(ctx.index(full * kDotBlocks), rest, accs);
  return accs;
}

Value llmc::lowering::emitLaneTotals(EmitContext &ctx,
                                     SmallVector<Value> vectors) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<int64_t> even, odd;
  for (int64_t i = 0; i < kDotBlocks; ++i) {
    even.push_back(2 * i);
    odd.push_back(2 * i + 1);
  }
  while (vectors.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i < vectors.size(); i += 2) {
      Value a = vectors[i], c = vectors[i + 1];
      next.push_back(arith::AddIOp::create(
          b, loc, vector::ShuffleOp::create(b, loc, a, c, even),
          vector::ShuffleOp::create(b, loc, a, c, odd)));
    }
    vectors = std::move(next);
  }
  return vectors.front();
}

namespace {

/// Inner products of quantized input rows `rows` with row `n` of an
/// int8/int4 weight. Blocks are taken kDotBlocks at a time: their exact
/// integer dot products form a vector that is scaled by (weight scale *
/// input scale) and added to a vector of f32 partial sums with fused
/// multiply-adds, then the partial sums are reduced in order. Several input
/// rows (prefill) share each loaded and unpacked weight block and its
/// scales; each row's arithmetic is the same as alone, and does not depend
/// on the target, so every target and every row grouping computes the same
/// bits.
SmallVector<Value> emitIntegerDotRows(EmitContext &ctx, const DeviceWeight &w,
                                      const QuantizedRows &xq,
                                      ArrayRef<Value> rows, Value n) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  Type i8 = b.getI8Type();
  Type i32 = b.getI32Type();
  int64_t k = w.cols;
  int64_t blocks = k / 32;
  int64_t groups = k / w.format.group;
  int64_t blocksPerGroup = w.format.group / 32;
  bool asym = w.format.asymmetric;
  auto scaleType = MemRefType::get({w.rows, groups}, f32);
  Value scales = ctx.weightView(w.offset + w.packing.scalesOffset, scaleType);
  Value mins = asym ? ctx.weightView(w.offset + w.packing.minsOffset, scaleType)
                    : Value();
  int64_t quantCols = w.format.kind == DeviceFormat::Int8 ? k : k / 2;
  Value quants = ctx.weightView(w.offset + w.packing.dataOffset,
                                MemRefType::get({w.rows, quantCols}, i8));
  auto vecF = VectorType::get({kDotBlocks}, f32);
  auto vecI = VectorType::get({kDotBlocks}, i32);

  // Per-block values of blocks [first, first + count) as vectors (zero
  // beyond count): contiguous loads for a full chunk, element by element
  // for the tail.
  auto perBlock = [&](Value first, int64_t count, Type elem,
                      function_ref<Value(Value blk)> scalar,
                      Value contiguous = Value(),
                      Value contiguousRow = Value()) -> Value {
    auto type = VectorType::get({kDotBlocks}, elem);
    if (count == kDotBlocks && contiguous)
      return vector::LoadOp::create(b, loc, type, contiguous,
                                    ValueRange{contiguousRow, first});
    Value v = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getZeroAttr(elem)));
    for (int64_t j = 0; j < count; ++j)
      v = vector::InsertOp::create(
          b, loc, scalar(arith::AddIOp::create(b, loc, first, ctx.index(j))), v,
          j);
    return v;
  };
  auto groupOf = [&](Value blk) -> Value {
    if (blocksPerGroup == 1)
      return blk;
    return arith::DivUIOp::create(b, loc, blk, ctx.index(blocksPerGroup));
  };

  // Adds blocks [first, first + count) to each row's accumulator.
  auto chunk = [&](Value first, int64_t count, ValueRange accIn) {
    SmallVector<SmallVector<Value>> lanes(rows.size());
    int64_t correction = 0;
    for (int64_t j = 0; j < count; ++j) {
      Value blk = arith::AddIOp::create(b, loc, first, ctx.index(j));
      Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
      BlockQuants wq = loadBlockQuants(ctx, w, quants, n, blk);
      for (auto [r, t] : llvm::enumerate(rows)) {
        Value xv = vector::LoadOp::create(b, loc, VectorType::get({32}, i8),
                                          xq.q, ValueRange{t, col});
        lanes[r].push_back(emitBlockLanes(ctx, wq, xv, correction));
      }
    }
    auto weightScale = [&](Value table) {
      return perBlock(
          first, count, f32,
          [&](Value blk) -> Value {
            return memref::LoadOp::create(b, loc, table,
                                          ValueRange{n, groupOf(blk)});
          },
          blocksPerGroup == 1 ? table : Value(), n);
    };
    Value wScale = weightScale(scales);
    Value wMin = asym ? weightScale(mins) : Value();
    SmallVector<Value> accOut;
    for (auto [r, row] : llvm::enumerate(rows)) {
      Value t = row; // Captured below (not a structured binding).
      SmallVector<Value> rowLanes = lanes[r];
      while (static_cast<int64_t>(rowLanes.size()) < kDotBlocks)
        rowLanes.push_back(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vecI, b.getI32IntegerAttr(0))));
      Value dots = emitLaneTotals(ctx, rowLanes);
      Value sumQ;
      if (correction || asym)
        sumQ = perBlock(
            first, count, i32,
            [&](Value blk) -> Value {
              return memref::LoadOp::create(b, loc, xq.sum, ValueRange{t, blk});
            },
            xq.sum, t);
      if (correction)
        dots = arith::AddIOp::create(
            b, loc, dots,
            arith::MulIOp::create(
                b, loc, sumQ,
                arith::ConstantOp::create(
                    b, loc,
                    DenseElementsAttr::get(
                        vecI, b.getI32IntegerAttr(
                                  static_cast<int32_t>(correction))))));
      Value dx = perBlock(
          first, count, f32,
          [&](Value blk) -> Value {
            return memref::LoadOp::create(b, loc, xq.d, ValueRange{t, blk});
          },
          xq.d, t);
      Value scale = arith::MulFOp::create(b, loc, wScale, dx);
      Value acc = math::FmaOp::create(
          b, loc, arith::SIToFPOp::create(b, loc, vecF, dots), scale, accIn[r]);
      if (asym) {
        // offset * sum(x) ~= m * d * sum(q)
        Value sumX = arith::MulFOp::create(
            b, loc, dx, arith::SIToFPOp::create(b, loc, vecF, sumQ));
        acc = arith::AddFOp::create(b, loc, acc,
                                    arith::MulFOp::create(b, loc, wMin, sumX));
      }
      accOut.push_back(acc);
    }
    return accOut;
  };

  SmallVector<Value> accs = emitBlockChunks(
      ctx, blocks, SmallVector<Value>(rows.size(), zeros(ctx, vecF)), chunk);
  SmallVector<Value> result;
  for (Value acc : accs)
    result.push_back(reduce(ctx, acc));
  return result;
}

/// The `streams` indices of [0, total) that parallel iteration `task` of
/// total / streams reads side by side: task + i * (total / streams). Each
/// stream is then a long sequential walk through a quarter (for 4) of the
/// rows across consecutive iterations, which a thread's range of
/// iterations runs in order; adjacent indices per iteration made every
/// stream a new short run of one row (group) that the hardware
/// prefetchers had to pick up again.
SmallVector<Value> streamIndices(EmitContext &ctx, Value task, int64_t streams,
                                 int64_t total) {
  SmallVector<Value> indices;
  for (int64_t i = 0; i < streams; ++i)
    indices.push_back(arith::AddIOp::create(ctx.b, ctx.loc, task,
                                            ctx.index(i * (total / streams))));
  return indices;
}

/// Inner products of input row `t` with the rows `ns` of an f32 or f16
/// weight, in one loop over the inputs (several rows: several read streams
/// side by side); each row's arithmetic is the same as alone.
SmallVector<Value> emitFloatRowDots(EmitContext &ctx, const DeviceWeight &w,
                                    Value x, Value t, ArrayRef<Value> ns) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  int64_t k = w.cols;
  bool half = w.format.kind == DeviceFormat::F16;
  int64_t width = ctx.vectorWidth;
  auto vecType = VectorType::get({width}, f32);
  Value view = ctx.weightView(
      w.offset, MemRefType::get({w.rows, w.cols}, half ? b.getF16Type() : f32));
  int64_t kVec = k / width * width;
  SmallVector<Value> sums(ns.size(), ctx.f32(0.0f));
  if (kVec > 0) {
    SmallVector<Value> init(ns.size(), zeros(ctx, vecType));
    auto loop = scf::ForOp::create(b, loc, ctx.index(0), ctx.index(kVec),
                                   ctx.index(width), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value kk = loop.getInductionVar();
      Value xv = vector::LoadOp::create(b, loc, vecType, x, ValueRange{t, kk});
      SmallVector<Value> next;
      for (auto [i, n] : llvm::enumerate(ns)) {
        Value wv;
        if (half) {
          wv = ctx.extendF16(vector::LoadOp::create(
              b, loc, VectorType::get({width}, b.getF16Type()), view,
              ValueRange{n, kk}));
        } else {
          wv = vector::LoadOp::create(b, loc, vecType, view, ValueRange{n, kk});
        }
        next.push_back(
            arith::AddFOp::create(b, loc, loop.getRegionIterArg(i),
                                  arith::MulFOp::create(b, loc, xv, wv)));
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (auto [i, sum] : llvm::enumerate(sums))
      sum = reduce(ctx, loop.getResult(i));
  }
  if (kVec == k)
    return sums;
  for (size_t i = 0; i < ns.size(); ++i)
    sums[i] = accumulate(ctx, sums[i], kVec, k, 1, [&](Value kk, Value acc) {
      Value xs = memref::LoadOp::create(b, loc, x, ValueRange{t, kk});
      Value ws = ctx.loadWeightElement(w, ns[i], kk);
      return arith::AddFOp::create(b, loc, acc,
                                   arith::MulFOp::create(b, loc, xs, ws));
    });
  return sums;
}

/// Inner product of input row `t` with weight row `n`.
Value emitRowDot(EmitContext &ctx, const DeviceWeight &w, Value x, Value t,
                 Value n) {
  switch (w.format.kind) {
  case DeviceFormat::F32:
  case DeviceFormat::F16:
    return emitFloatRowDots(ctx, w, x, t, {n}).front();
  case DeviceFormat::Int8:
  case DeviceFormat::Int4:
    return emitIntegerRowDot(ctx, w, x, t, n);
  }
  llvm_unreachable("unknown device format");
}

//===----------------------------------------------------------------------===//
// Interleaved integer kernels (weight rows in vector lanes)
//===----------------------------------------------------------------------===//

/// Weight rows per vector of the interleaved kernels: one row group.
constexpr int64_t kLanes = kInterleaveRows;

/// Input rows (prefill tokens) that share each unpacked row-group block.
constexpr int64_t kTokenTile = 4;

/// One word of an interleaved block: wordBytes (4 or 8) quant bytes of
/// each of the kLanes rows (vector<64xi8> or vector<128xi8>), to be
/// multiplied with the input elements [offset, offset + wordBytes) of the
/// block.
struct LaneWord {
  Value w;
  int64_t offset;
};

/// The words of block `blk` of row group `rg`, unpacked to one byte per
/// quant, and how to read them (as BlockQuants).
struct LaneBlock {
  SmallVector<LaneWord> words;
  bool isUnsigned = false;
  bool nibbles = false; ///< 4-bit quants (0..15).
  int64_t zero = 0;
  int64_t wordBytes = 4; ///< DevicePacking::wordBytes.
};

LaneBlock loadLaneBlock(EmitContext &ctx, const DeviceWeight &w, Value quants,
                        Value rg, Value blk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t wordBytes = w.packing.wordBytes;
  auto bytes = VectorType::get({wordBytes * kLanes}, b.getI8Type());
  bool int8 = w.format.kind == DeviceFormat::Int8;
  int64_t words = (int8 ? 32 : 16) / wordBytes;
  int64_t blocks = w.cols / 32;
  Value first = arith::MulIOp::create(
      b, loc,
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, rg, ctx.index(blocks)), blk),
      ctx.index(words));
  LaneBlock r;
  r.wordBytes = wordBytes;
  auto load = [&](int64_t j) -> Value {
    return vector::LoadOp::create(
        b, loc, bytes, quants,
        ValueRange{arith::AddIOp::create(b, loc, first, ctx.index(j)),
                   ctx.index(0)});
  };
  if (int8) {
    for (int64_t j = 0; j < words; ++j)
      r.words.push_back({load(j), wordBytes * j});
    r.isUnsigned = w.format.asymmetric;
    return r;
  }
  auto constant = [&](int8_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(bytes, b.getI8IntegerAttr(v)));
  };
  SmallVector<LaneWord> high;
  for (int64_t j = 0; j < words; ++j) {
    Value packed = load(j);
    r.words.push_back(
        {arith::AndIOp::create(b, loc, packed, constant(15)), wordBytes * j});
    high.push_back({arith::ShRUIOp::create(b, loc, packed, constant(4)),
                    16 + wordBytes * j});
  }
  r.words.append(high);
  r.isUnsigned = true;
  r.nibbles = true;
  r.zero = w.format.asymmetric ? 0 : 8;
  return r;
}

/// Splits a vector into `n` equal parts.
SmallVector<Value> splitVector(EmitContext &ctx, Value v, int64_t n) {
  auto type = cast<VectorType>(v.getType());
  int64_t size = type.getNumElements() / n;
  SmallVector<Value> parts;
  for (int64_t i = 0; i < n; ++i)
    parts.push_back(vector::ExtractStridedSliceOp::create(
        ctx.b, ctx.loc, v, ArrayRef<int64_t>{i * size}, ArrayRef<int64_t>{size},
        ArrayRef<int64_t>{1}));
  return parts;
}

/// Concatenates a power-of-two number of equal vectors, in order.
Value joinVectors(EmitContext &ctx, ArrayRef<Value> parts) {
  SmallVector<Value> level(parts);
  while (level.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i < level.size(); i += 2) {
      int64_t size = cast<VectorType>(level[i].getType()).getNumElements();
      SmallVector<int64_t> mask;
      for (int64_t j = 0; j < 2 * size; ++j)
        mask.push_back(j);
      next.push_back(vector::ShuffleOp::create(ctx.b, ctx.loc, level[i],
                                               level[i + 1], mask));
    }
    level = std::move(next);
  }
  return level.front();
}

/// `lanes` + correction * sum(x) of input row `t`, block `blk` (the
/// zero-point / sign-flip term of the integer block dot products), in every
/// lane; `lanes` unchanged when `correction` is 0.
Value addSumCorrection(EmitContext &ctx, const QuantizedRows &xq, Value t,
                       Value blk, int64_t correction, Value lanes) {
  if (!correction)
    return lanes;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value sum = memref::LoadOp::create(b, loc, xq.sum, ValueRange{t, blk});
  Value corr = arith::MulIOp::create(
      b, loc, sum,
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(correction)));
  return arith::AddIOp::create(
      b, loc, lanes, splat(ctx, cast<VectorType>(lanes.getType()), corr));
}

/// Exact int32 dot products of every row (lane) of `block` with the 32
/// quantized inputs of row `t`, block `blk`: a vector<kLanes x i32> holding
/// sum_i (q_i - zero) * x_i per row. The words are summed in two chains
/// (shorter dependences); how the products are grouped depends on the
/// target's instruction, the totals do not.
Value emitLaneDots(EmitContext &ctx, const LaneBlock &block,
                   const QuantizedRows &xq, Value t, Value blk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type();
  Type i32 = b.getI32Type();
  auto bytes = VectorType::get({4 * kLanes}, i8);
  auto lanes = VectorType::get({kLanes}, i32);
  Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
  auto call = [&](StringRef name, Type type, ValueRange args) -> Value {
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name),
                                         args)
        .getResult(0);
  };
  auto constant = [&](VectorType type, int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type,
                               b.getIntegerAttr(type.getElementType(), v)));
  };
  // The 4 inputs of a word, repeated in every lane (`parts` lanes wide).
  auto inputWord = [&](int64_t offset, int64_t laneCount) -> Value {
    Value at = arith::AddIOp::create(b, loc, col, ctx.index(offset));
    Value four = vector::LoadOp::create(b, loc, VectorType::get({4}, i8), xq.q,
                                        ValueRange{t, at});
    Value word = vector::ExtractOp::create(
        b, loc,
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), four), 0);
    return vector::BitCastOp::create(
        b, loc, VectorType::get({4 * laneCount}, i8),
        vector::BroadcastOp::create(b, loc, VectorType::get({laneCount}, i32),
                                    word));
  };

  // How each word's bytes are fed to the instruction, and the correction
  // `corr * sum(x)` that makes the lanes sum_i (q_i - zero) * x_i.
  int64_t correction = -block.zero;
  enum class Feed { Unsigned, SignsMoved, Signed } feed = Feed::Signed;
  bool flip = false; // XOR 0x80: q <-> q - 128 between u8 and s8.
  if (!ctx.x86DotIntrinsic.empty()) {
    feed = Feed::Unsigned;
    if (!block.isUnsigned) {
      flip = true;
      correction = -128;
    }
  } else if (ctx.avx2Dot) {
    if (block.nibbles) {
      feed = Feed::Unsigned; // 0..15: pairs of products fit 16 bits.
    } else {
      feed = Feed::SignsMoved;
      if (block.isUnsigned) {
        flip = true;
        correction = 128;
      }
    }
  } else if (ctx.neonDot) {
    if (block.isUnsigned && !block.nibbles) {
      flip = true;
      correction = 128;
    }
  }

  auto wordDot = [&](Value acc, const LaneWord &word) -> Value {
    Value w = word.w;
    if (flip)
      w = arith::XOrIOp::create(b, loc, w, constant(bytes, -128));
    if (!ctx.x86WideDotIntrinsic.empty())
      return call(ctx.x86WideDotIntrinsic, lanes,
                  {acc, w, inputWord(word.offset, kLanes)});
    if (!ctx.x86DotIntrinsic.empty()) {
      SmallVector<Value> out;
      for (auto [a, wp] :
           llvm::zip(splitVector(ctx, acc, 2), splitVector(ctx, w, 2)))
        out.push_back(call(ctx.x86DotIntrinsic, a.getType(),
                           {a, wp, inputWord(word.offset, kLanes / 2)}));
      return joinVectors(ctx, out);
    }
    if (ctx.avx2Dot) {
      auto bytes32 = VectorType::get({32}, i8);
      auto words16 = VectorType::get({16}, b.getI16Type());
      SmallVector<Value> out;
      for (auto [a, wp] :
           llvm::zip(splitVector(ctx, acc, 2), splitVector(ctx, w, 2))) {
        Value u = wp, sx = inputWord(word.offset, kLanes / 2);
        if (feed == Feed::SignsMoved) {
          u = call("llvm.x86.avx2.psign.b", bytes32, {wp, wp});
          sx = call("llvm.x86.avx2.psign.b", bytes32, {sx, wp});
        }
        Value pairs = call("llvm.x86.avx2.pmadd.ub.sw", words16, {u, sx});
        out.push_back(
            arith::AddIOp::create(b, loc, a,
                                  call("llvm.x86.avx2.pmadd.wd", a.getType(),
                                       {pairs, constant(words16, 1)})));
      }
      return joinVectors(ctx, out);
    }
    if (ctx.neonDot) {
      SmallVector<Value> out;
      for (auto [a, wp] : llvm::zip(splitVector(ctx, acc, kLanes / 4),
                                    splitVector(ctx, w, kLanes / 4)))
        out.push_back(call("llvm.aarch64.neon.sdot.v4i32.v16i8", a.getType(),
                           {a, wp, inputWord(word.offset, 4)}));
      return joinVectors(ctx, out);
    }
    // Portable: rows in lanes, one input element at a time (k-major): the
    // rows' quants times that element as exact 16-bit products
    // (|q x| <= 255 * 128), widened and added to the 32-bit lanes (RISC-V
    // V: vwmul.vx + vwadd.wv).
    Type i16 = b.getI16Type();
    auto halves = VectorType::get({kLanes}, i16);
    for (int64_t c = 0; c < 4; ++c) {
      SmallVector<int64_t> mask;
      for (int64_t lane = 0; lane < kLanes; ++lane)
        mask.push_back(4 * lane + c);
      Value q = vector::ShuffleOp::create(b, loc, w, w, mask);
      Value wide = block.isUnsigned
                       ? Value(arith::ExtUIOp::create(b, loc, halves, q))
                       : Value(arith::ExtSIOp::create(b, loc, halves, q));
      Value at = arith::AddIOp::create(b, loc, col, ctx.index(word.offset + c));
      Value xs = arith::ExtSIOp::create(
          b, loc, i16, memref::LoadOp::create(b, loc, xq.q, ValueRange{t, at}));
      Value prod = arith::MulIOp::create(b, loc, wide, splat(ctx, halves, xs));
      acc = arith::AddIOp::create(b, loc, acc,
                                  arith::ExtSIOp::create(b, loc, lanes, prod));
    }
    return acc;
  };
  // The correction starts the first chain (integer sums: the same total).
  Value chains[2] = {
      addSumCorrection(ctx, xq, t, blk, correction, constant(lanes, 0)),
      constant(lanes, 0)};
  for (auto [i, word] : llvm::enumerate(block.words))
    chains[i % 2] = wordDot(chains[i % 2], word);
  return arith::AddIOp::create(b, loc, chains[0], chains[1]);
}

/// Exact int32 dot products of every row of `block` (8-byte words: the
/// AArch64 i8mm layout) with the 32 quantized inputs of one or two input
/// rows `tokens` at block `blk`: one vector<kLanes x i32> per token, as
/// emitLaneDots. Each 16-byte part p of a word holds 8 consecutive quants of
/// rows 2p and 2p + 1. Two tokens: smmla multiplies it with the two
/// tokens' 8 matching inputs into the 2x2 tile (rows 2p, 2p + 1) x (tokens
/// 0, 1), so row r's dot with token j gathers in lane 2r + j. One token
/// (decode): sdot with the 8 inputs in both halves, so row r's two 4-input
/// halves gather in lanes 2r and 2r + 1, added pairwise at the end.
SmallVector<Value> emitWideWordDots(EmitContext &ctx, const LaneBlock &block,
                                    const QuantizedRows &xq,
                                    ArrayRef<Value> tokens, Value blk) {
  assert(ctx.neonDot && block.wordBytes == 8 &&
         (tokens.size() == 1 || tokens.size() == 2) &&
         "8-byte interleaved words are read with sdot / smmla");
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type();
  Type i32 = b.getI32Type();
  auto quad = VectorType::get({4}, i32);
  Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
  // Both instructions multiply signed bytes: unsigned int8 quants enter as
  // q - 128 (XOR 0x80) with a `128 * sum(x)` correction; nibbles (0..15)
  // enter as they are, with `-zero * sum(x)`.
  bool flip = block.isUnsigned && !block.nibbles;
  int64_t correction = flip ? 128 : -block.zero;
  StringRef intrinsic = tokens.size() == 2
                            ? "llvm.aarch64.neon.smmla.v4i32.v16i8"
                            : "llvm.aarch64.neon.sdot.v4i32.v16i8";
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(quad, b.getI32IntegerAttr(0)));
  SmallVector<Value> acc(kLanes / 2, zero);
  for (const LaneWord &word : block.words) {
    Value w = word.w;
    if (flip)
      w = arith::XOrIOp::create(
          b, loc, w,
          arith::ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(cast<VectorType>(w.getType()),
                                     b.getI8IntegerAttr(-128))));
    Value at = arith::AddIOp::create(b, loc, col, ctx.index(word.offset));
    SmallVector<Value> inputs;
    for (Value t : tokens)
      inputs.push_back(vector::LoadOp::create(b, loc, VectorType::get({8}, i8),
                                              xq.q, ValueRange{t, at}));
    SmallVector<int64_t> concat;
    for (int64_t i = 0; i < 16; ++i)
      concat.push_back(i);
    Value rhs = vector::ShuffleOp::create(b, loc, inputs.front(), inputs.back(),
                                          concat);
    for (auto [p, part] : llvm::enumerate(splitVector(ctx, w, kLanes / 2)))
      acc[p] = LLVM::CallIntrinsicOp::create(b, loc, quad,
                                             b.getStringAttr(intrinsic),
                                             ValueRange{acc[p], part, rhs})
                   .getResult(0);
  }
  Value all = joinVectors(ctx, acc);
  SmallVector<int64_t> even, odd;
  for (int64_t r = 0; r < kLanes; ++r) {
    even.push_back(2 * r);
    odd.push_back(2 * r + 1);
  }
  Value evenLanes = vector::ShuffleOp::create(b, loc, all, all, even);
  Value oddLanes = vector::ShuffleOp::create(b, loc, all, all, odd);
  SmallVector<Value> dots;
  if (tokens.size() == 2)
    dots = {evenLanes, oddLanes};
  else
    dots = {arith::AddIOp::create(b, loc, evenLanes, oddLanes)};
  for (size_t j = 0; j < dots.size(); ++j)
    dots[j] = addSumCorrection(ctx, xq, tokens[j], blk, correction, dots[j]);
  return dots;
}

/// Exact int32 dot products of the kLanes rows of row group `rg` (1-byte
/// words: the RISC-V V layout, k-major: word j holds input j's quant of
/// the kLanes rows) with the 32 quantized inputs of each row of `rows` at
/// block `blk`, as emitLaneDots: one vector<kLanes x i32> per input row.
/// A loop over the block's words, 4 int8 words or 2 packed int4 words
/// (packed word j holds inputs j and 16 + j) per iteration, loads each
/// word once for all rows; each word, as signed bytes, times its input element
/// gives exact 16-bit products (vwmul.vx, vwmacc.vx), summed in 16-bit
/// lanes as long as they cannot overflow, then widened into the 32-bit
/// lanes (vwadd.wv). No shuffles; one vector load per word.
SmallVector<Value> emitByteWordDots(EmitContext &ctx, const DeviceWeight &w,
                                    Value quants, const QuantizedRows &xq,
                                    Value rg, Value blk, ArrayRef<Value> rows) {
  assert(w.packing.wordBytes == 1 && "k-major words are one byte per row");
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type();
  Type i16 = b.getI16Type();
  auto bytes = VectorType::get({kLanes}, i8);
  auto halves = VectorType::get({kLanes}, i16);
  auto lanes = VectorType::get({kLanes}, b.getI32Type());
  bool nibbles = w.format.kind == DeviceFormat::Int4;
  bool isUnsigned = nibbles || w.format.asymmetric;
  int64_t zero = nibbles && !w.format.asymmetric ? 8 : 0;
  int64_t words = nibbles ? 16 : 32;
  // Signed bytes: unsigned int8 quants as q - 128 (XOR 0x80) with a
  // `128 * sum(x)` correction, nibbles as q - 8 with `(8 - zero) * sum(x)`.
  // |x| <= 127, so an int8 product is at most 128 * 127 (two fit in 16
  // bits: int8 words go in pairs into the 32-bit lanes) and a nibble one
  // 8 * 127 (all 32 of a block fit: 16-bit sums carried over the loop).
  bool flip = isUnsigned && !nibbles;
  int64_t correction = flip ? 128 : nibbles ? 8 - zero : 0;
  auto constant = [&](VectorType type, int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(type,
                               b.getIntegerAttr(type.getElementType(), v)));
  };
  Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
  Value firstWord = arith::MulIOp::create(
      b, loc,
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, rg, ctx.index(w.cols / 32)),
          blk),
      ctx.index(words));
  SmallVector<Value> init(rows.size(),
                          nibbles ? constant(halves, 0) : constant(lanes, 0));
  // Words per iteration: enough independent work for in-order cores.
  int64_t step = nibbles ? 2 : 4;
  auto loop = scf::ForOp::create(b, loc, ctx.index(0), ctx.index(words),
                                 ctx.index(step), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    // The (word, input offset in the block) pairs of this iteration.
    SmallVector<std::pair<Value, Value>> terms;
    auto load = [&](Value word) -> Value {
      return vector::LoadOp::create(
          b, loc, bytes, quants,
          ValueRange{arith::AddIOp::create(b, loc, firstWord, word),
                     ctx.index(0)});
    };
    for (int64_t k = 0; k < step; ++k) {
      Value at = arith::AddIOp::create(b, loc, j, ctx.index(k));
      Value q = load(at);
      if (nibbles) {
        Value eight = constant(bytes, 8);
        Value lo = arith::SubIOp::create(
            b, loc, arith::AndIOp::create(b, loc, q, constant(bytes, 15)),
            eight);
        Value hi = arith::SubIOp::create(
            b, loc, arith::ShRUIOp::create(b, loc, q, constant(bytes, 4)),
            eight);
        terms.push_back({lo, at});
        terms.push_back({hi, arith::AddIOp::create(b, loc, at, ctx.index(16))});
        continue;
      }
      if (flip)
        q = arith::XOrIOp::create(b, loc, q, constant(bytes, -128));
      terms.push_back({q, at});
    }
    SmallVector<Value> wide;
    for (auto &term : terms)
      wide.push_back(arith::ExtSIOp::create(b, loc, halves, term.first));
    SmallVector<Value> next;
    for (auto [r, t] : llvm::enumerate(rows)) {
      Value acc = loop.getRegionIterArg(r), sum;
      for (auto [i, q] : llvm::enumerate(wide)) {
        Value at = arith::AddIOp::create(b, loc, col, terms[i].second);
        Value xs = arith::ExtSIOp::create(
            b, loc, i16,
            memref::LoadOp::create(b, loc, xq.q, ValueRange{t, at}));
        Value prod = arith::MulIOp::create(b, loc, q, splat(ctx, halves, xs));
        if (nibbles) {
          acc = arith::AddIOp::create(b, loc, acc, prod);
          continue;
        }
        // int8: pairs of products in 16 bits, added to the 32-bit lanes.
        sum = sum ? Value(arith::AddIOp::create(b, loc, sum, prod)) : prod;
        if (i % 2) {
          acc = arith::AddIOp::create(
              b, loc, acc, arith::ExtSIOp::create(b, loc, lanes, sum));
          sum = Value();
        }
      }
      next.push_back(acc);
    }
    scf::YieldOp::create(b, loc, next);
  }
  SmallVector<Value> dots;
  for (auto [r, t] : llvm::enumerate(rows)) {
    Value total = loop.getResult(r);
    if (nibbles)
      total = arith::ExtSIOp::create(b, loc, lanes, total);
    dots.push_back(addSumCorrection(ctx, xq, t, blk, correction, total));
  }
  return dots;
}

/// Upper bound of a loop over the `tiles` leading tiles of `tileRows` input
/// rows (from row 0; a linear of only its last row has no whole tile): in a
/// partial prefill chunk only the tiles that hold its ctx.activeRows rows.
Value activeTiles(EmitContext &ctx, int64_t tiles, int64_t tileRows) {
  if (!ctx.activeRows)
    return ctx.index(tiles);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value needed = arith::DivUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, ctx.activeRows, ctx.index(tileRows - 1)),
      ctx.index(tileRows));
  return arith::MinUIOp::create(b, loc, needed, ctx.index(tiles));
}

/// Prefetches row `row` (first element) of the 2-D `memref` for reading,
/// with LLVM's locality `hint` (3: keep in all cache levels, 2: L2 and
/// below, 0: non-temporal).
void prefetchRow(EmitContext &ctx, Value memref, Value row, uint32_t hint) {
  memref::PrefetchOp::create(ctx.b, ctx.loc, memref,
                             ValueRange{row, ctx.index(0)},
                             /*isWrite=*/false, hint, /*isDataCache=*/true);
}

/// Input rows [tile * size + firstRow, + size): the rows of token tile
/// `tile`.
SmallVector<Value> tileRowIndices(EmitContext &ctx, Value tile, int64_t size,
                                  int64_t firstRow) {
  Value base = arith::AddIOp::create(
      ctx.b, ctx.loc,
      arith::MulIOp::create(ctx.b, ctx.loc, tile, ctx.index(size)),
      ctx.index(firstRow));
  SmallVector<Value> rows;
  for (int64_t r = 0; r < size; ++r)
    rows.push_back(arith::AddIOp::create(ctx.b, ctx.loc, base, ctx.index(r)));
  return rows;
}

/// The views and shape of an interleaved int8/int4 weight.
struct InterleavedWeight {
  const DeviceWeight &w;
  int64_t blocks;         ///< 32-element blocks per row.
  int64_t groups;         ///< Scale groups per row.
  int64_t blocksPerGroup; ///< Blocks per scale group.
  int64_t rowGroups;      ///< Groups of kLanes rows.
  int64_t wordsPerBlock;  ///< Words of each block (DevicePacking::wordBytes).
  Value scales, mins;     ///< [rowGroups * groups][kLanes]; mins if asymmetric.
  Value quants;           ///< [words][wordBytes * kLanes] (null when sparse).

  InterleavedWeight(EmitContext &ctx, const DeviceWeight &w)
      : w(w), blocks(w.cols / 32), groups(w.cols / w.format.group),
        blocksPerGroup(w.format.group / 32), rowGroups(w.rows / kLanes),
        wordsPerBlock((w.format.kind == DeviceFormat::Int8 ? 32 : 16) /
                      w.packing.wordBytes) {
    Type f32 = ctx.b.getF32Type();
    auto scaleType = MemRefType::get({rowGroups * groups, kLanes}, f32);
    scales = ctx.weightView(
        w.offset + w.packing.scalesOffset,
        w.packing.halfScales
            ? MemRefType::get({rowGroups * groups, kLanes}, ctx.b.getF16Type())
            : scaleType);
    if (w.format.asymmetric)
      mins = ctx.weightView(w.offset + w.packing.minsOffset, scaleType);
    if (!w.format.sparse) // Sparse blocks: read by loadSparseLaneBlock.
      quants =
          ctx.weightView(w.offset + w.packing.dataOffset,
                         MemRefType::get({rowGroups * blocks * wordsPerBlock,
                                          w.packing.wordBytes * kLanes},
                                         ctx.b.getI8Type()));
  }
};

/// Adds block `blk` (scale group `g`) of row group `rg` to the accumulators
/// `accs` of the tokens `rows` (one vector<kLanes x f32> per token): each
/// row's exact int32 block dot product times (weight scale * input scale)
/// with one fused multiply-add, plus offset * input scale * sum of the
/// block's quants for asymmetric formats. Returns the new accumulators.
SmallVector<Value>
accumulateRowGroupBlock(EmitContext &ctx, const InterleavedWeight &iw,
                        const QuantizedRows &xq, Value rg, Value blk, Value g,
                        ArrayRef<Value> rows, ValueRange accs) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &w = iw.w;
  Type f32 = b.getF32Type();
  auto vecF = VectorType::get({kLanes}, f32);
  Value scaleRow = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, rg, ctx.index(iw.groups)), g);
  Value wScale =
      w.packing.halfScales
          ? ctx.extendF16(vector::LoadOp::create(
                b, loc, VectorType::get({kLanes}, b.getF16Type()), iw.scales,
                ValueRange{scaleRow, ctx.index(0)}))
          : Value(vector::LoadOp::create(b, loc, vecF, iw.scales,
                                         ValueRange{scaleRow, ctx.index(0)}));
  Value wMin =
      iw.mins ? Value(vector::LoadOp::create(
                    b, loc, vecF, iw.mins, ValueRange{scaleRow, ctx.index(0)}))
              : Value();
  // Each row's exact block dot products; with 8-byte words (i8mm) pairs of
  // rows share each smmla; 1-byte words (RISC-V V) have their own loop over
  // the block's words; 2:4 sparse blocks (x86 VNNI only) gather their
  // inputs.
  SmallVector<Value> rowDots;
  if (w.format.sparse) {
    SparseLaneBlock sparseBlock = loadSparseLaneBlock(ctx, w, rg, blk);
    for (Value t : rows)
      rowDots.push_back(emitSparseLaneDots(ctx, sparseBlock, xq, t, blk));
  } else if (w.packing.wordBytes == 1) {
    rowDots = emitByteWordDots(ctx, w, iw.quants, xq, rg, blk, rows);
  } else {
    LaneBlock block = loadLaneBlock(ctx, w, iw.quants, rg, blk);
    if (w.packing.wordBytes == 8) {
      for (size_t r = 0; r < rows.size(); r += 2)
        rowDots.append(emitWideWordDots(
            ctx, block, xq, rows.slice(r, std::min<size_t>(2, rows.size() - r)),
            blk));
    } else {
      for (Value t : rows)
        rowDots.push_back(emitLaneDots(ctx, block, xq, t, blk));
    }
  }
  SmallVector<Value> next;
  for (auto [r, t] : llvm::enumerate(rows)) {
    Value dx = memref::LoadOp::create(b, loc, xq.d, ValueRange{t, blk});
    Value scale = arith::MulFOp::create(b, loc, wScale, splat(ctx, vecF, dx));
    Value acc = math::FmaOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, vecF, rowDots[r]), scale,
        accs[r]);
    if (wMin) {
      // offset * sum(x) ~= m * d * sum(q)
      Value sum = memref::LoadOp::create(b, loc, xq.sum, ValueRange{t, blk});
      Value sumX = arith::MulFOp::create(
          b, loc, dx, arith::SIToFPOp::create(b, loc, f32, sum));
      acc = arith::AddFOp::create(
          b, loc, acc,
          arith::MulFOp::create(b, loc, wMin, splat(ctx, vecF, sumX)));
    }
    next.push_back(acc);
  }
  return next;
}

/// Stores the outputs `accs` of the tokens `rows` for the kLanes rows of
/// group `rg` (plus the bias, if any).
void storeRowGroup(EmitContext &ctx, const DeviceWeight *bias, Value out,
                   Value rg, ArrayRef<Value> rows, ValueRange accs) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value n0 = arith::MulIOp::create(b, loc, rg, ctx.index(kLanes));
  for (auto [acc, t] : llvm::zip(accs, rows)) {
    if (!bias) {
      vector::StoreOp::create(b, loc, acc, out, ValueRange{t, n0});
      continue;
    }
    for (int64_t lane = 0; lane < kLanes; ++lane) {
      Value n = arith::AddIOp::create(b, loc, n0, ctx.index(lane));
      Value y = arith::AddFOp::create(
          b, loc, vector::ExtractOp::create(b, loc, acc, lane),
          ctx.loadWeightElement(*bias, ctx.index(0), n));
      memref::StoreOp::create(b, loc, y, out, ValueRange{t, n});
    }
  }
}

/// Row groups each parallel iteration of an interleaved linear over
/// `numRows` input rows takes. One input row (decode, the prefill
/// classifier's last row): several row groups side by side
/// (streamIndices), so every thread keeps several long sequential read
/// streams in flight; with one
/// stream per thread a Zen 5 core stayed ~25% below its read bandwidth.
/// Each row's arithmetic does not change.
int64_t interleavedStreams(const EmitContext &ctx, const DeviceWeight &w,
                           int64_t numRows) {
  if (numRows != 1)
    return 1;
  // An int4 block is half an int8 block's bytes: half as many row groups
  // keep as many bytes per iteration in flight. On Zen 5 (TinyLlama q4_0,
  // 2 threads) 2 int4 streams decoded 99.9 tok/s against 93.7 with 4,
  // while int8 read 59.0 with 4 against 53.7 with 2 (docs/benchmarks.md).
  int64_t limit = w.format.kind == DeviceFormat::Int4
                      ? std::max<int64_t>(1, ctx.decodeStreams / 2)
                      : ctx.decodeStreams;
  return largestDivisorUpTo(w.rows / kLanes, limit);
}

/// The weight of `op` if the integer-dot kernels read it interleaved.
const DeviceWeight *interleavedWeightOf(EmitContext &ctx, llm::LinearOp op) {
  const DeviceWeight &w = ctx.weight(op.getWeightAttr());
  bool integerDot = ctx.integerDot && (w.format.kind == DeviceFormat::Int8 ||
                                       w.format.kind == DeviceFormat::Int4);
  return integerDot && w.packing.interleave > 1 ? &w : nullptr;
}

/// Decode with int4 weights (ctx.decodePrefetch > 0): prefetches every word
/// and the scales of block `blk` + decodePrefetch of each row group in
/// `rgs` (clamped to the weight's last block; past a row group's end, the
/// next one's first blocks: the row group this stream reads next, see
/// streamIndices). Each block of a 4-bit row group is only
/// 256 bytes, so the loop holds many instructions per byte read; without
/// the prefetches too few of the reads were in flight to keep a Zen 5
/// core at its bandwidth (docs/benchmarks.md). 2:4 sparse int4 blocks
/// prefetch their parts the same way (kept quants, 2-bit positions, sums
/// and scales: separate arrays, so separate streams). int8 blocks are not
/// prefetched: their 8 prefetches per block measured slower (also as
/// non-temporal prefetches).
///
/// The prefetches are non-temporal (locality 0, x86 prefetchnta): each
/// weight byte is read once per token, and on Zen 5 this measured 2.5-6%
/// faster at 2 threads than keeping the lines in every level (locality 3),
/// which in turn beat locality 1 and 2 by ~7% (docs/benchmarks.md).
void prefetchDecodeBlock(EmitContext &ctx, const InterleavedWeight &iw,
                         ArrayRef<Value> rgs, Value blk) {
  const DeviceWeight &w = iw.w;
  if (ctx.decodePrefetch <= 0 || w.format.kind != DeviceFormat::Int4)
    return;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  // One clamp per row group, so the words are constant offsets from it
  // (the loop is bound by how many instructions it holds).
  auto clamped = [&](Value rg, int64_t perGroup, Value at) -> Value {
    return arith::MinUIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, rg, ctx.index(perGroup)), at),
        ctx.index(iw.rowGroups * perGroup - 1));
  };
  Value ahead =
      arith::AddIOp::create(b, loc, blk, ctx.index(ctx.decodePrefetch));
  Value aheadGroup = iw.blocksPerGroup == 1
                         ? ahead
                         : Value(arith::DivUIOp::create(
                               b, loc, ahead, ctx.index(iw.blocksPerGroup)));
  // The arrays read per block: (view, 64-byte rows per block); the dense
  // quants, or the sparse kept quants (2 words), positions and sums (one
  // row of 64 and of 32 bytes). Rows of the views are 64 bytes or less, so
  // one prefetch each.
  SmallVector<std::pair<Value, int64_t>> parts;
  if (iw.quants) {
    parts.push_back({iw.quants, iw.wordsPerBlock});
  } else {
    SparseLaneArrays arrays = sparseLaneArrays(ctx, w);
    parts.append(
        {{arrays.values, arrays.words}, {arrays.index, 1}, {arrays.sums, 1}});
  }
  for (Value rg : rgs) {
    Value item = clamped(rg, iw.blocks, ahead);
    for (auto [view, rows] : parts) {
      Value first =
          rows == 1
              ? item
              : Value(arith::MulIOp::create(b, loc, item, ctx.index(rows)));
      for (int64_t j = 0; j < rows; ++j)
        prefetchRow(
            ctx, view,
            j ? Value(arith::AddIOp::create(b, loc, first, ctx.index(j)))
              : first,
            /*hint=*/0);
    }
    prefetchRow(ctx, iw.scales, clamped(rg, iw.groups, aheadGroup),
                /*hint=*/0);
  }
}

/// Decode: iteration `task` of a linear's parallel loop prefetches two
/// 64-byte lines of ctx.nextNormWeight (lines 2 * (task mod pairs) and the
/// next, the last one clamped to the weight), so that the iterations
/// together cover it, the calling thread's share among them. An RMSNorm's
/// weight (8 KB for dim 2048) is otherwise read from memory by the serial
/// norm after the loop: on the TinyLlama shape this shortened the gaps
/// before the q/k/v and gate/up loops by ~0.8 µs each (docs/benchmarks.md).
void prefetchNextNorm(EmitContext &ctx, Value task) {
  const DeviceWeight *w = ctx.nextNormWeight;
  if (!w)
    return;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto bytes = static_cast<int64_t>(w->packing.totalBytes);
  Value view =
      ctx.weightView(w->offset, MemRefType::get({bytes}, b.getI8Type()));
  int64_t lines = (bytes + 63) / 64, pairs = (lines + 1) / 2;
  Value line = arith::MulIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, task, ctx.index(pairs)),
      ctx.index(2));
  Value next = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, line, ctx.index(1)),
      ctx.index(lines - 1));
  for (Value l : {line, next})
    memref::PrefetchOp::create(
        b, loc, view,
        ValueRange{arith::MulIOp::create(b, loc, l, ctx.index(64))},
        /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
}

/// Parallel iteration `task` of an interleaved linear (see
/// emitInterleavedLinear): the `streams` row groups from task * streams.
void emitInterleavedTask(EmitContext &ctx, const InterleavedWeight &iw,
                         const DeviceWeight *bias, const QuantizedRows &xq,
                         int64_t firstRow, int64_t endRow, Value onlyRow,
                         int64_t streams, Value task, Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &w = iw.w;
  auto vecF = VectorType::get({kLanes}, b.getF32Type());
  int64_t numRows = endRow - firstRow;
  SmallVector<Value> rgs = streamIndices(ctx, task, streams, iw.rowGroups);
  if (numRows == 1)
    prefetchNextNorm(ctx, task);
  // The next row group (the last one: itself), which the token tiles of
  // this one prefetch.
  Value nextRg = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, rgs.back(), ctx.index(1)),
      ctx.index(iw.rowGroups - 1));
  // Outputs of the tokens `rows` for the kLanes rows of each group in
  // `rgs`; accumulators [i * rows.size(), (i + 1) * rows.size()) are
  // group i's.
  auto tile = [&](ArrayRef<Value> rows) {
    // Several tokens (prefill): every tile re-reads this row group from
    // cache, but the first one would wait for memory. Each tile
    // prefetches one word of each block of the next row group (word
    // `tile index mod words`, so the first wordsPerBlock tiles cover it)
    // and the block's scales, into L2: about +10% prefill tokens/s on
    // the TinyLlama shape (docs/benchmarks.md).
    bool prefetch = rows.size() > 1 && iw.quants;
    Value nextWords, nextScaleRows;
    if (prefetch) {
      Value word = arith::RemUIOp::create(
          b, loc,
          arith::DivUIOp::create(b, loc, rows.front(), ctx.index(kTokenTile)),
          ctx.index(iw.wordsPerBlock));
      nextWords = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, nextRg,
                                ctx.index(iw.blocks * iw.wordsPerBlock)),
          word);
      nextScaleRows =
          arith::MulIOp::create(b, loc, nextRg, ctx.index(iw.groups));
    }
    SmallVector<Value> init(rgs.size() * rows.size(), zeros(ctx, vecF));
    auto loop = scf::ForOp::create(b, loc, ctx.index(0), ctx.index(iw.blocks),
                                   ctx.index(1), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value blk = loop.getInductionVar();
      Value g = iw.blocksPerGroup == 1
                    ? blk
                    : Value(arith::DivUIOp::create(
                          b, loc, blk, ctx.index(iw.blocksPerGroup)));
      if (prefetch) {
        Value at = arith::AddIOp::create(
            b, loc, nextWords,
            arith::MulIOp::create(b, loc, blk, ctx.index(iw.wordsPerBlock)));
        prefetchRow(ctx, iw.quants, at, /*hint=*/2);
        prefetchRow(ctx, iw.scales,
                    arith::AddIOp::create(b, loc, nextScaleRows, g),
                    /*hint=*/2);
      }
      if (rows.size() == 1)
        prefetchDecodeBlock(ctx, iw, rgs, blk);
      SmallVector<Value> next;
      for (auto [i, rg] : llvm::enumerate(rgs))
        next.append(accumulateRowGroupBlock(
            ctx, iw, xq, rg, blk, g, rows,
            loop.getRegionIterArgs().slice(i * rows.size(), rows.size())));
      scf::YieldOp::create(b, loc, next);
    }
    for (auto [i, rg] : llvm::enumerate(rgs))
      storeRowGroup(ctx, bias, out, rg, rows,
                    loop.getResults().slice(i * rows.size(), rows.size()));
  };
  int64_t tiles = numRows / kTokenTile;
  if (tiles > 0)
    ctx.forLoop(ctx.index(0), activeTiles(ctx, tiles, kTokenTile), 1,
                [&](Value tileIndex) {
                  tile(tileRowIndices(ctx, tileIndex, kTokenTile, firstRow));
                });
  int64_t rest = firstRow + tiles * kTokenTile;
  if (onlyRow) {
    tile({onlyRow});
    return;
  }
  if (w.packing.wordBytes == 8) {
    // The last rows in one tile: pairs through smmla, an odd one sdot.
    SmallVector<Value> rows;
    for (int64_t t = rest; t < endRow; ++t)
      rows.push_back(ctx.index(t));
    if (!rows.empty())
      tile(rows);
    return;
  }
  ctx.forLoop(rest, endRow, [&](Value t) { tile({t}); });
}

/// An int8/int4 linear whose weight is interleaved (DeviceLayout.h): each
/// task takes whole row groups; for each row group, input rows
/// kTokenTile at a time share every unpacked block. Per output (lane) the
/// arithmetic is, in block order: exact int32 block dot product, times
/// (weight scale * input scale) added with one fused multiply-add (plus
/// offset * input scale * sum of the block's quants, asymmetric formats).
/// Every target, row tiling and thread split computes the same bits. Input
/// rows [firstRow, endRow) are computed, or only `onlyRow` when it is set.
void emitInterleavedLinear(EmitContext &ctx, const DeviceWeight &w,
                           const DeviceWeight *bias, const QuantizedRows &xq,
                           int64_t firstRow, int64_t endRow, Value onlyRow,
                           Value out) {
  InterleavedWeight iw(ctx, w);
  int64_t numRows = endRow - firstRow;
  int64_t streams = interleavedStreams(ctx, w, numRows);
  ctx.parallelFor(iw.rowGroups / streams, numRows * w.cols * kLanes * streams,
                  [&](Value task) {
                    emitInterleavedTask(ctx, iw, bias, xq, firstRow, endRow,
                                        onlyRow, streams, task, out);
                  });
}
} // namespace

void llmc::lowering::emitLinear(EmitContext &ctx, llm::LinearOp op, Value out) {
  const DeviceWeight &w = ctx.weight(op.getWeightAttr());
  const DeviceWeight *bias =
      op.getBiasAttr() ? &ctx.weight(op.getBiasAttr()) : nullptr;
  Value x = ctx.buffer(op.getInput());
  auto shape = op.getResult().getType().getShape();
  bool integerDot = ctx.integerDot && (w.format.kind == DeviceFormat::Int8 ||
                                       w.format.kind == DeviceFormat::Int4);
  // Only the rows [firstRow, shape[0]) are needed (the prefill copy's
  // classifier: only the last row's logits are returned). That one row is
  // `onlyRow`, ctx.lastRow when the chunk is partial.
  bool lastOnly = ctx.lastRowOnly == op.getOperation();
  int64_t firstRow = lastOnly ? shape[0] - 1 : 0;
  int64_t numRows = shape[0] - firstRow;
  Value onlyRow =
      lastOnly ? (ctx.lastRow ? ctx.lastRow : ctx.index(firstRow)) : Value();
  // Runs `body` for each row in [begin, shape[0]) (in a partial prefill
  // chunk: [begin, ctx.activeRows), the rows that hold tokens), or for
  // onlyRow.
  auto forRows = [&](int64_t begin, function_ref<void(Value)> body) {
    if (onlyRow)
      body(onlyRow);
    else
      ctx.forLoop(ctx.index(begin),
                  ctx.activeRows ? ctx.activeRows : ctx.index(shape[0]), 1,
                  body);
  };
  QuantizedRows xq;
  if (integerDot)
    xq = quantizeRows(ctx, x, shape[0], w.cols,
                      /*shifted=*/w.format.sparse && w.packing.interleave > 1);
  if (w.packing.interleave > 1) {
    assert(integerDot && w.packing.interleave == kLanes &&
           "weights are interleaved only for the integer-dot kernels");
    emitInterleavedLinear(ctx, w, bias, xq, firstRow, shape[0], onlyRow, out);
    return;
  }
  // 2:4 sparse weights have their own kernels (EmitSparseLinear.cpp).
  auto dotRows = [&](ArrayRef<Value> rows, Value n) {
    return w.format.sparse ? emitSparseDotRows(ctx, w, xq, rows, n)
                           : emitIntegerDotRows(ctx, w, xq, rows, n);
  };
  // Output features outermost: each weight row is read from memory once
  // and used for every input row (token) while it is in cache; the output
  // features are independent, so they are what threads split.
  int64_t work = numRows * w.cols; // Multiply-adds per output feature.
  // f32/f16 weights with one input row (decode): each task reads up to
  // decodeStreams weight rows side by side (streamIndices), several long
  // read streams per thread (as the interleaved integer kernels' row
  // groups).
  bool floatKind =
      w.format.kind == DeviceFormat::F32 || w.format.kind == DeviceFormat::F16;
  int64_t streams = floatKind && numRows == 1
                        ? largestDivisorUpTo(shape[1], ctx.decodeStreams)
                        : 1;
  if (streams > 1) {
    ctx.parallelFor(shape[1] / streams, work * streams, [&](Value task) {
      SmallVector<Value> ns = streamIndices(ctx, task, streams, shape[1]);
      Value t = onlyRow ? onlyRow : ctx.index(firstRow);
      for (auto [n, y] : llvm::zip(ns, emitFloatRowDots(ctx, w, x, t, ns))) {
        if (bias)
          y = arith::AddFOp::create(
              ctx.b, ctx.loc, y, ctx.loadWeightElement(*bias, ctx.index(0), n));
        memref::StoreOp::create(ctx.b, ctx.loc, y, out, ValueRange{t, n});
      }
    });
    return;
  }
  ctx.parallelFor(shape[1], work, [&](Value n) {
    Value biasValue;
    if (bias)
      biasValue = ctx.loadWeightElement(*bias, ctx.index(0), n);
    auto store = [&](Value y, Value t) {
      if (bias)
        y = arith::AddFOp::create(ctx.b, ctx.loc, y, biasValue);
      memref::StoreOp::create(ctx.b, ctx.loc, y, out, ValueRange{t, n});
    };
    if (!integerDot) {
      forRows(firstRow,
              [&](Value t) { store(emitRowDot(ctx, w, x, t, n), t); });
      return;
    }
    // Input rows (tokens) kRowTile at a time share each weight block.
    int64_t tiles = numRows / kRowTile;
    if (tiles > 0)
      ctx.forLoop(ctx.index(0), activeTiles(ctx, tiles, kRowTile), 1,
                  [&](Value tile) {
                    SmallVector<Value> rows =
                        tileRowIndices(ctx, tile, kRowTile, firstRow);
                    for (auto [y, t] : llvm::zip(dotRows(rows, n), rows))
                      store(y, t);
                  });
    forRows(firstRow + tiles * kRowTile,
            [&](Value t) { store(dotRows({t}, n).front(), t); });
  });
}

bool llmc::lowering::canShareLinearLoop(EmitContext &ctx, llm::LinearOp a,
                                        llm::LinearOp b) {
  if (a.getInput() != b.getInput() || ctx.lastRowOnly == a.getOperation() ||
      ctx.lastRowOnly == b.getOperation())
    return false;
  const DeviceWeight *wa = interleavedWeightOf(ctx, a);
  const DeviceWeight *wb = interleavedWeightOf(ctx, b);
  // One quantization of the input serves both (2:4 sparse kernels read it
  // shifted).
  return wa && wb && wa->format.sparse == wb->format.sparse;
}

void llmc::lowering::emitLinearGroup(EmitContext &ctx,
                                     ArrayRef<llm::LinearOp> ops,
                                     ArrayRef<Value> outs) {
  assert(!ops.empty() && ops.size() == outs.size());
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  llm::LinearOp first = ops.front();
  int64_t rows = first.getResult().getType().getShape()[0];
  const DeviceWeight &w0 = *interleavedWeightOf(ctx, first);
  QuantizedRows xq = quantizeRows(ctx, ctx.buffer(first.getInput()), rows,
                                  w0.cols, /*shifted=*/w0.format.sparse);
  // Member i runs parallel iterations [end[i-1], end[i]) of the loop, each
  // reading its own count of row groups side by side.
  struct Member {
    InterleavedWeight iw;
    const DeviceWeight *bias;
    Value out;
    int64_t streams, begin, end;
  };
  SmallVector<Member> members;
  int64_t tasks = 0;
  for (auto [i, out] : llvm::enumerate(outs)) {
    llm::LinearOp op = ops[i];
    InterleavedWeight iw(ctx, *interleavedWeightOf(ctx, op));
    const DeviceWeight *bias =
        op.getBiasAttr() ? &ctx.weight(op.getBiasAttr()) : nullptr;
    int64_t streams = interleavedStreams(ctx, iw.w, rows);
    int64_t count = iw.rowGroups / streams;
    members.push_back({iw, bias, out, streams, tasks, tasks + count});
    tasks += count;
  }
  int64_t perTask = 0; // Row groups of the largest iteration.
  for (const Member &m : members)
    perTask = std::max(perTask, m.streams);
  ctx.parallelFor(tasks, rows * w0.cols * kLanes * perTask, [&](Value task) {
    std::function<void(size_t)> dispatch = [&](size_t i) {
      const Member &m = members[i];
      auto run = [&] {
        Value local = m.begin == 0 ? task
                                   : Value(arith::SubIOp::create(
                                         b, loc, task, ctx.index(m.begin)));
        emitInterleavedTask(ctx, m.iw, m.bias, xq, 0, rows, Value(), m.streams,
                            local, m.out);
      };
      if (i + 1 == members.size()) {
        run();
        return;
      }
      auto inMember = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, task,
                                ctx.index(m.end)),
          /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(inMember.thenBlock());
      run();
      b.setInsertionPointToStart(inMember.elseBlock());
      dispatch(i + 1);
    };
    dispatch(0);
  });
}

bool llmc::lowering::canFuseGatedPair(EmitContext &ctx, llm::LinearOp gate,
                                      llm::LinearOp up, llm::GatedActOp act) {
  auto shape = gate.getResult().getType().getShape();
  if (shape[0] != 1 || ctx.lastRowOnly == gate.getOperation() ||
      ctx.lastRowOnly == up.getOperation())
    return false;
  if (gate.getInput() != up.getInput() || gate.getBiasAttr() ||
      up.getBiasAttr() || act.getGate() != gate.getResult() ||
      act.getUp() != up.getResult() || !gate.getResult().hasOneUse() ||
      !up.getResult().hasOneUse())
    return false;
  const DeviceWeight *g = interleavedWeightOf(ctx, gate);
  const DeviceWeight *u = interleavedWeightOf(ctx, up);
  // The same row groups of both, and one quantization of the input (2:4
  // sparse kernels read it shifted); the formats may differ otherwise.
  return g && u && g->rows == u->rows && g->cols == u->cols &&
         g->format.sparse == u->format.sparse;
}

void llmc::lowering::emitGatedLinearPair(EmitContext &ctx, llm::LinearOp gate,
                                         llm::LinearOp up, llm::GatedActOp act,
                                         Value out) {
  assert(canFuseGatedPair(ctx, gate, up, act) && "pair does not qualify");
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &gw = *interleavedWeightOf(ctx, gate);
  const DeviceWeight &uw = *interleavedWeightOf(ctx, up);
  InterleavedWeight gi(ctx, gw), ui(ctx, uw);
  QuantizedRows xq = quantizeRows(ctx, ctx.buffer(gate.getInput()), 1, gw.cols,
                                  /*shifted=*/gw.format.sparse);
  // As many read streams per task as the unfused loop's tasks have: half
  // of them in each weight.
  int64_t streams = largestDivisorUpTo(
      gi.rowGroups, std::max<int64_t>(1, interleavedStreams(ctx, gw, 1) / 2));
  auto vecF = VectorType::get({kLanes}, b.getF32Type());
  Value row = ctx.index(0);
  ctx.parallelFor(
      gi.rowGroups / streams, 2 * gw.cols * kLanes * streams, [&](Value task) {
        SmallVector<Value> rgs =
            streamIndices(ctx, task, streams, gi.rowGroups);
        prefetchNextNorm(ctx, task);
        SmallVector<Value> init(2 * rgs.size(), zeros(ctx, vecF));
        auto loop = scf::ForOp::create(
            b, loc, ctx.index(0), ctx.index(gi.blocks), ctx.index(1), init);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(loop.getBody());
          Value blk = loop.getInductionVar();
          auto groupOf = [&](const InterleavedWeight &iw) -> Value {
            return iw.blocksPerGroup == 1
                       ? blk
                       : Value(arith::DivUIOp::create(
                             b, loc, blk, ctx.index(iw.blocksPerGroup)));
          };
          Value gg = groupOf(gi), ug = groupOf(ui);
          prefetchDecodeBlock(ctx, gi, rgs, blk);
          prefetchDecodeBlock(ctx, ui, rgs, blk);
          // Accumulators [0, n) are the gate's row groups, [n, 2n) up's.
          SmallVector<Value> next;
          ValueRange accs = loop.getRegionIterArgs();
          for (auto [i, rg] : llvm::enumerate(rgs))
            next.append(accumulateRowGroupBlock(ctx, gi, xq, rg, blk, gg, {row},
                                                accs.slice(i, 1)));
          for (auto [i, rg] : llvm::enumerate(rgs))
            next.append(accumulateRowGroupBlock(ctx, ui, xq, rg, blk, ug, {row},
                                                accs.slice(rgs.size() + i, 1)));
          scf::YieldOp::create(b, loc, next);
        }
        for (auto [i, rg] : llvm::enumerate(rgs)) {
          Value h = arith::MulFOp::create(
              b, loc,
              emitActivation(ctx, act.getActivation(), loop.getResult(i)),
              loop.getResult(rgs.size() + i));
          vector::StoreOp::create(
              b, loc, h, out,
              ValueRange{row,
                         arith::MulIOp::create(b, loc, rg, ctx.index(kLanes))});
        }
      });
}
