//===- EmitElementwise.cpp - Row-wise llm ops to loops ----------*- C++ -*-===//
//
// Emitters for llm.embedding, llm.position_embedding, llm.rms_norm,
// llm.layer_norm, llm.rope, llm.act, llm.gated_act and llm.add. The
// arithmetic follows the reference decoders (llama2.c; GPT-2's LayerNorm and
// GELU as PyTorch defines them) operation by operation, so results agree
// with them up to libm (exp is llmc-approximate-math's polynomial).
// Rows (prefill tokens) are split over the threads; element-wise ops run
// on fixed-width vectors, the same operations per element as scalars.
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

static ArrayRef<int64_t> shapeOf(Value tensor) {
  return cast<RankedTensorType>(tensor.getType()).getShape();
}

void llmc::lowering::emitEmbedding(EmitContext &ctx, llm::EmbeddingOp op,
                                   Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &table = ctx.weight(op.getTableAttr());
  Value tokens = ctx.buffer(op.getTokens());
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  ctx.forLoop(0, shape[0], [&](Value t) {
    // Clamp the token id into [0, vocab).
    Value tok = memref::LoadOp::create(b, loc, tokens, ValueRange{t});
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
    Value last =
        arith::ConstantIntOp::create(b, loc, b.getI32Type(), table.rows - 1);
    tok = arith::MaxSIOp::create(b, loc, tok, zero);
    tok = arith::MinSIOp::create(b, loc, tok, last);
    Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), tok);
    ctx.forLoop(0, shape[1], [&](Value d) {
      Value v = ctx.loadWeightElement(table, row, d);
      memref::StoreOp::create(b, loc, v, out, ValueRange{t, d});
    });
  });
}

void llmc::lowering::emitPositionEmbedding(EmitContext &ctx,
                                           llm::PositionEmbeddingOp op,
                                           Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &table = ctx.weight(op.getTableAttr());
  Value in = ctx.buffer(op.getInput());
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  ctx.forLoop(0, shape[0], [&](Value t) {
    // Row min(pos + t, positions - 1) of the table.
    Value p = arith::AddIOp::create(b, loc, ctx.pos, t);
    Value row = arith::MinUIOp::create(b, loc, p, ctx.index(table.rows - 1));
    ctx.forLoop(0, shape[1], [&](Value d) {
      Value x = memref::LoadOp::create(b, loc, in, ValueRange{t, d});
      Value e = ctx.loadWeightElement(table, row, d);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, x, e), out,
                              ValueRange{t, d});
    });
  });
}

/// Lanes of the element-wise vector loops. Fixed, not the target's width,
/// so that every target computes the same operations.
constexpr int64_t kElementLanes = 16;

