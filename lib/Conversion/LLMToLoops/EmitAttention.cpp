//===- EmitAttention.cpp - llm.attention to vector loops over the cache ---===//
//
// Emits causal grouped-query attention for rows at positions pos + t: store
// the k/v rows into the cache slot, then, split over the threads by (row,
// KV head, query heads of its group), compute scaled scores against the KV
// head's past keys,
// softmax, and the weighted sum of values, all with vectors of a fixed
// logical length (so every target computes the same floating-point
// operations in the same order).
//
// Cache layout: [slot][k|v][kv_head][max_seq][head_dim] of the cache's
// element type (f32, f16, or i8 followed by the f32 scales
// [slot][k|v][kv_head][max_seq] from the next multiple of 64 bytes). Rows
// are converted when stored and widened to f32 when read; the arithmetic is
// f32.
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

namespace {
/// Lanes of the vectors over head_dim: the largest power of two up to 16
/// that divides head_dim (64 -> 16, 8 -> 8). It depends on the model only,
/// never on the target's vector registers.
int64_t headLanes(int64_t headDim) {
  int64_t lanes = 1;
  while (lanes < 16 && headDim % (2 * lanes) == 0)
    lanes *= 2;
  return lanes;
}

/// Positions per vector in the softmax.
constexpr int64_t kPositionLanes = 16;

/// Sum of the lanes of a vector whose length is a power of two, as a fixed
/// tree: add the upper half to the lower half until one lane is left.
Value treeSum(OpBuilder &b, Location loc, Value v) {
  int64_t n = cast<VectorType>(v.getType()).getDimSize(0);
  while (n > 1) {
    int64_t half = n / 2;
    Value lo = vector::ExtractStridedSliceOp::create(
        b, loc, v, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{half},
        ArrayRef<int64_t>{1});
    Value hi = vector::ExtractStridedSliceOp::create(
        b, loc, v, ArrayRef<int64_t>{half}, ArrayRef<int64_t>{half},
        ArrayRef<int64_t>{1});
    v = arith::AddFOp::create(b, loc, lo, hi);
    n = half;
  }
  return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
}

/// The lane sums of `lanes` position vectors (vector<lanes x f32> each, in
/// position order) as one vector whose lane i is treeSum(vectors[i]), with
/// the same additions: each tree level adds lane j + half of every position
/// to its lane j, two positions' vectors at a time (two shuffles and one
/// add per pair), so `lanes` positions take lanes - 1 vector additions
/// instead of log2(lanes) scalar-tree steps each. Levels are combined as
/// soon as two of one level exist (a binary counter), which keeps at most
/// log2(lanes) + 1 partial vectors live. `pending` holds (level, vector)
/// pairs; call once per position, in order.
void pushPositionSum(OpBuilder &b, Location loc, int64_t lanes,
                     SmallVectorImpl<std::pair<int64_t, Value>> &pending,
                     Value v) {
  pending.push_back({0, v});
  while (pending.size() >= 2 && pending[pending.size() - 1].first ==
                                    pending[pending.size() - 2].first) {
    auto [level, second] = pending.pop_back_val();
    Value first = pending.pop_back_val().second;
    // Each vector holds 2^level positions of `width` partial sums.
    int64_t width = lanes >> level, positions = lanes / width;
    SmallVector<int64_t> lo, hi;
    for (int64_t from : {int64_t(0), lanes})
      for (int64_t p = 0; p < positions; ++p)
        for (int64_t j = 0; j < width / 2; ++j) {
          lo.push_back(from + p * width + j);
          hi.push_back(from + p * width + width / 2 + j);
        }
    Value sum = arith::AddFOp::create(
        b, loc, vector::ShuffleOp::create(b, loc, first, second, lo),
        vector::ShuffleOp::create(b, loc, first, second, hi));
    pending.push_back({level + 1, sum});
  }
}

/// Narrows an f32 vector to f16 (round to nearest even, overflow to
/// infinity, NaN to a quiet NaN) with integer arithmetic, for targets without
/// a conversion instruction; the same bits as arith.truncf. (F. Giesen's
/// float_to_half_fast3_rtne: subnormal results by adding 0.5f, whose float
/// addition rounds the bits into place; normal ones by rebiasing the
/// exponent and rounding the 13 dropped mantissa bits to even.)
Value truncateF16Bits(OpBuilder &b, Location loc, Value x) {
  auto type = cast<VectorType>(x.getType());
  auto i32 = VectorType::get(type.getShape(), b.getI32Type());
  auto constI = [&](uint32_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(i32,
                               b.getI32IntegerAttr(static_cast<int32_t>(v))));
  };
  auto ult = [&](Value a, uint32_t v) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, a,
                                 constI(v));
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value sign = arith::AndIOp::create(b, loc, bits, constI(0x80000000u));
  Value abs = arith::XOrIOp::create(b, loc, bits, sign);
  // Inf or NaN (|x| >= 65536 rounds to infinity as well).
  Value special = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, abs,
                            constI(0x7f800000u)),
      constI(0x7e00), constI(0x7c00));
  // Subnormal or zero: |x| < 2^-14.
  Value magic = constI(126u << 23);
  Value sub = arith::SubIOp::create(
      b, loc,
      arith::BitcastOp::create(
          b, loc, i32,
          arith::AddFOp::create(b, loc,
                                arith::BitcastOp::create(b, loc, type, abs),
                                arith::BitcastOp::create(b, loc, type, magic))),
      magic);
  // Normal: rebias the exponent, round the dropped bits half to even.
  Value odd = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, abs, constI(13)), constI(1));
  Value rebias = constI(static_cast<uint32_t>(-(112 << 23)) + 0xfffu);
  Value normal = arith::ShRUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, abs, rebias),
                            odd),
      constI(13));
  Value finite =
      arith::SelectOp::create(b, loc, ult(abs, 113u << 23), sub, normal);
  Value h = arith::SelectOp::create(b, loc, ult(abs, (127u + 16) << 23), finite,
                                    special);
  h = arith::OrIOp::create(b, loc, h,
                           arith::ShRUIOp::create(b, loc, sign, constI(16)));
  return arith::BitcastOp::create(
      b, loc, VectorType::get(type.getShape(), b.getF16Type()),
      arith::TruncIOp::create(
          b, loc, VectorType::get(type.getShape(), b.getI16Type()), h));
}
} // namespace

