//===- PruneHeads.cpp - Structured pruning of KV groups ---------*- C++ -*-===//
//
// Implements llm-prune-heads: removes whole KV groups (a KV head and the
// query heads that read it) from every grouped-query attention, ranked by
// the weights-only score ||Wq_g||_F ||Wk_g||_F ||Wv_g||_F ||Wo_g||_F, and
// shrinks the KV-cache type to match (structured head pruning as in
// Michel et al., arXiv 1905.10650, and LLM-Pruner, arXiv 2305.11627).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Structure.h"
#include "llm/Transforms/WeightRewrite.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMPRUNEHEADSPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
/// One attention sublayer: o(attention(rope(q(x)), rope(k(x)), v(x))).
struct AttentionBlock {
  AttentionOp attention;
  LinearOp q, k, v, o;
  RopeOp qRope, kRope, vRope; ///< Null where there is none.
};

/// Follows `value` back through an optional llm.rope to its llm.linear;
/// every value on the way must have no other user.
bool traceToLinear(Value value, LinearOp &linear, RopeOp &rope) {
  if (!value.hasOneUse())
    return false;
  if ((rope = value.getDefiningOp<RopeOp>())) {
    value = rope.getInput();
    if (!value.hasOneUse())
      return false;
  }
  linear = value.getDefiningOp<LinearOp>();
  return static_cast<bool>(linear);
}

/// Matches the linears around `attention`, or emits an error saying what is
/// missing: the pass cannot slice heads whose values flow elsewhere.
FailureOr<AttentionBlock> matchAttention(AttentionOp attention) {
  AttentionBlock block;
  block.attention = attention;
  if (!traceToLinear(attention.getQ(), block.q, block.qRope) ||
      !traceToLinear(attention.getK(), block.k, block.kRope) ||
      !traceToLinear(attention.getV(), block.v, block.vRope))
    return attention.emitOpError()
           << "cannot be pruned by llm-prune-heads: q, k and v must each be "
              "an llm.linear (optionally through llm.rope) used only here";
  if (attention->hasOneUse())
    block.o = dyn_cast<LinearOp>(*attention->getUsers().begin());
  if (!block.o)
    return attention.emitOpError() << "cannot be pruned by llm-prune-heads: "
                                      "its result must feed exactly one "
                                      "llm.linear";
  if (!isa<BlockArgument>(attention.getCache()) ||
      !isa<func::FuncOp>(attention.getCache().getParentBlock()->getParentOp()))
    return attention.emitOpError() << "cannot be pruned by llm-prune-heads: "
                                      "its cache must be a function argument";
  return block;
}

/// Describes where `op` is for diagnostics ("layer 3" or its location).
std::string describeLayer(Operation *op) {
  int64_t layer = getEnclosingLayerIndex(op);
  if (layer >= 0)
    return "layer " + std::to_string(layer);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "the attention at " << op->getLoc();
  return text;
}

/// Sum of squares of rows [begin, end) of a row-major matrix.
double rowsSquaredNorm(ArrayRef<float> values, int64_t cols, int64_t begin,
                       int64_t end) {
  double sum = 0;
  for (int64_t i = begin * cols; i < end * cols; ++i)
    sum += double(values[i]) * values[i];
  return sum;
}

/// Sum of squares of columns [begin, end) of a rows x cols matrix.
double columnsSquaredNorm(ArrayRef<float> values, int64_t rows, int64_t cols,
                          int64_t begin, int64_t end) {
  double sum = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = begin; c < end; ++c)
      sum += double(values[r * cols + c]) * values[r * cols + c];
  return sum;
}

/// `value`'s type with `width` columns.
RankedTensorType withWidth(Value value, int64_t width) {
  auto type = cast<RankedTensorType>(value.getType());
  return RankedTensorType::get({type.getDimSize(0), width},
                               type.getElementType());
}