/// Emits `sum_{j < n} f(j)` over the columns of a row, in order.
static Value emitRowSum(EmitContext &ctx, int64_t n,
                        function_ref<Value(Value)> f) {
  OpBuilder &b = ctx.b;
  auto sum = scf::ForOp::create(b, ctx.loc, ctx.index(0), ctx.index(n),
                                ctx.index(1), ValueRange{ctx.f32(0.0f)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(sum.getBody());
  Value acc = arith::AddFOp::create(b, ctx.loc, sum.getRegionIterArg(0),
                                    f(sum.getInductionVar()));
  scf::YieldOp::create(b, ctx.loc, ValueRange{acc});
  return sum.getResult(0);
}

void llmc::lowering::emitRMSNorm(EmitContext &ctx, llm::RMSNormOp op,
                                 Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &weight = ctx.weight(op.getWeightAttr());
  Value in = ctx.buffer(op.getInput());
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  Value zeroIdx = ctx.index(0);
  // ss = sum(x^2): kElementLanes partial sums (lane j over the columns
  // j mod kElementLanes), added in lane order, then the remaining columns in
  // order; a fixed order on every target. The single ordered 2048-term chain
  // it replaces took ~1.8 µs per norm on the TinyLlama shape.
  int64_t chunks = shape[1] / kElementLanes;
  auto vecType = VectorType::get({kElementLanes}, b.getF32Type());
  ctx.parallelFor(shape[0], 3 * shape[1], [&](Value t) {
    Value ss = ctx.f32(0.0f);
    if (chunks > 0) {
      auto partial = scf::ForOp::create(
          b, loc, zeroIdx, ctx.index(chunks * kElementLanes),
          ctx.index(kElementLanes),
          ValueRange{arith::ConstantOp::create(
              b, loc, vecType,
              DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)))});
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(partial.getBody());
        Value x = vector::LoadOp::create(
            b, loc, vecType, in, ValueRange{t, partial.getInductionVar()});
        Value acc = arith::AddFOp::create(b, loc, partial.getRegionIterArg(0),
                                          arith::MulFOp::create(b, loc, x, x));
        scf::YieldOp::create(b, loc, ValueRange{acc});
      }
      ss = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                       partial.getResult(0));
    }
    if (chunks * kElementLanes < shape[1]) {
      auto rest =
          scf::ForOp::create(b, loc, ctx.index(chunks * kElementLanes),
                             ctx.index(shape[1]), ctx.index(1), ValueRange{ss});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(rest.getBody());
      Value x = memref::LoadOp::create(b, loc, in,
                                       ValueRange{t, rest.getInductionVar()});
      Value acc = arith::AddFOp::create(b, loc, rest.getRegionIterArg(0),
                                        arith::MulFOp::create(b, loc, x, x));
      scf::YieldOp::create(b, loc, ValueRange{acc});
      b.setInsertionPointAfter(rest);
      ss = rest.getResult(0);
    }
    // r = 1 / sqrt(ss / dim + eps)
    ss = arith::DivFOp::create(b, loc, ss,
                               ctx.f32(static_cast<float>(shape[1])));
    ss = arith::AddFOp::create(b, loc, ss,
                               ctx.f32(op.getEps().convertToFloat()));
    Value r = arith::DivFOp::create(b, loc, ctx.f32(1.0f),
                                    math::SqrtOp::create(b, loc, ss));
    ctx.forLoop(0, shape[1], [&](Value d) {
      Value x = memref::LoadOp::create(b, loc, in, ValueRange{t, d});
      Value w = ctx.loadWeightElement(weight, zeroIdx, d);
      Value y =
          arith::MulFOp::create(b, loc, w, arith::MulFOp::create(b, loc, r, x));
      memref::StoreOp::create(b, loc, y, out, ValueRange{t, d});
    });
  });
}

void llmc::lowering::emitLayerNorm(EmitContext &ctx, llm::LayerNormOp op,
                                   Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  const DeviceWeight &weight = ctx.weight(op.getWeightAttr());
  std::optional<DeviceWeight> bias;
  if (FlatSymbolRefAttr sym = op.getBiasAttr())
    bias = ctx.weight(sym);
  Value in = ctx.buffer(op.getInput());
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  Value zeroIdx = ctx.index(0);
  Value n = ctx.f32(static_cast<float>(shape[1]));
  ctx.parallelFor(shape[0], 5 * shape[1], [&](Value t) {
    auto load = [&](Value d) -> Value {
      return memref::LoadOp::create(b, loc, in, ValueRange{t, d});
    };
    // mean = sum(x) / dim; var = sum((x - mean)^2) / dim (two passes, as
    // PyTorch computes it, not E[x^2] - mean^2 which cancels).
    Value mean =
        arith::DivFOp::create(b, loc, emitRowSum(ctx, shape[1], load), n);
    Value ss = emitRowSum(ctx, shape[1], [&](Value d) -> Value {
      Value c = arith::SubFOp::create(b, loc, load(d), mean);
      return arith::MulFOp::create(b, loc, c, c);
    });
    Value var = arith::DivFOp::create(b, loc, ss, n);
    // r = 1 / sqrt(var + eps)
    Value r = arith::DivFOp::create(
        b, loc, ctx.f32(1.0f),
        math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, var,
                                  ctx.f32(op.getEps().convertToFloat()))));
    ctx.forLoop(0, shape[1], [&](Value d) {
      Value c = arith::SubFOp::create(b, loc, load(d), mean);
      Value w = ctx.loadWeightElement(weight, zeroIdx, d);
      Value y =
          arith::MulFOp::create(b, loc, w, arith::MulFOp::create(b, loc, c, r));
      if (bias)
        y = arith::AddFOp::create(b, loc, y,
                                  ctx.loadWeightElement(*bias, zeroIdx, d));
      memref::StoreOp::create(b, loc, y, out, ValueRange{t, d});
    });
  });
}

