//===- EmitSparseLinear.cpp - Linears with 2:4 sparse weights ---*- C++ -*-===//
//
// Matrix-vector (and prefill matrix-matrix) products with 2:4 sparse int8 /
// int4 weights (DeviceLayout.h, "2:4 sparse weights"): half of the quants
// are read, with 2-bit positions. Each 32-input block's exact integer dot
// product is computed from the kept values only, then scaled and
// accumulated exactly as the dense integer kernels do (EmitLinear.cpp), so
// a sparse weight gives the same bits as the same zeros stored densely.
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
/// Slot (position in a pair's 32 kept values) of kept value `kept` (0..15)
/// of block A (`second` = false) or B of the pair.
int64_t slotOf(int64_t kept, bool second) {
  return 16 * (kept / 8) + kept % 8 + (second ? 8 : 0);
}

/// The kernels' view of one sparse weight row: per block pair, the signed
/// kept quants in slot order and what the x86 gather or the portable
/// expansion needs.
class SparseRowKernel {
public:
  SparseRowKernel(EmitContext &ctx, const DeviceWeight &w,
                  const QuantizedRows &xq, Value n)
      : ctx(ctx), b(ctx.b), loc(ctx.loc), w(w), xq(xq), n(n) {
    Type i8 = b.getI8Type();
    int64_t pairs = getSparsePairs(w.cols);
    index = ctx.weightView(w.offset + w.packing.indexOffset,
                           MemRefType::get({w.rows, pairs}, b.getI64Type()));
    int64_t valueCols = pairs * (w.format.kind == DeviceFormat::Int8 ? 32 : 16);
    values = ctx.weightView(w.offset + w.packing.dataOffset,
                            MemRefType::get({w.rows, valueCols}, i8));
    // The x86 byte shuffle gathers inputs within 128-bit lanes.
    gather = !ctx.x86DotIntrinsic.empty() || ctx.avx2Dot;
  }

  /// Appends to `lanes[r]` the lane vectors (emitBlockLanes) of the blocks
  /// of pair `pair` (block 2 * pair, and 2 * pair + 1 if `second`) for each
  /// input row.
  void emitPair(Value pair, bool second, ArrayRef<Value> rows,
                SmallVectorImpl<SmallVector<Value>> &lanes);

private:
  Value bytes(ArrayRef<int8_t> v) {
    auto type =
        VectorType::get({static_cast<int64_t>(v.size())}, b.getI8Type());
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, v));
  }
  Value splatBytes(int8_t v) { return bytes(SmallVector<int8_t>(32, v)); }
  /// The kept quants of a pair as signed bytes (vector<32xi8>, slot order).
  Value loadKept(Value pair);
  /// The 2-bit position codes of a pair, one per slot (vector<32xi8>).
  Value loadCodes(Value pair);
  /// Row `t`'s 32 quantized inputs of block `blk`.
  Value loadInputs(Value t, Value blk) {
    Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
    return vector::LoadOp::create(b, loc, VectorType::get({32}, b.getI8Type()),
                                  xq.q, ValueRange{t, col});
  }
  /// The dense 32 weights of block A or B: slot values moved to the
  /// inputs their codes name, zeros elsewhere (static shuffles, compares
  /// and selects: every target).
  Value expandBlock(Value kept, Value codes, bool second);

  EmitContext &ctx;
  OpBuilder &b;
  Location loc;
  const DeviceWeight &w;
  const QuantizedRows &xq;
  Value n, index, values;
  bool gather = false;
};

Value SparseRowKernel::loadKept(Value pair) {
  Type i8 = b.getI8Type();
  if (w.format.kind == DeviceFormat::Int8) {
    Value col = arith::MulIOp::create(b, loc, pair, ctx.index(32));
    return vector::LoadOp::create(b, loc, VectorType::get({32}, i8), values,
                                  ValueRange{n, col});
  }
  // Byte i holds slot i (low nibble) and slot i + 16 (high), as q + 8.
  auto bytes16 = VectorType::get({16}, i8);
  Value col = arith::MulIOp::create(b, loc, pair, ctx.index(16));
  Value packed =
      vector::LoadOp::create(b, loc, bytes16, values, ValueRange{n, col});
  Value lo =
      arith::AndIOp::create(b, loc, packed, bytes(SmallVector<int8_t>(16, 15)));
  Value hi =
      arith::ShRUIOp::create(b, loc, packed, bytes(SmallVector<int8_t>(16, 4)));
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < 32; ++i)
    concat.push_back(i);
  Value nibbles = vector::ShuffleOp::create(b, loc, lo, hi, concat);
  return arith::SubIOp::create(b, loc, nibbles, splatBytes(8));
}

