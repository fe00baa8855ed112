//===- Emitters.h - Per-op code emitters of convert-llm-to-loops -*- C++
//-*-===//
//
// Internal to the llm-to-loops conversion: the state shared by the per-op
// emitters (builder, ABI values, buffer and weight maps) and their entry
// points, one op family per file.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_CONVERSION_LLMTOLOOPS_EMITTERS_H
#define LLMC_LIB_CONVERSION_LLMTOLOOPS_EMITTERS_H

#include "llm/IR/LLMOps.h"
#include "llmc/Conversion/DeviceLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>

namespace llmc::lowering {

/// A weight as the generated code sees it: where its packed parts live in
/// the weights buffer.
struct DeviceWeight {
  DeviceFormat format;
  int64_t rows = 1, cols = 0;
  uint64_t offset = 0;
  DevicePacking packing;
};

/// State shared by the emitters while lowering one decode function.
struct EmitContext {
  EmitContext(mlir::OpBuilder &b, mlir::Location loc, int64_t vectorWidth,
              bool emulateF16)
      : b(b), loc(loc), vectorWidth(vectorWidth), emulateF16(emulateF16) {}

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Value weights; ///< memref<Wxi8>: the device weights data.
  mlir::Value kvCache; ///< memref<Kxi8>: the KV cache.
  mlir::Value pos;     ///< index: position of the first row.
  mlir::Value arena;   ///< memref<Axi8>: the activation arena.
  /// The ABI function being emitted; parallelFor outlines tasks next to it.
  mlir::func::FuncOp function;
  /// !llvm.ptr arguments of the ABI function: the parallel-for callback
  /// (NULL: serial) and its pool. Without them parallelFor emits a loop.
  mlir::Value parallelForFn, pool;
  /// parallelFor loops with less work than this (iterations times the
  /// caller's estimate of work per iteration) stay serial loops.
  int64_t parallelMinWork = 32768;
  /// Number of tasks outlined so far (names them).
  unsigned taskCount = 0;
  /// The tasks outlined so far; a new one with the same body reuses one.
  llvm::SmallVector<mlir::func::FuncOp> tasks;
  /// The casts that rebuild the arena inside tasks and the constant of its
  /// size in their descriptor; updated once the arena size is known.
  llvm::SmallVector<
      std::pair<mlir::UnrealizedConversionCastOp, mlir::Operation *>>
      arenaImports;
  int64_t vectorWidth;
  /// Widen f16 with integer arithmetic instead of the target's conversion
  /// (for targets without one, e.g. RISC-V without Zfhmin/Zvfhmin).
  bool emulateF16;
  /// Decode linears read up to this many adjacent weight rows / row groups
  /// per parallel iteration (convert-llm-to-loops' decode-streams).
  int64_t decodeStreams = 1;
  /// Decode linears with int4 weights prefetch each read stream this many
  /// blocks ahead (convert-llm-to-loops' decode-prefetch); 0: none.
  int64_t decodePrefetch = 0;
  /// Attention shares each loaded key and value row among up to this many
  /// query heads of its KV head (convert-llm-to-loops' attention-heads).
  int64_t attentionHeads = 1;
  /// int8/int4 linears quantize their input to int8 per 32-element block and
  /// use exact integer dot products (else: widen the quants to f32).
  bool integerDot = true;
  /// The x86 VNNI intrinsic for the integer dot products
  /// ("llvm.x86.avx512.vpdpbusd.256": AVX512-VNNI or AVX-VNNI), or
  /// empty for portable vector code. Same results either way.
  std::string x86DotIntrinsic;
  /// The 512-bit form of x86DotIntrinsic ("llvm.x86.avx512.vpdpbusd.512"),
  /// or empty if the target has only the 256-bit one.
  std::string x86WideDotIntrinsic;
  /// AArch64 NEON sdot ("llvm.aarch64.neon.sdot") for the interleaved
  /// kernels (+dotprod). Same results.
  bool neonDot = false;
  /// AArch64 i8mm ("llvm.aarch64.neon.smmla", with neonDot): interleaved
  /// weights in 8-byte words; prefill takes input rows two at a time with
  /// smmla (decode keeps sdot). Same results.
  bool neonMatMul = false;
  /// Integer dot products as 16-bit products widened into 32-bit
  /// multiply-accumulates over contiguous halves of each block (RISC-V V:
  /// vwmul/vwmacc), instead of llvm.vector.partial.reduce.add. Same results.
  bool wideningDot = false;
  /// Integer dot products with x86 AVX2 pmaddubsw/pmaddwd. Same results.
  bool avx2Dot = false;
  /// A linear of which only the last input row's outputs are needed (the
  /// classifier of the prefill copy, which returns the last row's logits);
  /// its other rows are left unwritten.
  mlir::Operation *lastRowOnly = nullptr;
  /// The index of that row when it is not the last of the shape (a
  /// partial prefill chunk's last real token); null: the shape's last row.
  mlir::Value lastRow;
  /// In the prefill copy: how many leading rows hold tokens (index); the
  /// linears skip the tiles past them (padding, whose outputs no real row
  /// reads). Null: every row.
  mlir::Value activeRows;
  /// The weight of the norm that the calling thread computes right after
  /// the linear being emitted (an RMSNorm after its residual add), or null.
  /// Decode's interleaved tasks prefetch it, a little per iteration, so the
  /// norm does not wait for it from memory on the calling thread between
  /// two parallel loops (emitInterleavedTask).
  const DeviceWeight *nextNormWeight = nullptr;
  /// Buffers of lowered tensor values.
  llvm::DenseMap<mlir::Value, mlir::Value> buffers;
  /// Device placement of weights, by symbol name.
  llvm::DenseMap<mlir::StringAttr, DeviceWeight> deviceWeights;
  /// Allocates a scratch buffer (lives while the current op is emitted).
  std::function<mlir::Value(mlir::MemRefType)> allocScratch;
  /// Allocates a buffer that lives until the whole body is emitted (tables
  /// that several ops read).
  std::function<mlir::Value(mlir::MemRefType)> allocPersistent;
  /// The RoPE angles' cosines and sines this function has computed
  /// (emitRope), by (rows, head_dim, bits of theta): memref<rows x
  /// head_dim/2 x f32> each. Every layer's q and k rotate by the same
  /// angles, so they are computed once per call, not per op.
  llvm::DenseMap<std::tuple<int64_t, int64_t, uint32_t>,
                 std::pair<mlir::Value, mlir::Value>>
      ropeTables;