/// The cosines and sines of the RoPE angles (pos + t) * theta^(-2i /
/// head_dim) of rows t < `rows`, pairs i < head_dim / 2: two
/// memref<rows x head_dim/2 x f32>, computed (as llama2.c does, with libm's
/// powf, cosf and sinf) the first time an op of the function asks for them
/// and reused by the later ones in the same block.
static std::pair<Value, Value> ropeTable(EmitContext &ctx, int64_t rows,
                                         int64_t headDim, float theta) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto key = std::make_tuple(rows, headDim, llvm::bit_cast<uint32_t>(theta));
  auto found = ctx.ropeTables.find(key);
  if (found != ctx.ropeTables.end() &&
      found->second.first.getParentBlock() == b.getInsertionBlock())
    return found->second;
  int64_t half = headDim / 2;
  Type f32 = b.getF32Type();
  auto type = MemRefType::get({rows, half}, f32);
  Value cosines = ctx.allocPersistent(type);
  Value sines = ctx.allocPersistent(type);
  ctx.forLoop(0, rows, [&](Value t) {
    Value p = arith::AddIOp::create(b, loc, ctx.pos, t);
    Value pf = arith::UIToFPOp::create(
        b, loc, f32, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), p));
    ctx.forLoop(0, half, [&](Value i) {
      // freq = 1 / theta^(2i / head_dim); angle = pos * freq
      Value twoI = arith::MulIOp::create(b, loc, i, ctx.index(2));
      Value exponent = arith::DivFOp::create(
          b, loc,
          arith::UIToFPOp::create(
              b, loc, f32,
              arith::IndexCastUIOp::create(b, loc, b.getI64Type(), twoI)),
          ctx.f32(static_cast<float>(headDim)));
      Value freq = arith::DivFOp::create(
          b, loc, ctx.f32(1.0f),
          math::PowFOp::create(b, loc, ctx.f32(theta), exponent));
      Value angle = arith::MulFOp::create(b, loc, pf, freq);
      memref::StoreOp::create(b, loc, math::CosOp::create(b, loc, angle),
                              cosines, ValueRange{t, i});
      memref::StoreOp::create(b, loc, math::SinOp::create(b, loc, angle), sines,
                              ValueRange{t, i});
    });
  });
  ctx.ropeTables[key] = {cosines, sines};
  return {cosines, sines};
}