Value SparseRowKernel::loadCodes(Value pair) {
  // Slot j's code is in byte j % 8, bits 2 * (j / 8): broadcast the 64
  // bits to four quarters, shift quarter q right by 2q and keep 2 bits.
  Type i64 = b.getI64Type();
  Value packed = memref::LoadOp::create(b, loc, index, ValueRange{n, pair});
  auto quarters = VectorType::get({4}, i64);
  Value wide = vector::BroadcastOp::create(b, loc, quarters, packed);
  Value shifts = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(quarters, ArrayRef<int64_t>{0, 2, 4, 6}));
  Value shifted = arith::ShRUIOp::create(b, loc, wide, shifts);
  Value slots = vector::BitCastOp::create(
      b, loc, VectorType::get({32}, b.getI8Type()), shifted);
  return arith::AndIOp::create(b, loc, slots, splatBytes(3));
}

Value SparseRowKernel::expandBlock(Value kept, Value codes, bool second) {
  SmallVector<int64_t> first, other;
  SmallVector<int8_t> position;
  for (int64_t p = 0; p < 32; ++p) {
    first.push_back(slotOf(2 * (p / 4), second));
    other.push_back(slotOf(2 * (p / 4) + 1, second));
    position.push_back(static_cast<int8_t>(p % 4));
  }
  Value pos = bytes(position);
  auto pick = [&](ArrayRef<int64_t> slots, Value rest) -> Value {
    Value value = vector::ShuffleOp::create(b, loc, kept, kept, slots);
    Value code = vector::ShuffleOp::create(b, loc, codes, codes, slots);
    Value here =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, pos);
    return arith::SelectOp::create(b, loc, here, value, rest);
  };
  return pick(first, pick(other, splatBytes(0)));
}

void SparseRowKernel::emitPair(Value pair, bool second, ArrayRef<Value> rows,
                               SmallVectorImpl<SmallVector<Value>> &lanes) {
  Value kept = loadKept(pair);
  Value codes = loadCodes(pair);
  Value blockA = arith::MulIOp::create(b, loc, pair, ctx.index(2));
  Value blockB = arith::AddIOp::create(b, loc, blockA, ctx.index(1));
  int64_t correction = 0;
  auto blockLanes = [&](Value weights, Value inputs) {
    BlockQuants wq;
    wq.q = weights;
    Value l = emitBlockLanes(ctx, wq, inputs, correction);
    assert(correction == 0 && "signed quants need no correction");
    return l;
  };
  if (gather) {
    // Shuffle indices within each 16-byte lane: slot j reads input
    // 4 * ((j % 8) / 2) + code of its block's lane half; bit 7 zeros the
    // slots of the other block. The weights stay in slot order and the
    // gathered inputs line up with them: a dense dot of the kept values.
    SmallVector<int8_t> baseA, baseB;
    for (int64_t j = 0; j < 32; ++j) {
      int64_t i = j % 16;
      int8_t base = static_cast<int8_t>(4 * ((i % 8) / 2));
      baseA.push_back(i < 8 ? base : static_cast<int8_t>(-128));
      baseB.push_back(i < 8 ? static_cast<int8_t>(-128) : base);
    }
    Value indexA = arith::OrIOp::create(b, loc, codes, bytes(baseA));
    Value indexB = arith::OrIOp::create(b, loc, codes, bytes(baseB));
    auto shuffle = [&](Value inputs, Value indices) -> Value {
      return LLVM::CallIntrinsicOp::create(
                 b, loc, inputs.getType(),
                 b.getStringAttr("llvm.x86.avx2.pshuf.b"),
                 ValueRange{inputs, indices})
          .getResult(0);
    };
    for (auto [r, t] : llvm::enumerate(rows)) {
      lanes[r].push_back(
          blockLanes(kept, shuffle(loadInputs(t, blockA), indexA)));
      if (second)
        lanes[r].push_back(
            blockLanes(kept, shuffle(loadInputs(t, blockB), indexB)));
    }
    return;
  }
  Value denseA = expandBlock(kept, codes, /*second=*/false);
  Value denseB = second ? expandBlock(kept, codes, /*second=*/true) : Value();
  for (auto [r, t] : llvm::enumerate(rows)) {
    lanes[r].push_back(blockLanes(denseA, loadInputs(t, blockA)));
    if (second)
      lanes[r].push_back(blockLanes(denseB, loadInputs(t, blockB)));
  }
}
} // namespace

