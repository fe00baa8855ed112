//===- ApproximateMath.cpp - Polynomial exp for every target ----*- C++ -*-===//
//
// Implements llmc-approximate-math: every f32 math.exp (scalar or vector)
// becomes
//
//   x  = clamp(x, -87.33, 88.0)               NaN stays NaN
//   t  = fma(x, log2(e), 1.5 * 2^23)          rounds x * log2(e) to n
//   n  = bits(t) - bits(1.5 * 2^23),  nf = t - 1.5 * 2^23   (exact)
//   r  = x - nf * ln2                         in two fma steps (Cody-Waite)
//   y  = 1 + r + r^2 * P(r)                   degree-5 polynomial, fma
//   exp(x) ~= y * bits((n + 127) << 23)
//
// (the single-precision exp of Cephes, within 1 ulp on the clamped range;
// exp below -87.33 is a normal number near 2^-126 instead of a denormal or
// zero, and above 88 it saturates near 1.65e38 instead of +inf).
//
// Only basic IEEE operations with explicit fused multiply-adds, integer
// adds and shifts: no libm call, so vectors stay in registers and every
// target computes the same bits. No float-to-int conversion with a rounding
// mode either (the 1.5 * 2^23 addition rounds), which qemu 7.2's RISC-V
// vector translation gets wrong.
//
//===----------------------------------------------------------------------===//

#include "llmc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace llmc {
#define GEN_PASS_DEF_LLMCAPPROXIMATEMATHPASS
#include "llmc/Conversion/Passes.h.inc"
} // namespace llmc

using namespace mlir;

namespace {
struct ExpApproximation : public OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
    auto vector = dyn_cast<VectorType>(type);
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    Type intType = vector ? Type(vector.clone(i32)) : i32;
    auto f = [&](float v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, type,
          vector ? TypedAttr(DenseElementsAttr::get(
                       vector, rewriter.getF32FloatAttr(v)))
                 : TypedAttr(rewriter.getF32FloatAttr(v)));
    };
    auto i = [&](int32_t v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, intType,
          vector
              ? TypedAttr(DenseElementsAttr::get(cast<VectorType>(intType),
                                                 rewriter.getI32IntegerAttr(v)))
              : TypedAttr(rewriter.getI32IntegerAttr(v)));
    };
    auto fma = [&](Value a, Value b, Value c) -> Value {
      return math::FmaOp::create(rewriter, loc, a, b, c);
    };
    // clamp(x, lo, hi) with unordered compares: NaN passes through.
    auto clamp = [&](Value x, float lo, float hi) -> Value {
      Value aboveLo = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::UGE, x, f(lo));
      x = arith::SelectOp::create(rewriter, loc, aboveLo, x, f(lo));
      Value belowHi = arith::CmpFOp::create(
          rewriter, loc, arith::CmpFPredicate::ULE, x, f(hi));
      return arith::SelectOp::create(rewriter, loc, belowHi, x, f(hi));
    };
    constexpr float kMagic = 12582912.0f; // 1.5 * 2^23
    constexpr int32_t kMagicBits = 0x4B400000;
    Value x = clamp(op.getOperand(), -87.33654f, 88.0f);
    Value t = fma(x, f(1.44269504088896341f), f(kMagic));
    Value nf = arith::SubFOp::create(rewriter, loc, t, f(kMagic));
    Value n = arith::SubIOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, intType, t),
        i(kMagicBits));
    Value r = fma(nf, f(-0.693359375f), x);
    r = fma(nf, f(2.12194440e-4f), r);
    Value p = f(1.9875691500e-4f);
    for (float c : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                    1.6666665459e-1f, 5.0000001201e-1f})
      p = fma(p, r, f(c));
    Value r2 = arith::MulFOp::create(rewriter, loc, r, r);
    Value y = arith::AddFOp::create(rewriter, loc, fma(p, r2, r), f(1.0f));
    Value scale = arith::BitcastOp::create(
        rewriter, loc, type,
        arith::ShLIOp::create(rewriter, loc,
                              arith::AddIOp::create(rewriter, loc, n, i(127)),
                              i(23)));
    rewriter.replaceOpWithNewOp<arith::MulFOp>(op, y, scale);
    return success();
  }
};

struct LLMCApproximateMathPass
    : public llmc::impl::LLMCApproximateMathPassBase<LLMCApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpApproximation>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