struct LLMPruneHeadsPass
    : public llmc::llm::impl::LLMPruneHeadsPassBase<LLMPruneHeadsPass> {
  using Base::Base;

  /// Rewrites one attention block to keep only the KV groups `keep`
  /// (ascending) out of its kv_heads.
  LogicalResult prune(ModuleOp module, SymbolTable &symbols,
                      WeightDataReader &reader, AttentionBlock &block) {
    AttentionOp attention = block.attention;
    auto heads = static_cast<int64_t>(attention.getHeads());
    auto kvHeads = static_cast<int64_t>(attention.getKvHeads());
    auto headDim = static_cast<int64_t>(attention.getHeadDim());
    int64_t perGroup = heads / kvHeads;
    if (kvGroups >= kvHeads) {
      module.emitError() << "llm-prune-heads: cannot remove "
                         << static_cast<int64_t>(kvGroups) << " KV groups from "
                         << describeLayer(attention) << ", which has "
                         << kvHeads << " (at least one must stay)";
      return failure();
    }

    // Read the four weights before any of them changes.
    SmallVector<WeightOp, 4> weights;
    SmallVector<std::vector<float>, 4> values;
    for (LinearOp linear : {block.q, block.k, block.v, block.o}) {
      auto weight = symbols.lookup<WeightOp>(linear.getWeightAttr().getValue());
      llvm::Expected<std::vector<float>> read = reader.getValues(weight);
      if (!read) {
        weight.emitOpError() << llvm::toString(read.takeError());
        return failure();
      }
      weights.push_back(weight);
      values.push_back(std::move(*read));
    }
    // And the q/k/v biases (Qwen2, GPT-2, bias correction), if any; the
    // output bias is per model channel and stays.
    SmallVector<std::optional<std::vector<float>>, 3> biases;
    for (LinearOp linear : {block.q, block.k, block.v}) {
      biases.emplace_back();
      if (!linear.getBiasAttr())
        continue;
      auto bias = symbols.lookup<WeightOp>(linear.getBiasAttr().getValue());
      llvm::Expected<std::vector<float>> read = reader.getValues(bias);
      if (!read) {
        bias.emitOpError() << llvm::toString(read.takeError());
        return failure();
      }
      biases.back() = std::move(*read);
    }
    // Inputs may differ (e.g. after llm-factorize-low-rank, each projection
    // reads its own factor's rank).
    int64_t qIn = weights[0].getCols(), kIn = weights[1].getCols();
    int64_t vIn = weights[2].getCols(), out = weights[3].getRows();
    int64_t qWidth = heads * headDim;

    /// Importance of group g: ||Wq[G_q,:]||_F * ||Wk[G_kv,:]||_F *
    /// ||Wv[G_kv,:]||_F * ||Wo[:,G_q]||_F, G_q = rows of query heads
    /// g*perGroup .. (g+1)*perGroup-1, G_kv = rows of KV head g.
    std::vector<double> score(kvHeads);
    for (int64_t g = 0; g < kvHeads; ++g) {
      int64_t qBegin = g * perGroup * headDim,
              qEnd = qBegin + perGroup * headDim;
      int64_t kvBegin = g * headDim, kvEnd = kvBegin + headDim;
      score[g] =
          std::sqrt(rowsSquaredNorm(values[0], qIn, qBegin, qEnd)) *
          std::sqrt(rowsSquaredNorm(values[1], kIn, kvBegin, kvEnd)) *
          std::sqrt(rowsSquaredNorm(values[2], vIn, kvBegin, kvEnd)) *
          std::sqrt(columnsSquaredNorm(values[3], out, qWidth, qBegin, qEnd));
    }
    /// Remove the lowest scores (the earlier group among equal ones); keep
    /// the rest in order, so kept query head i still reads kept KV head
    /// i / perGroup.
    SmallVector<int64_t> order(kvHeads);
    std::iota(order.begin(), order.end(), 0);
    llvm::sort(order, [&](int64_t a, int64_t b) {
      return score[a] != score[b] ? score[a] < score[b] : a < b;
    });
    SmallVector<int64_t> keep(order.begin() + kvGroups, order.end());
    llvm::sort(keep);

    /// Whole heads of headDim rows, so rotary pairs stay together.
    SmallVector<int64_t> qRows, kvRows;
    for (int64_t g : keep) {
      for (int64_t row = g * perGroup * headDim, end = row + perGroup * headDim;
           row < end; ++row)
        qRows.push_back(row);
      for (int64_t row = g * headDim, end = row + headDim; row < end; ++row)
        kvRows.push_back(row);
    }
    auto newKv = static_cast<int64_t>(keep.size());
    int64_t newHeads = newKv * perGroup;
    int64_t newQWidth = newHeads * headDim, newKvWidth = newKv * headDim;

    setWeightValues(
        getExclusiveWeight(module, symbols, weights[0], block.q, ".pruned"),
        {newQWidth, qIn}, gatherRows(values[0], qIn, qRows));
    setWeightValues(
        getExclusiveWeight(module, symbols, weights[1], block.k, ".pruned"),
        {newKvWidth, kIn}, gatherRows(values[1], kIn, kvRows));
    setWeightValues(
        getExclusiveWeight(module, symbols, weights[2], block.v, ".pruned"),
        {newKvWidth, vIn}, gatherRows(values[2], vIn, kvRows));
    setWeightValues(
        getExclusiveWeight(module, symbols, weights[3], block.o, ".pruned"),
        {out, newQWidth}, gatherColumns(values[3], out, qWidth, qRows));
    for (auto [linear, bias, rows] : {std::tuple{block.q, &biases[0], &qRows},
                                      {block.k, &biases[1], &kvRows},
                                      {block.v, &biases[2], &kvRows}}) {
      if (!*bias)
        continue;
      auto weight = symbols.lookup<WeightOp>(linear.getBiasAttr().getValue());
      setWeightValues(
          getExclusiveBias(module, symbols, weight, linear, ".pruned"),
          {static_cast<int64_t>(rows->size())}, gatherRows(**bias, 1, *rows));
    }

    block.q.getResult().setType(withWidth(block.q.getResult(), newQWidth));
    block.k.getResult().setType(withWidth(block.k.getResult(), newKvWidth));
    block.v.getResult().setType(withWidth(block.v.getResult(), newKvWidth));
    for (auto [rope, ropeHeads] : {std::pair{block.qRope, newHeads},
                                   {block.kRope, newKv},
                                   {block.vRope, newKv}}) {
      if (!rope)
        continue;
      rope.setHeads(ropeHeads);
      rope.getResult().setType(
          withWidth(rope.getResult(), ropeHeads * headDim));
    }
    attention.setHeads(newHeads);
    attention.setKvHeads(newKv);
    attention.getResult().setType(withWidth(attention.getResult(), newQWidth));

    ++numLayers;
    numGroups += kvGroups;
    numQueryHeads += kvGroups * perGroup;
    return success();
  }

  /// Gives every KV-cache argument the attention ops used `kv_heads` KV
  /// heads, in the block argument and the function type.
  void shrinkCaches(ArrayRef<Value> caches) {
    for (Value cache : caches) {
      auto arg = cast<BlockArgument>(cache);
      auto func = cast<func::FuncOp>(arg.getOwner()->getParentOp());
      auto type = cast<KVCacheType>(arg.getType());
      auto newType = KVCacheType::get(
          type.getContext(), type.getSlots(), type.getKvHeads() - kvGroups,
          type.getHeadDim(), type.getMaxSeq(), type.getElement());
      arg.setType(newType);
      SmallVector<Type> inputs(func.getFunctionType().getInputs());
      inputs[arg.getArgNumber()] = newType;
      func.setFunctionType(FunctionType::get(
          type.getContext(), inputs, func.getFunctionType().getResults()));
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (kvGroups < 0) {
      module.emitError() << "llm-prune-heads: kv-groups must not be "
                            "negative, got "
                         << static_cast<int64_t>(kvGroups);
      return signalPassFailure();
    }
    SmallVector<AttentionBlock> blocks;
    WalkResult walk = module.walk([&](AttentionOp attention) {
      FailureOr<AttentionBlock> block = matchAttention(attention);
      if (failed(block))
        return WalkResult::interrupt();
      blocks.push_back(*block);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    SymbolTable symbols(module);
    WeightDataReader reader;
    SmallVector<Value> caches;
    for (AttentionBlock &block : blocks) {
      if (failed(prune(module, symbols, reader, block)))
        return signalPassFailure();
      if (!llvm::is_contained(caches, block.attention.getCache()))
        caches.push_back(block.attention.getCache());
    }
    shrinkCaches(caches);
  }
};
} // namespace