SmallVector<Value> llmc::lowering::emitSparseDotRows(EmitContext &ctx,
                                                     const DeviceWeight &w,
                                                     const QuantizedRows &xq,
                                                     ArrayRef<Value> rows,
                                                     Value n) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  Type i32 = b.getI32Type();
  int64_t blocks = w.cols / 32;
  int64_t groups = w.cols / w.format.group;
  int64_t blocksPerGroup = w.format.group / 32;
  Value scales = ctx.weightView(w.offset + w.packing.scalesOffset,
                                MemRefType::get({w.rows, groups}, f32));
  auto vecF = VectorType::get({kDotBlocks}, f32);
  auto vecI = VectorType::get({kDotBlocks}, i32);
  SparseRowKernel kernel(ctx, w, xq, n);
  // The f32 order is that of the dense kernel the same weight would get, so
  // that sparse and dense builds of the same zeros agree bit for bit: the
  // interleaved kernel adds the scaled blocks one by one into one sum per
  // row, the row kernel keeps kDotBlocks partial sums reduced at the end.
  DeviceFormat denseFormat = w.format;
  denseFormat.sparse = false;
  bool blockOrder = canInterleave(denseFormat, w.rows, w.cols);

  // Per-block values of blocks [first, first + count) as a vector (zero
  // beyond count), as the dense kernels build them.
  auto perBlock = [&](Value first, int64_t count, Value table, Value row,
                      bool contiguous, function_ref<Value(Value)> column) {
    if (count == kDotBlocks && contiguous)
      return Value(
          vector::LoadOp::create(b, loc, vecF, table, ValueRange{row, first}));
    Value v = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecF, b.getF32FloatAttr(0)));
    for (int64_t j = 0; j < count; ++j) {
      Value blk = arith::AddIOp::create(b, loc, first, ctx.index(j));
      v = vector::InsertOp::create(
          b, loc,
          memref::LoadOp::create(b, loc, table, ValueRange{row, column(blk)}),
          v, j);
    }
    return v;
  };
  auto groupOf = [&](Value blk) -> Value {
    if (blocksPerGroup == 1)
      return blk;
    return arith::DivUIOp::create(b, loc, blk, ctx.index(blocksPerGroup));
  };
  auto identity = [](Value blk) { return blk; };

  // Adds blocks [first, first + count) (first even) to each row's
  // accumulator: the same integer block sums, scales and fused
  // multiply-adds as emitIntegerDotRows.
  auto chunk = [&](Value first, int64_t count, ValueRange accIn) {
    SmallVector<SmallVector<Value>> lanes(rows.size());
    Value firstPair = arith::DivUIOp::create(b, loc, first, ctx.index(2));
    for (int64_t j = 0; 2 * j < count; ++j)
      kernel.emitPair(arith::AddIOp::create(b, loc, firstPair, ctx.index(j)),
                      2 * j + 1 < count, rows, lanes);
    Value wScale =
        perBlock(first, count, scales, n, blocksPerGroup == 1, groupOf);
    SmallVector<Value> accOut;
    for (auto [r, t] : llvm::enumerate(rows)) {
      SmallVector<Value> rowLanes = lanes[r];
      while (static_cast<int64_t>(rowLanes.size()) < kDotBlocks)
        rowLanes.push_back(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vecI, b.getI32IntegerAttr(0))));
      Value dots = emitLaneTotals(ctx, rowLanes);
      Value dx = perBlock(first, count, xq.d, t, true, identity);
      Value scale = arith::MulFOp::create(b, loc, wScale, dx);
      Value dotsF = arith::SIToFPOp::create(b, loc, vecF, dots);
      if (!blockOrder) {
        accOut.push_back(math::FmaOp::create(b, loc, dotsF, scale, accIn[r]));
        continue;
      }
      Value acc = accIn[r];
      for (int64_t j = 0; j < count; ++j)
        acc = math::FmaOp::create(
            b, loc, vector::ExtractOp::create(b, loc, dotsF, j),
            vector::ExtractOp::create(b, loc, scale, j), acc);
      accOut.push_back(acc);
    }
    return accOut;
  };

  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vecF, b.getF32FloatAttr(0)));
  SmallVector<Value> accs = emitBlockChunks(
      ctx, blocks,
      SmallVector<Value>(rows.size(), blockOrder ? ctx.f32(0.0f) : zero),
      chunk);
  SmallVector<Value> result;
  if (blockOrder)
    return accs;
  for (Value acc : accs)
    result.push_back(
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc));
  return result;
}

