//===- Structure.cpp - Rewrites of the layer/sublayer structure -*- C++ -*-===//
//
// Selection of layers to skip, bypassing structure ops, KV-cache compaction.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Structure.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <map>

using namespace mlir;
using namespace llmc::llm;

namespace {
/// Reads `key` of a scores file: {"attention": {"0": 0.1, ...}, ...}.
FailureOr<std::map<int64_t, double>> readScores(ModuleOp module, StringRef pass,
                                                StringRef path, StringRef key) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    module.emitError() << pass << ": cannot read scores file '" << path
                       << "': " << buffer.getError().message();
    return failure();
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    module.emitError() << pass << ": scores file '" << path
                       << "' is not valid JSON: "
                       << llvm::toString(json.takeError());
    return failure();
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *table = root ? root->getObject(key) : nullptr;
  if (!table) {
    module.emitError() << pass << ": scores file '" << path << "' has no \""
                       << key << "\" object";
    return failure();
  }
  std::map<int64_t, double> scores;
  for (const auto &[layer, value] : *table) {
    int64_t index;
    std::optional<double> score = value.getAsNumber();
    if (StringRef(layer).getAsInteger(10, index) || !score) {
      module.emitError() << pass << ": scores file '" << path << "': entry \""
                         << StringRef(layer) << "\" of \"" << key
                         << "\" is not a layer index with a number";
      return failure();
    }
    scores[index] = *score;
  }
  return scores;
}
} // namespace

FailureOr<SmallVector<int64_t>>
llmc::llm::selectLayersToSkip(ModuleOp module, StringRef pass, StringRef what,
                              const SkipSelection &sel,
                              ArrayRef<int64_t> candidates) {
  auto describe = [&]() {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::interleaveComma(candidates, os);
    return text;
  };
  bool hasList = !sel.layers.empty();
  if (hasList == (sel.count != 0)) {
    module.emitError() << pass << ": give either layers=... or count=N";
    return failure();
  }
  if (hasList) {
    SmallVector<int64_t> chosen;
    for (int64_t layer : sel.layers) {
      if (!llvm::is_contained(candidates, layer)) {
        module.emitError() << pass << ": layer " << layer << " has no " << what
                           << " to remove (candidates: " << describe() << ")";
        return failure();
      }
      if (!llvm::is_contained(chosen, layer))
        chosen.push_back(layer);
    }
    return chosen;
  }
  if (sel.count < 0 || sel.count > static_cast<int64_t>(candidates.size())) {
    module.emitError() << pass << ": cannot remove " << sel.count << " " << what
                       << "s: the model has " << candidates.size();
    return failure();
  }
  SmallVector<int64_t> order(candidates.begin(), candidates.end());
  if (sel.by == "position") {
    llvm::sort(order, std::greater<int64_t>());
  } else if (sel.by == "score") {
    if (sel.scoresPath.empty()) {
      module.emitError() << pass
                         << ": by=score needs scores=FILE (write one with "
                            "`llmc score MODEL -o FILE`)";
      return failure();
    }
    FailureOr<std::map<int64_t, double>> scores =
        readScores(module, pass, sel.scoresPath, sel.scoreKey);
    if (failed(scores))
      return failure();
    for (int64_t layer : candidates)
      if (!scores->count(layer)) {
        module.emitError() << pass << ": scores file '" << sel.scoresPath
                           << "' has no " << sel.scoreKey << " score for layer "
                           << layer;
        return failure();
      }
    // Least important first; ties go to the later layer.
    llvm::stable_sort(order, [&](int64_t a, int64_t b) {
      double sa = scores->at(a), sb = scores->at(b);
      return sa != sb ? sa < sb : a > b;
    });
  } else {
    module.emitError() << pass << ": by must be score or position, got '"
                       << sel.by << "'";
    return failure();
  }
  order.resize(sel.count);
  return order;
}

void llmc::llm::bypassStructureOp(Operation *op) {
  op->getResult(0).replaceAllUsesWith(op->getOperand(0));
  op->erase();
}

int64_t llmc::llm::getEnclosingLayerIndex(Operation *op) {
  if (auto layer = op->getParentOfType<LayerOp>())
    return static_cast<int64_t>(layer.getIndex());
  return -1;
}

int64_t llmc::llm::compactKVCache(ModuleOp module) {
  int64_t removed = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<KVCacheType>(arg.getType());
      if (!type)
        continue;
      SmallVector<AttentionOp> users;
      func.walk([&](AttentionOp op) {
        if (op.getCache() == arg)
          users.push_back(op);
      });
      llvm::stable_sort(users, [](AttentionOp a, AttentionOp b) {
        return a.getSlot() < b.getSlot();
      });
      // Dense renumbering; ops sharing a slot keep sharing it.
      std::map<uint64_t, int64_t> newSlot;
      for (AttentionOp op : users)
        newSlot.try_emplace(op.getSlot(), newSlot.size());
      int64_t slots = newSlot.size();
      if (slots == type.getSlots())
        continue;
      for (AttentionOp op : users)
        op.setSlot(newSlot[op.getSlot()]);
      auto newType = KVCacheType::get(module.getContext(), slots,
                                      type.getKvHeads(), type.getHeadDim(),
                                      type.getMaxSeq(), type.getElement());
      removed += type.getSlots() - slots;
      arg.setType(newType);
      SmallVector<Type> inputs(func.getFunctionType().getInputs());
      inputs[arg.getArgNumber()] = newType;
      func.setFunctionType(FunctionType::get(
          module.getContext(), inputs, func.getFunctionType().getResults()));
    }
  }
  return removed;
}
