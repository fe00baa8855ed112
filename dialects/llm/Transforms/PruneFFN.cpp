//===- PruneFFN.cpp - Structured pruning of FFN channels --------*- C++ -*-===//
//
// Implements llm-prune-ffn: removes intermediate channels of gated and
// plain MLPs (rows of W_gate / W_up, columns of W_down) ranked by the
// weights-only score ||W_gate[j,:]|| * ||W_up[j,:]|| * ||W_down[:,j]||
// (without the gate factor for a plain MLP), the magnitude counterpart of
// LLM-Pruner (arXiv 2305.11627) and FLAP (arXiv 2312.11983).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/Structure.h"
#include "llm/Transforms/WeightRewrite.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMPRUNEFFNPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
/// One MLP: down(act(gate(x)) * up(x)) (llm.gated_act) or down(act(up(x)))
/// (llm.act, no gate).
struct MLP {
  LinearOp gate, up, down; ///< gate is null for a plain MLP.
  Operation *act = nullptr;
};

/// Describes where `op` is for diagnostics ("layer 3" or its location).
std::string describeLayer(Operation *op) {
  int64_t layer = getEnclosingLayerIndex(op);
  if (layer >= 0)
    return "layer " + std::to_string(layer);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "the MLP at " << op->getLoc();
  return text;
}

/// Matches the linears around `act` (an llm.gated_act or llm.act), or emits
/// an error saying what is missing: the pass cannot slice an MLP whose
/// channels flow elsewhere.
FailureOr<MLP> matchMLP(Operation *act) {
  MLP mlp;
  mlp.act = act;
  if (auto gated = dyn_cast<GatedActOp>(act)) {
    mlp.gate = gated.getGate().getDefiningOp<LinearOp>();
    mlp.up = gated.getUp().getDefiningOp<LinearOp>();
    if (!mlp.gate || !mlp.up || mlp.gate == mlp.up)
      return act->emitOpError()
             << "cannot be pruned by llm-prune-ffn: gate and up must be the "
                "results of two llm.linear ops";
    if (!mlp.gate->hasOneUse() || !mlp.up->hasOneUse())
      return act->emitOpError() << "cannot be pruned by llm-prune-ffn: its "
                                   "gate and up values have other users";
  } else {
    mlp.up = cast<ActOp>(act).getInput().getDefiningOp<LinearOp>();
    if (!mlp.up)
      return act->emitOpError() << "cannot be pruned by llm-prune-ffn: its "
                                   "input must be the result of an llm.linear";
    if (!mlp.up->hasOneUse())
      return act->emitOpError() << "cannot be pruned by llm-prune-ffn: its "
                                   "input has other users";
  }
  if (act->hasOneUse())
    mlp.down = dyn_cast<LinearOp>(*act->getUsers().begin());
  if (!mlp.down)
    return act->emitOpError() << "cannot be pruned by llm-prune-ffn: its "
                                 "result must feed exactly one llm.linear";
  return mlp;
}

/// The weight `linear` reads.
WeightOp getWeight(SymbolTable &symbols, LinearOp linear) {
  return symbols.lookup<WeightOp>(linear.getWeightAttr().getValue());
}

/// `type` with `width` columns.
RankedTensorType withWidth(Value value, int64_t width) {
  auto type = cast<RankedTensorType>(value.getType());
  return RankedTensorType::get({type.getDimSize(0), width},
                               type.getElementType());
}