//===----------------------------------------------------------------------===//
// Interleaved 2:4 sparse blocks (x86 VNNI): 16 rows per vector
//===----------------------------------------------------------------------===//
//
// Per row group and 32-input block, each kept-slot word holds 4 kept quants
// of each of the 16 rows (signed bytes). Their inputs lie in one 8-input
// window of the block, so a byte shuffle inside 128-bit lanes of the
// block's 16-input half, broadcast to every lane, gathers each row's 4
// inputs; one vpdpbusd then multiplies them (as unsigned bytes x + 128)
// with the quants: half the multiplies of the dense kernel and about 70%
// (int8) of its bytes. The sums of the kept quants undo the shift by 128.

namespace {
constexpr int64_t kSparseLanes = kInterleaveRows;

Value laneConstant(OpBuilder &b, Location loc, VectorType type, int64_t v) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getIntegerAttr(type.getElementType(), v)));
}

/// An x86 intrinsic on 512-bit vectors, or on their two 256-bit halves if
/// the target has only the 256-bit form; `args` and the result are split
/// and joined alike.
Value callX86(EmitContext &ctx, StringRef wide, StringRef narrow, Type type,
              ValueRange args) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto call = [&](StringRef name, Type t, ValueRange a) -> Value {
    return LLVM::CallIntrinsicOp::create(b, loc, t, b.getStringAttr(name), a)
        .getResult(0);
  };
  if (!ctx.x86WideDotIntrinsic.empty())
    return call(wide, type, args);
  auto half = [&](Value v, int64_t part) -> Value {
    int64_t size = cast<VectorType>(v.getType()).getNumElements() / 2;
    return vector::ExtractStridedSliceOp::create(
        b, loc, v, ArrayRef<int64_t>{part * size}, ArrayRef<int64_t>{size},
        ArrayRef<int64_t>{1});
  };
  auto vecType = cast<VectorType>(type);
  auto halfType =
      VectorType::get({vecType.getNumElements() / 2}, vecType.getElementType());
  Value parts[2];
  for (int64_t part = 0; part < 2; ++part) {
    SmallVector<Value> halves;
    for (Value a : args)
      halves.push_back(half(a, part));
    parts[part] = call(narrow, halfType, halves);
  }
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < vecType.getNumElements(); ++i)
    concat.push_back(i);
  return vector::ShuffleOp::create(b, loc, parts[0], parts[1], concat);
}
} // namespace

SparseLaneArrays llmc::lowering::sparseLaneArrays(EmitContext &ctx,
                                                  const DeviceWeight &w) {
  OpBuilder &b = ctx.b;
  int64_t items = w.rows / kSparseLanes * (w.cols / 32);
  SparseLaneArrays r;
  r.words = w.format.kind == DeviceFormat::Int8 ? 4 : 2;
  r.values = ctx.weightView(
      w.offset + w.packing.dataOffset,
      MemRefType::get({items * r.words, 4 * kSparseLanes}, b.getI8Type()));
  r.index =
      ctx.weightView(w.offset + w.packing.indexOffset,
                     MemRefType::get({items, kSparseLanes}, b.getI32Type()));
  r.sums =
      ctx.weightView(w.offset + w.packing.sumsOffset,
                     MemRefType::get({items, kSparseLanes}, b.getI16Type()));
  return r;
}