void llmc::lowering::emitRope(EmitContext &ctx, llm::RopeOp op, Value out) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value in = ctx.buffer(op.getInput());
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  int64_t headDim = op.getHeadDim();
  int64_t half = headDim / 2;
  bool adjacent = op.getStyle() == llm::RopeStyle::adjacent;
  std::pair<Value, Value> table =
      ropeTable(ctx, shape[0], headDim, op.getTheta().convertToFloat());
  Value cosines = table.first, sines = table.second;
  // Per row and head: the pairs in vectors of `lanes` (the largest power
  // of two up to 16 dividing head_dim / 2), read with contiguous loads (the
  // adjacent style's even and odd elements split and merged again by
  // shuffles). Each pair gets r0 = v0 c - v1 s, r1 = v0 s + v1 c, as
  // scalars would; the same operations on every target.
  int64_t lanes = 1;
  while (lanes < 16 && half % (2 * lanes) == 0)
    lanes *= 2;
  auto vec = VectorType::get({lanes}, b.getF32Type());
  auto pairVec = VectorType::get({2 * lanes}, b.getF32Type());
  SmallVector<int64_t> even, odd, merged;
  for (int64_t j = 0; j < lanes; ++j) {
    even.push_back(2 * j);
    odd.push_back(2 * j + 1);
    merged.append({j, lanes + j});
  }
  // Per row: a rotation (6 flops) per pair of each head.
  ctx.parallelFor(shape[0], 6 * shape[1], [&](Value t) {
    ctx.forLoop(0, op.getHeads(), [&](Value h) {
      Value base = arith::MulIOp::create(b, loc, h, ctx.index(headDim));
      ctx.forLoop(ctx.index(0), ctx.index(half), lanes, [&](Value i) {
        Value c =
            vector::LoadOp::create(b, loc, vec, cosines, ValueRange{t, i});
        Value sn = vector::LoadOp::create(b, loc, vec, sines, ValueRange{t, i});
        Value v0, v1, ia, ib;
        if (adjacent) {
          ia = arith::AddIOp::create(
              b, loc, base, arith::MulIOp::create(b, loc, i, ctx.index(2)));
          Value both =
              vector::LoadOp::create(b, loc, pairVec, in, ValueRange{t, ia});
          v0 = vector::ShuffleOp::create(b, loc, both, both, even);
          v1 = vector::ShuffleOp::create(b, loc, both, both, odd);
        } else {
          ia = arith::AddIOp::create(b, loc, base, i);
          ib = arith::AddIOp::create(b, loc, ia, ctx.index(half));
          v0 = vector::LoadOp::create(b, loc, vec, in, ValueRange{t, ia});
          v1 = vector::LoadOp::create(b, loc, vec, in, ValueRange{t, ib});
        }
        Value r0 =
            arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, v0, c),
                                  arith::MulFOp::create(b, loc, v1, sn));
        Value r1 =
            arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, v0, sn),
                                  arith::MulFOp::create(b, loc, v1, c));
        if (adjacent) {
          vector::StoreOp::create(
              b, loc, vector::ShuffleOp::create(b, loc, r0, r1, merged), out,
              ValueRange{t, ia});
          return;
        }
        vector::StoreOp::create(b, loc, r0, out, ValueRange{t, ia});
        vector::StoreOp::create(b, loc, r1, out, ValueRange{t, ib});
      });
    });
  });
}

/// Emits `activation(x)` for an f32 scalar or vector `x` (the same
/// operations per element either way).
Value llmc::lowering::emitActivation(EmitContext &ctx,
                                     llm::Activation activation, Value x) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto c = [&](float v) -> Value {
    Value scalar = ctx.f32(v);
    if (auto type = dyn_cast<VectorType>(x.getType()))
      return vector::BroadcastOp::create(b, loc, type, scalar);
    return scalar;
  };
  switch (activation) {
  case llm::Activation::silu: {
    // silu(x) = x * (1 / (1 + exp(-x)))
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value sig = arith::DivFOp::create(
        b, loc, c(1.0f), arith::AddFOp::create(b, loc, c(1.0f), e));
    return arith::MulFOp::create(b, loc, x, sig);
  }
  case llm::Activation::gelu_erf: {
    // gelu(x) = 0.5 x (1 + erf(x / sqrt(2)))
    Value scaled = arith::MulFOp::create(b, loc, x, c(0.70710678f));
    Value erf = math::ErfOp::create(b, loc, scaled);
    return arith::MulFOp::create(b, loc,
                                 arith::MulFOp::create(b, loc, c(0.5f), x),
                                 arith::AddFOp::create(b, loc, c(1.0f), erf));
  }
  case llm::Activation::gelu_tanh: {
    // gelu_new(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    Value x3 =
        arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value inner = arith::MulFOp::create(
        b, loc, c(0.7978845608f),
        arith::AddFOp::create(b, loc, x,
                              arith::MulFOp::create(b, loc, c(0.044715f), x3)));
    Value th = math::TanhOp::create(b, loc, inner);
    return arith::MulFOp::create(b, loc,
                                 arith::MulFOp::create(b, loc, c(0.5f), x),
                                 arith::AddFOp::create(b, loc, c(1.0f), th));
  }
  case llm::Activation::relu:
    // relu(x) = max(x, 0), NaN propagating.
    return arith::MaximumFOp::create(b, loc, x, c(0.0f));
  }
  llvm_unreachable("unknown activation");
}