void llmc::lowering::emitAttention(EmitContext &ctx, llm::AttentionOp op,
                                   Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  llm::KVCacheType cacheType = op.getCache().getType();
  int64_t kvHeads = op.getKvHeads(), headDim = op.getHeadDim();
  int64_t heads = op.getHeads(), maxSeq = cacheType.getMaxSeq();
  int64_t group = heads / kvHeads;
  int64_t rows = op.getQ().getType().getDimSize(0);
  int64_t lanes = headLanes(headDim), chunks = headDim / lanes;
  auto headVec = VectorType::get({lanes}, f32);
  auto posVec = VectorType::get({kPositionLanes}, f32);
  auto posMask = VectorType::get({kPositionLanes}, b.getI1Type());

  // memref<2 x kv_heads x max_seq x head_dim x element> over this op's
  // slot of the cache, and for i8 the scales memref<2 x kv_heads x max_seq
  // x f32>. (Views of the slot, not indices into the whole cache: the
  // layers' attention tasks then differ only in the views' pointers and
  // share their code.)
  Type element = cacheType.getElement();
  bool halfCache = element.isF16();
  bool int8Cache = element.isSignlessInteger(8);
  auto storedVec = VectorType::get({lanes}, element);
  auto slotType = MemRefType::get({2, kvHeads, maxSeq, headDim}, element);
  auto scalesType = MemRefType::get({2, kvHeads, maxSeq}, f32);
  int64_t slot = op.getSlot();
  Value cache = memref::ViewOp::create(
      b, loc, slotType, ctx.kvCache,
      ctx.index(slot * static_cast<int64_t>(memrefBytes(slotType))),
      ValueRange{});
  Value cacheScales;
  if (int8Cache)
    cacheScales = memref::ViewOp::create(
        b, loc, scalesType, ctx.kvCache,
        ctx.index(cacheType.getScalesOffset() +
                  slot * static_cast<int64_t>(memrefBytes(scalesType))),
        ValueRange{});
  Value kIdx = ctx.index(0), vIdx = ctx.index(1);
  Value q = ctx.buffer(op.getQ());
  Value k = ctx.buffer(op.getK());
  Value v = ctx.buffer(op.getV());
  // llama2.c divides by sqrtf(head_dim); so do we, with the same constant.
  // A model-given scale multiplies instead.
  std::optional<APFloat> givenScale = op.getScale();
  Value scale = givenScale ? ctx.f32(givenScale->convertToFloat())
                           : ctx.f32(std::sqrt(static_cast<float>(headDim)));
  Value zero = ctx.index(0), one = ctx.index(1);
  auto zerosOf = [&](VectorType type) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(0)));
  };
  // Row s of kv head g's keys (which = kIdx) or values (vIdx), chunk j, as
  // f32 (for i8: the quants, to be multiplied by the row's scale).
  auto loadCacheChunk = [&](Value which, Value g, Value s, int64_t j) -> Value {
    Value stored =
        vector::LoadOp::create(b, loc, storedVec, cache,
                               ValueRange{which, g, s, ctx.index(j * lanes)});
    if (halfCache)
      return ctx.extendF16(stored);
    if (int8Cache)
      return arith::SIToFPOp::create(b, loc, headVec, stored);
    return stored;
  };
  // The f32 scale of row s (i8 caches).
  auto loadRowScale = [&](Value which, Value g, Value s) -> Value {
    return memref::LoadOp::create(b, loc, cacheScales, ValueRange{which, g, s});
  };
  // Stores row t's head g of `src` (k or v) at position p: as is, converted
  // to f16, or quantized to i8 with the scale max|row| / 127 (quants rounded
  // half to even, as the integer linears round their inputs).
  auto storeRow = [&](Value src, Value which, Value t, Value g, Value p) {
    Value base = arith::MulIOp::create(b, loc, g, ctx.index(headDim));
    SmallVector<Value> row;
    for (int64_t j = 0; j < chunks; ++j)
      row.push_back(vector::LoadOp::create(
          b, loc, headVec, src,
          ValueRange{
              t, arith::AddIOp::create(b, loc, base, ctx.index(j * lanes))}));
    auto at = [&](int64_t j) -> SmallVector<Value> {
      return {which, g, p, ctx.index(j * lanes)};
    };
    if (!int8Cache) {
      for (int64_t j = 0; j < chunks; ++j) {
        Value stored = row[j];
        if (halfCache)
          stored =
              ctx.emulateF16
                  ? truncateF16Bits(b, loc, row[j])
                  : Value(arith::TruncFOp::create(b, loc, storedVec, row[j]));
        vector::StoreOp::create(b, loc, stored, cache, at(j));
      }
      return;
    }
    Value amax = emitAbsMax(b, loc, row);
    Value d = arith::DivFOp::create(b, loc, amax, ctx.f32(127.0f));
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                           amax, ctx.f32(0.0f));
    Value inv = vector::BroadcastOp::create(
        b, loc, headVec,
        arith::SelectOp::create(
            b, loc, positive,
            arith::DivFOp::create(b, loc, ctx.f32(127.0f), amax),
            ctx.f32(0.0f)));
    // Round half to even without a float-to-int instruction: adding
    // 1.5 * 2^23 puts round(v) (|v| <= 127) in the low mantissa bits.
    auto wide = VectorType::get({lanes}, b.getI32Type());
    Value bias =
        vector::BroadcastOp::create(b, loc, headVec, ctx.f32(12582912.0f));
    Value biasBits = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wide, b.getI32IntegerAttr(0x4B400000)));
    for (int64_t j = 0; j < chunks; ++j) {
      Value biased = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, row[j], inv), bias);
      Value qi = arith::SubIOp::create(
          b, loc, arith::BitcastOp::create(b, loc, wide, biased), biasBits);
      vector::StoreOp::create(
          b, loc, arith::TruncIOp::create(b, loc, storedVec, qi), cache, at(j));
    }
    memref::StoreOp::create(b, loc, d, cacheScales, ValueRange{which, g, p});
  };

  // Store every row's keys and values first (row t at position pos + t), so
  // that the (row, head) pairs below are independent: row t reads only
  // positions <= pos + t, all stored by now.
  ctx.forLoop(0, rows, [&](Value t) {
    Value p = arith::AddIOp::create(b, loc, ctx.pos, t);
    ctx.forLoop(0, kvHeads, [&](Value g) {
      storeRow(k, kIdx, t, g, p);
      storeRow(v, vIdx, t, g, p);
    });
  });

  // One parallel iteration per (row, KV head, `shared` of its query heads):
  // each key and value row it loads serves those heads (the arithmetic of
  // each head stays as if alone). An iteration writes only its heads'
  // slices of its row of `out`, with the scores buffer of its task (tasks
  // on different threads never share one). The arithmetic of a head depends
  // only on the row's position and the model, not on the split, on how many
  // heads share the loads, on how many rows the call has or on the target,
  // so logits are identical for any thread count, for prefill vs decode and
  // across targets. Work estimate: a dot product and a weighted sum over
  // half the context, per head.
  int64_t shared = largestDivisorUpTo(group, ctx.attentionHeads);
  int64_t splits = group / shared;
  ctx.parallelFor(
      rows * kvHeads * splits,
      2 * headDim * shared * std::max<int64_t>(1, maxSeq / 2), [&](Value i) {
        Value t =
            arith::DivUIOp::create(b, loc, i, ctx.index(kvHeads * splits));
        Value rest =
            arith::RemUIOp::create(b, loc, i, ctx.index(kvHeads * splits));
        Value g = arith::DivUIOp::create(b, loc, rest, ctx.index(splits));
        Value firstHead = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, g, ctx.index(group)),
            arith::MulIOp::create(
                b, loc, arith::RemUIOp::create(b, loc, rest, ctx.index(splits)),
                ctx.index(shared)));
        // The scores buffer (one row per head): on the stack of the function
        // that runs the loop, allocated once at its entry (in a task
        // function: once per range, so each thread has its own; an alloca
        // inside the loop would grow the stack at every iteration).
        Value att;
        {
          OpBuilder::InsertionGuard guard(b);
          Operation *parent = b.getInsertionBlock()->getParentOp();
          auto fn = isa<func::FuncOp>(parent)
                        ? cast<func::FuncOp>(parent)
                        : parent->getParentOfType<func::FuncOp>();
          b.setInsertionPointToStart(&fn.getBody().front());
          att = memref::AllocaOp::create(
              b, loc, MemRefType::get({shared, maxSeq}, f32));
        }
        Value p = arith::AddIOp::create(b, loc, ctx.pos, t);
        Value count = arith::AddIOp::create(b, loc, p, one);
        // First attended position: 0, or max(0, p + 1 - window).
        Value first = zero;
        if (std::optional<uint64_t> window = op.getWindow()) {
          Value w = ctx.index(static_cast<int64_t>(*window));
          Value inWindow = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ugt, count, w);
          first = arith::SelectOp::create(
              b, loc, inWindow, arith::SubIOp::create(b, loc, count, w), zero);
        }
        // Head `hh`'s query base column, its scores row, and its query in
        // registers: chunks x vector<lanes x f32>.
        SmallVector<Value> qBase, scoreRow;
        SmallVector<SmallVector<Value>> qv(shared);
        for (int64_t hh = 0; hh < shared; ++hh) {
          qBase.push_back(arith::MulIOp::create(
              b, loc, arith::AddIOp::create(b, loc, firstHead, ctx.index(hh)),
              ctx.index(headDim)));
          scoreRow.push_back(ctx.index(hh));
          for (int64_t j = 0; j < chunks; ++j)
            qv[hh].push_back(vector::LoadOp::create(
                b, loc, headVec, q,
                ValueRange{t, arith::AddIOp::create(b, loc, qBase[hh],
                                                    ctx.index(j * lanes))}));
        }
        // Scores and their maxima: each key row is loaded once; per head,
        // q . k as lane-wise fused multiply-adds over the chunks, then a
        // fixed tree over the lanes. Whole blocks of `lanes` positions first:
        // their tree sums side by side (pushPositionSum), so the scaling,
        // the stores and the maxima are vectors over positions; then the
        // remaining positions one at a time. Both give every score the same
        // operations, and the maximum does not depend on the order.
        auto loadKey = [&](Value s, SmallVector<Value> &key) {
          key.clear();
          for (int64_t j = 0; j < chunks; ++j)
            key.push_back(loadCacheChunk(kIdx, g, s, j));
        };
        auto laneProducts = [&](int64_t hh, ArrayRef<Value> key) -> Value {
          Value acc = arith::MulFOp::create(b, loc, qv[hh][0], key[0]);
          for (int64_t j = 1; j < chunks; ++j)
            acc = math::FmaOp::create(b, loc, qv[hh][j], key[j], acc);
          return acc;
        };
        // dot (times the key row's scale for i8) over or times `scale`.
        auto toScore = [&](Value dot, Value keyScale, Value scaleValue) {
          if (keyScale)
            dot = arith::MulFOp::create(b, loc, dot, keyScale);
          return givenScale
                     ? Value(arith::MulFOp::create(b, loc, dot, scaleValue))
                     : Value(arith::DivFOp::create(b, loc, dot, scaleValue));
        };
        Value lanesIdx = ctx.index(lanes);
        Value blocks = arith::DivUIOp::create(
            b, loc, arith::SubIOp::create(b, loc, count, first), lanesIdx);
        Value blocked = arith::AddIOp::create(
            b, loc, first, arith::MulIOp::create(b, loc, blocks, lanesIdx));
        Value negInf = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(headVec, b.getF32FloatAttr(-INFINITY)));
        auto blockLoop = scf::ForOp::create(b, loc, first, blocked, lanesIdx,
                                            SmallVector<Value>(shared, negInf));
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(blockLoop.getBody());
          Value s0 = blockLoop.getInductionVar();
          SmallVector<SmallVector<std::pair<int64_t, Value>>> pending(shared);
          SmallVector<Value> key;
          for (int64_t i = 0; i < lanes; ++i) {
            loadKey(arith::AddIOp::create(b, loc, s0, ctx.index(i)), key);
            for (int64_t hh = 0; hh < shared; ++hh)
              pushPositionSum(b, loc, lanes, pending[hh],
                              laneProducts(hh, key));
          }
          Value keyScales;
          if (int8Cache)
            keyScales = vector::LoadOp::create(b, loc, headVec, cacheScales,
                                               ValueRange{kIdx, g, s0});
          Value scaleVec = vector::BroadcastOp::create(b, loc, headVec, scale);
          SmallVector<Value> best;
          for (int64_t hh = 0; hh < shared; ++hh) {
            assert(pending[hh].size() == 1 && "a whole tree per block");
            Value score =
                toScore(pending[hh].front().second, keyScales, scaleVec);
            vector::StoreOp::create(b, loc, score, att,
                                    ValueRange{scoreRow[hh], s0});
            best.push_back(arith::MaximumFOp::create(
                b, loc, blockLoop.getRegionIterArg(hh), score));
          }
          scf::YieldOp::create(b, loc, best);
        }
        SmallVector<Value> blockBest;
        for (int64_t hh = 0; hh < shared; ++hh)
          blockBest.push_back(vector::ReductionOp::create(
              b, loc, vector::CombiningKind::MAXIMUMF,
              blockLoop.getResult(hh)));
        auto scores =
            scf::ForOp::create(b, loc, blocked, count, one, blockBest);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(scores.getBody());
          Value s = scores.getInductionVar();
          SmallVector<Value> key;
          loadKey(s, key);
          Value keyScale;
          if (int8Cache)
            keyScale = loadRowScale(kIdx, g, s);
          SmallVector<Value> best;
          for (int64_t hh = 0; hh < shared; ++hh) {
            Value score = toScore(treeSum(b, loc, laneProducts(hh, key)),
                                  keyScale, scale);
            memref::StoreOp::create(b, loc, score, att,
                                    ValueRange{scoreRow[hh], s});
            best.push_back(arith::MaximumFOp::create(
                b, loc, scores.getRegionIterArg(hh), score));
          }
          scf::YieldOp::create(b, loc, best);
        }
        // Per head: softmax numerators exp(x - max), kPositionLanes
        // positions at a time from `first` (the last vector masked), and
        // their sum: lane sums in position order, then the fixed tree.
        Value zeroPos = zerosOf(posVec);
        SmallVector<Value> totals;
        for (int64_t hh = 0; hh < shared; ++hh) {
          Value maxVec =
              vector::BroadcastOp::create(b, loc, posVec, scores.getResult(hh));
          auto sum = scf::ForOp::create(b, loc, first, count,
                                        ctx.index(kPositionLanes),
                                        ValueRange{zeroPos});
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(sum.getBody());
            Value s = sum.getInductionVar();
            Value mask = vector::CreateMaskOp::create(
                b, loc, posMask,
                ValueRange{arith::SubIOp::create(b, loc, count, s)});
            Value x = vector::MaskedLoadOp::create(
                b, loc, posVec, att, ValueRange{scoreRow[hh], s}, mask, maxVec);
            // A vector polynomial once llmc-approximate-math has run.
            Value exp = math::ExpOp::create(
                b, loc, arith::SubFOp::create(b, loc, x, maxVec));
            Value e = arith::SelectOp::create(b, loc, mask, exp, zeroPos);
            vector::MaskedStoreOp::create(b, loc, att,
                                          ValueRange{scoreRow[hh], s}, mask, e);
            Value acc =
                arith::AddFOp::create(b, loc, sum.getRegionIterArg(0), e);
            scf::YieldOp::create(b, loc, ValueRange{acc});
          }
          totals.push_back(treeSum(b, loc, sum.getResult(0)));
        }
        // out[h] = (sum_s e[s] * V[g][s]) / total, each value row loaded
        // once for the heads, each head's output in registers (chunks x
        // vector<lanes x f32>) across positions.
        SmallVector<Value> init(shared * chunks, zerosOf(headVec));
        auto weighted = scf::ForOp::create(b, loc, first, count, one, init);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(weighted.getBody());
          Value s = weighted.getInductionVar();
          SmallVector<Value> value;
          for (int64_t j = 0; j < chunks; ++j)
            value.push_back(loadCacheChunk(vIdx, g, s, j));
          Value valueScale;
          if (int8Cache)
            valueScale = loadRowScale(vIdx, g, s);
          SmallVector<Value> next;
          for (int64_t hh = 0; hh < shared; ++hh) {
            Value e = memref::LoadOp::create(b, loc, att,
                                             ValueRange{scoreRow[hh], s});
            if (int8Cache)
              e = arith::MulFOp::create(b, loc, e, valueScale);
            Value a = vector::BroadcastOp::create(b, loc, headVec, e);
            for (int64_t j = 0; j < chunks; ++j)
              next.push_back(math::FmaOp::create(
                  b, loc, a, value[j],
                  weighted.getRegionIterArg(
                      static_cast<unsigned>(hh * chunks + j))));
          }
          scf::YieldOp::create(b, loc, next);
        }
        for (int64_t hh = 0; hh < shared; ++hh) {
          Value totalVec =
              vector::BroadcastOp::create(b, loc, headVec, totals[hh]);
          for (int64_t j = 0; j < chunks; ++j)
            vector::StoreOp::create(
                b, loc,
                arith::DivFOp::create(
                    b, loc,
                    weighted.getResult(static_cast<unsigned>(hh * chunks + j)),
                    totalVec),
                out,
                ValueRange{t, arith::AddIOp::create(b, loc, qBase[hh],
                                                    ctx.index(j * lanes))});
        }
      });
}
