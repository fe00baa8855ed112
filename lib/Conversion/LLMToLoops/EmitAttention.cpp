//===- EmitAttention.cpp - llm.attention to loops over the cache -*- C++
//-*-===//
//
// Emits causal grouped-query attention for rows at positions pos + t: store
// the k/v rows into the cache slot, then, split over the threads by (row,
// query head), compute scaled scores against the KV head's past keys,
// softmax, and the weighted sum of values.
//
// Cache layout (f32): [slot][k|v][kv_head][max_seq][head_dim].
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

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

  // memref<slots x 2 x kv_heads x max_seq x head_dim x f32> over the cache.
  Value cache = memref::ViewOp::create(
      b, loc,
      MemRefType::get({cacheType.getSlots(), 2, kvHeads, maxSeq, headDim}, f32),
      ctx.kvCache, ctx.index(0), ValueRange{});
  Value slot = ctx.index(op.getSlot());
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

  // Store every row's keys and values first (row t at position pos + t), so
  // that the (row, head) pairs below are independent: row t reads only
  // positions <= pos + t, all stored by now.
  ctx.forLoop(0, rows, [&](Value t) {
    Value p = arith::AddIOp::create(b, loc, ctx.pos, t);
    ctx.forLoop(0, kvHeads, [&](Value g) {
      ctx.forLoop(0, headDim, [&](Value d) {
        Value col = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, g, ctx.index(headDim)), d);
        Value kv = memref::LoadOp::create(b, loc, k, ValueRange{t, col});
        memref::StoreOp::create(b, loc, kv, cache,
                                ValueRange{slot, kIdx, g, p, d});
        Value vv = memref::LoadOp::create(b, loc, v, ValueRange{t, col});
        memref::StoreOp::create(b, loc, vv, cache,
                                ValueRange{slot, vIdx, g, p, d});
      });
    });
  });

  // One parallel iteration per (row, query head): it writes only its head's
  // slice of its row of `out`, with the scores buffer of its task (tasks on
  // different threads never share one). The
  // arithmetic of an iteration does not depend on the split or on how many
  // rows the call has, so logits are identical for any thread count and for
  // prefill vs decode. Work estimate: a dot product and a weighted sum over
  // half the context.
  ctx.parallelFor(
      rows * heads, 2 * headDim * std::max<int64_t>(1, maxSeq / 2),
      [&](Value i) {
        Value t = arith::DivUIOp::create(b, loc, i, ctx.index(heads));
        Value h = arith::RemUIOp::create(b, loc, i, ctx.index(heads));
        // The scores buffer: on the stack of the function that runs the
        // loop, allocated once at its entry (in a task function: once per
        // range, so each thread has its own; an alloca inside the loop would
        // grow the stack at every iteration).
        Value att;
        {
          OpBuilder::InsertionGuard guard(b);
          Operation *parent = b.getInsertionBlock()->getParentOp();
          auto fn = isa<func::FuncOp>(parent)
                        ? cast<func::FuncOp>(parent)
                        : parent->getParentOfType<func::FuncOp>();
          b.setInsertionPointToStart(&fn.getBody().front());
          att =
              memref::AllocaOp::create(b, loc, MemRefType::get({maxSeq}, f32));
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
        Value g = arith::DivUIOp::create(b, loc, h, ctx.index(group));
        Value qBase = arith::MulIOp::create(b, loc, h, ctx.index(headDim));
        // Scores and their maximum.
        auto scores = scf::ForOp::create(b, loc, first, count, one,
                                         ValueRange{ctx.f32(-INFINITY)});
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(scores.getBody());
          Value s = scores.getInductionVar();
          auto dot = scf::ForOp::create(b, loc, zero, ctx.index(headDim), one,
                                        ValueRange{ctx.f32(0.0f)});
          {
            OpBuilder::InsertionGuard inner(b);
            b.setInsertionPointToStart(dot.getBody());
            Value d = dot.getInductionVar();
            Value qv = memref::LoadOp::create(
                b, loc, q,
                ValueRange{t, arith::AddIOp::create(b, loc, qBase, d)});
            Value kv = memref::LoadOp::create(b, loc, cache,
                                              ValueRange{slot, kIdx, g, s, d});
            Value acc =
                arith::AddFOp::create(b, loc, dot.getRegionIterArg(0),
                                      arith::MulFOp::create(b, loc, qv, kv));
            scf::YieldOp::create(b, loc, ValueRange{acc});
          }
          Value score = givenScale ? Value(arith::MulFOp::create(
                                         b, loc, dot.getResult(0), scale))
                                   : Value(arith::DivFOp::create(
                                         b, loc, dot.getResult(0), scale));
          memref::StoreOp::create(b, loc, score, att, ValueRange{s});
          Value best = arith::MaximumFOp::create(
              b, loc, scores.getRegionIterArg(0), score);
          scf::YieldOp::create(b, loc, ValueRange{best});
        }
        Value maxScore = scores.getResult(0);
        // Softmax: exp(x - max), normalized by the sum.
        auto sum = scf::ForOp::create(b, loc, first, count, one,
                                      ValueRange{ctx.f32(0.0f)});
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(sum.getBody());
          Value s = sum.getInductionVar();
          Value a = memref::LoadOp::create(b, loc, att, ValueRange{s});
          Value e = math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, a, maxScore));
          memref::StoreOp::create(b, loc, e, att, ValueRange{s});
          Value acc = arith::AddFOp::create(b, loc, sum.getRegionIterArg(0), e);
          scf::YieldOp::create(b, loc, ValueRange{acc});
        }
        Value total = sum.getResult(0);
        ctx.forLoop(first, count, 1, [&](Value s) {
          Value a = memref::LoadOp::create(b, loc, att, ValueRange{s});
          memref::StoreOp::create(b, loc,
                                  arith::DivFOp::create(b, loc, a, total), att,
                                  ValueRange{s});
        });
        // out[h] = sum_s att[s] * V[g][s]
        ctx.forLoop(0, headDim, [&](Value d) {
          memref::StoreOp::create(
              b, loc, ctx.f32(0.0f), out,
              ValueRange{t, arith::AddIOp::create(b, loc, qBase, d)});
        });
        ctx.forLoop(first, count, 1, [&](Value s) {
          Value a = memref::LoadOp::create(b, loc, att, ValueRange{s});
          ctx.forLoop(0, headDim, [&](Value d) {
            Value col = arith::AddIOp::create(b, loc, qBase, d);
            Value acc = memref::LoadOp::create(b, loc, out, ValueRange{t, col});
            Value vv = memref::LoadOp::create(b, loc, cache,
                                              ValueRange{slot, vIdx, g, s, d});
            memref::StoreOp::create(
                b, loc,
                arith::AddFOp::create(b, loc, acc,
                                      arith::MulFOp::create(b, loc, a, vv)),
                out, ValueRange{t, col});
          });
        });
      });
}