SparseLaneBlock llmc::lowering::loadSparseLaneBlock(EmitContext &ctx,
                                                    const DeviceWeight &w,
                                                    Value rg, Value blk) {
  assert(!ctx.x86DotIntrinsic.empty() && w.format.sparse &&
         w.packing.interleave == kSparseLanes &&
         "interleaved 2:4 sparse weights have only the x86 VNNI kernel");
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  bool int8 = w.format.kind == DeviceFormat::Int8;
  int64_t blocks = w.cols / 32;
  auto bytes = VectorType::get({4 * kSparseLanes}, i8);
  auto lanes = VectorType::get({kSparseLanes}, i32);
  Value item = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, rg, ctx.index(blocks)), blk);
  SparseLaneBlock r;

  // Shuffle indices of word j: byte s of a row reads input
  // 8 * (j % 2) + 4 * (s / 2) + code of the block's half j / 2; the code
  // is in bits 2j of byte s of the row's index word.
  SparseLaneArrays arrays = sparseLaneArrays(ctx, w);
  Value codes = vector::LoadOp::create(b, loc, lanes, arrays.index,
                                       ValueRange{item, ctx.index(0)});
  for (int64_t j = 0; j < 4; ++j) {
    Value c = codes;
    if (j)
      c = arith::ShRUIOp::create(b, loc, c, laneConstant(b, loc, lanes, 2 * j));
    int64_t lo = 8 * (j % 2), hi = lo + 4;
    int64_t base = lo | lo << 8 | hi << 16 | hi << 24;
    c = arith::OrIOp::create(
        b, loc,
        arith::AndIOp::create(b, loc, c,
                              laneConstant(b, loc, lanes, 0x03030303)),
        laneConstant(b, loc, lanes, base));
    r.indices.push_back(vector::BitCastOp::create(b, loc, bytes, c));
  }

  // -128 * the sum of each row's kept quants.
  Type sumType = b.getI16Type();
  Value sum =
      vector::LoadOp::create(b, loc, VectorType::get({kSparseLanes}, sumType),
                             arrays.sums, ValueRange{item, ctx.index(0)});
  r.correction =
      arith::ShLIOp::create(b, loc, arith::ExtSIOp::create(b, loc, lanes, sum),
                            laneConstant(b, loc, lanes, 7));

  // The kept quants as signed bytes; int4 words 0, 1 are the low nibbles
  // of the packed words, 2, 3 the high ones (q + 8).
  int64_t words = arrays.words;
  Value values = arrays.values;
  Value first = arith::MulIOp::create(b, loc, item, ctx.index(words));
  SmallVector<Value> packed;
  for (int64_t j = 0; j < words; ++j)
    packed.push_back(vector::LoadOp::create(
        b, loc, bytes, values,
        ValueRange{arith::AddIOp::create(b, loc, first, ctx.index(j)),
                   ctx.index(0)}));
  if (int8) {
    r.words = packed;
    return r;
  }
  for (Value p : packed)
    r.words.push_back(arith::SubIOp::create(
        b, loc,
        arith::AndIOp::create(b, loc, p, laneConstant(b, loc, bytes, 15)),
        laneConstant(b, loc, bytes, 8)));
  for (Value p : packed)
    r.words.push_back(arith::SubIOp::create(
        b, loc,
        arith::ShRUIOp::create(b, loc, p, laneConstant(b, loc, bytes, 4)),
        laneConstant(b, loc, bytes, 8)));
  return r;
}

Value llmc::lowering::emitSparseLaneDots(EmitContext &ctx,
                                         const SparseLaneBlock &block,
                                         const QuantizedRows &xq, Value t,
                                         Value blk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto bytes = VectorType::get({4 * kSparseLanes}, i8);
  auto lanes = VectorType::get({kSparseLanes}, i32);
  Value col = arith::MulIOp::create(b, loc, blk, ctx.index(32));
  // Each 16-input half of the block as unsigned bytes (x + 128) in every
  // 128-bit lane.
  Value halves[2];
  SmallVector<int64_t> broadcast;
  for (int64_t i = 0; i < 4 * kSparseLanes; ++i)
    broadcast.push_back(i % 16);
  for (int64_t h = 0; h < 2; ++h) {
    Value x = vector::LoadOp::create(
        b, loc, VectorType::get({16}, i8), xq.shifted,
        ValueRange{t, arith::AddIOp::create(b, loc, col, ctx.index(16 * h))});
    halves[h] = vector::ShuffleOp::create(b, loc, x, x, broadcast);
  }
  // One chain starts from the correction: the total is exact either way.
  Value chains[2] = {block.correction, laneConstant(b, loc, lanes, 0)};
  for (int64_t j = 0; j < 4; ++j) {
    Value gathered =
        callX86(ctx, "llvm.x86.avx512.pshuf.b.512", "llvm.x86.avx2.pshuf.b",
                bytes, {halves[j / 2], block.indices[j]});
    chains[j % 2] = callX86(ctx, ctx.x86WideDotIntrinsic, ctx.x86DotIntrinsic,
                            lanes, {chains[j % 2], gathered, block.words[j]});
  }
  return arith::AddIOp::create(b, loc, chains[0], chains[1]);
}