  mlir::Value index(int64_t v);
  mlir::Value f32(float v);
  /// The buffer of a lowered tensor value.
  mlir::Value buffer(mlir::Value tensor) const {
    return buffers.lookup(tensor);
  }
  const DeviceWeight &weight(mlir::FlatSymbolRefAttr sym) const;
  /// A typed view of `bytes` bytes at `offset` in the weights buffer.
  mlir::Value weightView(uint64_t offset, mlir::MemRefType type);
  /// Widens an f16 scalar or vector to f32 (exactly, including subnormals,
  /// infinities and NaN).
  mlir::Value extendF16(mlir::Value half);
  /// Loads element (row, col) of a weight as f32, dequantizing if needed.
  mlir::Value loadWeightElement(const DeviceWeight &w, mlir::Value row,
                                mlir::Value col);
  /// Emits `for i in [lb, ub) step s` and calls `body` inside it.
  void forLoop(mlir::Value lb, mlir::Value ub, int64_t step,
               llvm::function_ref<void(mlir::Value)> body);
  void forLoop(int64_t lb, int64_t ub,
               llvm::function_ref<void(mlir::Value)> body) {
    forLoop(index(lb), index(ub), 1, body);
  }
  /// Emits a loop over [0, count) whose iterations are independent: each
  /// writes only its own part of the op's result and reads values defined
  /// before the loop (buffers, weights, the KV cache). If the loop is at the
  /// top level of the ABI function and count * workPerIteration reaches
  /// parallelMinWork, the body is outlined into a task that the ABI's
  /// parallel-for runs over ranges of [0, count) (ParallelFor.cpp); each
  /// range runs its iterations in order, so results do not depend on the
  /// split. Otherwise it is a plain loop.
  void parallelFor(int64_t count, int64_t workPerIteration,
                   llvm::function_ref<void(mlir::Value)> body);
};

//===----------------------------------------------------------------------===//
// Integer dot products (EmitLinear.cpp), shared with the sparse kernels
//===----------------------------------------------------------------------===//

/// Blocks of 32 elements whose integer dot products are combined into one
/// vector of f32 partial sums (the canonical accumulation width).
constexpr int64_t kDotBlocks = 8;

/// The input rows of a linear quantized to int8, one scale per 32-element
/// block: x ~= d * q with d = max|x| / 127 and q = x * (127 / max|x|)
/// rounded half to even; `sum` holds the exact sum of each block's q (for the
/// zero-point corrections).
struct QuantizedRows {
  mlir::Value q;   ///< memref<rows x k x i8>
  mlir::Value d;   ///< memref<rows x k/32 x f32>
  mlir::Value sum; ///< memref<rows x k/32 x i32>
  /// memref<rows x k x i8>: q + 128 as unsigned bytes (only for the
  /// interleaved 2:4 sparse kernel, else null).
  mlir::Value shifted;
};

/// The 32 quants of weight row `n`, block `blk`, in element order, and how
/// to read them: `isUnsigned` quants (int4 nibbles, asymmetric int8) are
/// 0..255, the weight being proportional to (q - zero).
struct BlockQuants {
  mlir::Value q; ///< vector<32xi8>
  bool isUnsigned = false;
  /// 4-bit quants (0..15).
  bool nibbles = false;
  int64_t zero = 0;
};

/// Bytes of a static memref of whole-byte elements.
inline uint64_t memrefBytes(mlir::MemRefType type) {
  return type.getNumElements() * type.getElementTypeBitWidth() / 8;
}

/// The largest divisor of `count` that is at most `limit` (at least 1): how
/// many rows / row groups a decode iteration reads side by side, how many
/// query heads an attention iteration computes.
inline int64_t largestDivisorUpTo(int64_t count, int64_t limit) {
  for (int64_t n = std::min(count, limit); n > 1; --n)
    if (count % n == 0)
      return n;
  return 1;
}

/// The largest |x| over the lanes of the f32 vectors `parts` (of one
/// type), as an f32. The absolute values' bit patterns are compared as
/// unsigned integers, which order non-negative floats as their values, so
/// it reduces as a tree of integer maxima on every target (an ordered
/// floating-point max reduction was a serial chain on x86); a NaN lane
/// gives NaN.
mlir::Value emitAbsMax(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<mlir::Value> parts);

/// Integer partial sums of one 32-element block: a vector<kDotBlocks x i32>
/// whose lanes add up to sum_i (u_i - zero) * x_i (exactly), up to a
/// correction `correction * sum(x)`, with the target's dot instruction.
mlir::Value emitBlockLanes(EmitContext &ctx, const BlockQuants &wq,
                           mlir::Value xv, int64_t &correction);

/// Sums each of kDotBlocks lane vectors into one lane of the result, in
/// block order.
mlir::Value emitLaneTotals(EmitContext &ctx,
                           llvm::SmallVector<mlir::Value> vectors);

/// Runs `chunk(first, count, accumulators)` over `blocks` 32-element blocks
/// in order, kDotBlocks at a time in a loop that carries the accumulators,
/// then once for the remaining blocks; returns the final accumulators.
llvm::SmallVector<mlir::Value>
emitBlockChunks(EmitContext &ctx, int64_t blocks,
                llvm::SmallVector<mlir::Value> accs,
                llvm::function_ref<llvm::SmallVector<mlir::Value>(
                    mlir::Value first, int64_t count, mlir::ValueRange accs)>
                    chunk);

/// Inner products of the quantized input rows `rows` with row `n` of a 2:4
/// sparse int8/int4 weight (EmitSparseLinear.cpp): the same exact integer
/// block sums and f32 scaling as the dense integer kernels, skipping the
/// zeros.
llvm::SmallVector<mlir::Value>
emitSparseDotRows(EmitContext &ctx, const DeviceWeight &w,
                  const QuantizedRows &xq, llvm::ArrayRef<mlir::Value> rows,
                  mlir::Value n);

/// Block `blk` of row group `rg` of a 2:4 sparse weight in the interleaved
/// layout (DeviceLayout.h), loaded once for all input rows: the kept
/// quants of each word as signed bytes, the byte-shuffle indices that
/// gather each row's inputs for them, and the correction of the unsigned
/// inputs (EmitSparseLinear.cpp; x86 VNNI targets).
struct SparseLaneBlock {
  llvm::SmallVector<mlir::Value> words;   ///< 4 x vector<4R x i8>
  llvm::SmallVector<mlir::Value> indices; ///< 4 x vector<4R x i8>
  mlir::Value correction; ///< vector<R x i32>: -128 * sum of kept quants.
};
SparseLaneBlock loadSparseLaneBlock(EmitContext &ctx, const DeviceWeight &w,
                                    mlir::Value rg, mlir::Value blk);

/// The per-block arrays of an interleaved 2:4 sparse weight, indexed by
/// item = row group * blocks + block: the kept quants (`words` rows of
/// vector<4R x i8> per item), the 2-bit positions (memref<items x R x i32>)
/// and the kept-quant sums (memref<items x R x i16>).
struct SparseLaneArrays {
  mlir::Value values, index, sums;
  int64_t words; ///< Kept-quant words per item: 4 (int8) or 2 (int4).
};
SparseLaneArrays sparseLaneArrays(EmitContext &ctx, const DeviceWeight &w);

/// Exact int32 dot products (vector<R x i32>) of every row of `block` with
/// the 32 quantized inputs of row `t`, block `blk`, as emitLaneDots for
/// dense interleaved blocks: the same totals, so the same bits after the
/// shared scaling.
mlir::Value emitSparseLaneDots(EmitContext &ctx, const SparseLaneBlock &block,
                               const QuantizedRows &xq, mlir::Value t,
                               mlir::Value blk);

void emitEmbedding(EmitContext &ctx, llm::EmbeddingOp op, mlir::Value out);
void emitPositionEmbedding(EmitContext &ctx, llm::PositionEmbeddingOp op,
                           mlir::Value out);
void emitRMSNorm(EmitContext &ctx, llm::RMSNormOp op, mlir::Value out);
void emitLayerNorm(EmitContext &ctx, llm::LayerNormOp op, mlir::Value out);
void emitRope(EmitContext &ctx, llm::RopeOp op, mlir::Value out);
void emitAct(EmitContext &ctx, llm::ActOp op, mlir::Value out);
void emitGatedAct(EmitContext &ctx, llm::GatedActOp op, mlir::Value out);
/// `activation(x)` for an f32 scalar or vector `x`: the same operations per
/// element either way.
mlir::Value emitActivation(EmitContext &ctx, llm::Activation activation,
                           mlir::Value x);
/// Whether decode can run `gate`, `up` (of one input) and `act` =
/// activation(gate) * up as one parallel loop (emitGatedLinearPair): one
/// input row, both weights interleaved for the integer-dot kernels with the
/// same shape (the formats may differ, but not one dense and one 2:4
/// sparse), no biases, and the two linears used only by `act`.
bool canFuseGatedPair(EmitContext &ctx, llm::LinearOp gate, llm::LinearOp up,
                      llm::GatedActOp act);
/// Decode's gated MLP input side as one parallel loop (the pair accepted by
/// canFuseGatedPair): each task reads the same row groups of both weights
/// side by side and stores activation(gate) * up of those rows into `out`,
/// with the operations emitGatedAct would apply to the stored linears, so
/// the results are bit-identical; the gate and up outputs are never stored
/// and the serial element-wise pass over them is gone.
void emitGatedLinearPair(EmitContext &ctx, llm::LinearOp gate, llm::LinearOp up,
                         llm::GatedActOp act, mlir::Value out);
void emitAdd(EmitContext &ctx, llm::AddOp op, mlir::Value out);
void emitLinear(EmitContext &ctx, llm::LinearOp op, mlir::Value out);
/// Whether linears `a` and `b` (of the same input) can run as one parallel
/// loop (emitLinearGroup): both use the interleaved integer-dot kernels and
/// one quantization of the input.
bool canShareLinearLoop(EmitContext &ctx, llm::LinearOp a, llm::LinearOp b);
/// Linears `ops` of one input, each pair accepted by canShareLinearLoop,
/// into `outs`: the input is quantized once and one parallel loop runs the
/// row groups of all of them (q/k/v, gate/up), so a thread walks one range
/// of adjacent weights and the pool synchronizes once. Each output is
/// computed with the same arithmetic as emitLinear.
void emitLinearGroup(EmitContext &ctx, llvm::ArrayRef<llm::LinearOp> ops,
                     llvm::ArrayRef<mlir::Value> outs);
void emitAttention(EmitContext &ctx, llm::AttentionOp op, mlir::Value out);

} // namespace llmc::lowering

#endif // LLMC_LIB_CONVERSION_LLMTOLOOPS_EMITTERS_H