struct LLMPruneFFNPass
    : public llmc::llm::impl::LLMPruneFFNPassBase<LLMPruneFFNPass> {
  using Base::Base;

  LogicalResult checkOptions(ModuleOp module) {
    if (!(ratio >= 0.0 && ratio < 1.0)) {
      module.emitError() << "llm-prune-ffn: ratio must be in [0, 1), got "
                         << formatOptionValue(ratio);
      return failure();
    }
    if (count < 0) {
      module.emitError() << "llm-prune-ffn: count must not be negative, got "
                         << static_cast<int64_t>(count);
      return failure();
    }
    if (count > 0 && ratio > 0.0) {
      module.emitError() << "llm-prune-ffn: give either ratio or count, not "
                            "both";
      return failure();
    }
    if (roundTo < 1) {
      module.emitError() << "llm-prune-ffn: round-to must be at least 1, got "
                         << static_cast<int64_t>(roundTo);
      return failure();
    }
    return success();
  }

  /// How many of `hidden` channels to remove, or an error if the options
  /// would remove all of them.
  FailureOr<int64_t> channelsToRemove(ModuleOp module, MLP &mlp,
                                      int64_t hidden) {
    int64_t removed =
        count > 0 ? static_cast<int64_t>(count)
                  : static_cast<int64_t>(std::floor(ratio * hidden + 1e-9));
    if (removed >= hidden) {
      module.emitError() << "llm-prune-ffn: cannot remove " << removed
                         << " intermediate channels from "
                         << describeLayer(mlp.act) << ", which has " << hidden;
      return failure();
    }
    int64_t kept = hidden - removed;
    int64_t multiple = roundTo;
    kept = std::min(hidden, (kept + multiple - 1) / multiple * multiple);
    return hidden - kept;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    SmallVector<MLP> mlps;
    WalkResult walk = module.walk([&](Operation *act) {
      if (!isa<GatedActOp, ActOp>(act))
        return WalkResult::advance();
      FailureOr<MLP> mlp = matchMLP(act);
      if (failed(mlp))
        return WalkResult::interrupt();
      mlps.push_back(*mlp);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    SymbolTable symbols(module);
    WeightDataReader reader;
    for (MLP &mlp : mlps) {
      int64_t hidden =
          cast<RankedTensorType>(mlp.act->getResult(0).getType()).getDimSize(1);
      FailureOr<int64_t> removed = channelsToRemove(module, mlp, hidden);
      if (failed(removed))
        return signalPassFailure();
      WeightOp gateW = mlp.gate ? getWeight(symbols, mlp.gate) : WeightOp();
      WeightOp upW = getWeight(symbols, mlp.up);
      WeightOp downW = getWeight(symbols, mlp.down);
      std::vector<float> gate, up, down;
      for (auto [weight, values] :
           {std::pair{gateW, &gate}, {upW, &up}, {downW, &down}}) {
        if (!weight)
          continue;
        llvm::Expected<std::vector<float>> read = reader.getValues(weight);
        if (!read) {
          weight.emitOpError() << llvm::toString(read.takeError());
          return signalPassFailure();
        }
        *values = std::move(*read);
      }
      // Gate and up may read different widths (e.g. factors of different
      // rank after llm-factorize-low-rank).
      int64_t gateIn = gateW ? gateW.getCols() : 0, upIn = upW.getCols();
      int64_t out = downW.getRows();

      /// Score of channel j: ||W_gate[j,:]|| * ||W_up[j,:]|| *
      /// ||W_down[:,j]||; a channel contributes act(g_j . x) (u_j . x) d_j.
      /// A plain MLP's channel contributes act(u_j . x) d_j: no gate factor.
      std::vector<double> score(hidden);
      for (int64_t j = 0; j < hidden; ++j) {
        double g = gateW ? 0 : 1, u = 0, d = 0;
        for (int64_t i = 0; i < gateIn; ++i)
          g += double(gate[j * gateIn + i]) * gate[j * gateIn + i];
        for (int64_t i = 0; i < upIn; ++i)
          u += double(up[j * upIn + i]) * up[j * upIn + i];
        for (int64_t r = 0; r < out; ++r)
          d += double(down[r * hidden + j]) * down[r * hidden + j];
        score[j] = std::sqrt(g) * std::sqrt(u) * std::sqrt(d);
      }
      /// Remove the lowest scores (the earlier channel among equal ones);
      /// keep the rest in their original order.
      SmallVector<int64_t> order(hidden);
      std::iota(order.begin(), order.end(), 0);
      llvm::sort(order, [&](int64_t a, int64_t b) {
        return score[a] != score[b] ? score[a] < score[b] : a < b;
      });
      SmallVector<int64_t> keep(order.begin() + *removed, order.end());
      llvm::sort(keep);
      auto kept = static_cast<int64_t>(keep.size());

      if (gateW)
        setWeightValues(
            getExclusiveWeight(module, symbols, gateW, mlp.gate, ".pruned"),
            {kept, gateIn}, gatherRows(gate, gateIn, keep));
      setWeightValues(
          getExclusiveWeight(module, symbols, upW, mlp.up, ".pruned"),
          {kept, upIn}, gatherRows(up, upIn, keep));
      setWeightValues(
          getExclusiveWeight(module, symbols, downW, mlp.down, ".pruned"),
          {out, kept}, gatherColumns(down, out, hidden, keep));
      /// Biases of gate and up lose the same entries; down's bias (one per
      /// model channel) stays.
      for (LinearOp linear : {mlp.gate, mlp.up}) {
        if (!linear || !linear.getBiasAttr())
          continue;
        WeightOp bias =
            symbols.lookup<WeightOp>(linear.getBiasAttr().getValue());
        llvm::Expected<std::vector<float>> values = reader.getValues(bias);
        if (!values) {
          bias.emitOpError() << llvm::toString(values.takeError());
          return signalPassFailure();
        }
        setWeightValues(
            getExclusiveBias(module, symbols, bias, linear, ".pruned"), {kept},
            gatherRows(*values, 1, keep));
      }
      SmallVector<Value> resized{mlp.up.getResult(), mlp.act->getResult(0)};
      if (mlp.gate)
        resized.push_back(mlp.gate.getResult());
      for (Value value : resized)
        value.setType(withWidth(value, kept));
      ++numLayers;
      numChannels += *removed;
    }
  }
};
} // namespace