/// Emits `f` over every element of a rows x cols result: rows split over
/// the threads (prefill), columns kElementLanes at a time as vectors, then
/// the remaining columns as scalars. `f` gets the row, the first column
/// and the value type (vector or f32) and stores its results itself.
static void forEachElement(EmitContext &ctx, ArrayRef<int64_t> shape,
                           int64_t workPerElement,
                           function_ref<void(Value, Value, Type)> f) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  auto vecType = VectorType::get({kElementLanes}, f32);
  int64_t chunks = shape[1] / kElementLanes;
  ctx.parallelFor(shape[0], shape[1] * workPerElement, [&](Value t) {
    if (chunks > 0)
      ctx.forLoop(0, chunks, [&](Value chunk) {
        f(t, arith::MulIOp::create(b, loc, chunk, ctx.index(kElementLanes)),
          vecType);
      });
    ctx.forLoop(chunks * kElementLanes, shape[1],
                [&](Value j) { f(t, j, f32); });
  });
}

/// Loads a vector or scalar of `type` at (t, j) of `buffer`.
static Value loadAt(EmitContext &ctx, Value buffer, Value t, Value j,
                    Type type) {
  if (auto vec = dyn_cast<VectorType>(type))
    return vector::LoadOp::create(ctx.b, ctx.loc, vec, buffer,
                                  ValueRange{t, j});
  return memref::LoadOp::create(ctx.b, ctx.loc, buffer, ValueRange{t, j});
}

static void storeAt(EmitContext &ctx, Value v, Value buffer, Value t, Value j) {
  if (isa<VectorType>(v.getType()))
    vector::StoreOp::create(ctx.b, ctx.loc, v, buffer, ValueRange{t, j});
  else
    memref::StoreOp::create(ctx.b, ctx.loc, v, buffer, ValueRange{t, j});
}

/// Rough cost of an activation per element, for the threading threshold.
static int64_t activationWork(llm::Activation activation) {
  return activation == llm::Activation::relu ? 1 : 16;
}

void llmc::lowering::emitAct(EmitContext &ctx, llm::ActOp op, Value out) {
  Value in = ctx.buffer(op.getInput());
  forEachElement(
      ctx, shapeOf(op.getInput()), activationWork(op.getActivation()),
      [&](Value t, Value j, Type type) {
        Value x = loadAt(ctx, in, t, j, type);
        storeAt(ctx, emitActivation(ctx, op.getActivation(), x), out, t, j);
      });
}

void llmc::lowering::emitGatedAct(EmitContext &ctx, llm::GatedActOp op,
                                  Value out) {
  Value gate = ctx.buffer(op.getGate());
  Value up = ctx.buffer(op.getUp());
  forEachElement(
      ctx, shapeOf(op.getGate()), activationWork(op.getActivation()) + 1,
      [&](Value t, Value j, Type type) {
        Value g = loadAt(ctx, gate, t, j, type);
        Value u = loadAt(ctx, up, t, j, type);
        Value act = emitActivation(ctx, op.getActivation(), g);
        storeAt(ctx, arith::MulFOp::create(ctx.b, ctx.loc, act, u), out, t, j);
      });
}

void llmc::lowering::emitAdd(EmitContext &ctx, llm::AddOp op, Value out) {
  Value lhs = ctx.buffer(op.getLhs());
  Value rhs = ctx.buffer(op.getRhs());
  forEachElement(
      ctx, shapeOf(op.getLhs()), 1, [&](Value t, Value j, Type type) {
        Value x = loadAt(ctx, lhs, t, j, type);
        Value y = loadAt(ctx, rhs, t, j, type);
        storeAt(ctx, arith::AddFOp::create(ctx.b, ctx.loc, x, y), out, t, j);
      });
}
