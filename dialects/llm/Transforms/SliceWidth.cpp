//===- SliceWidth.cpp - Structured slicing of the model width ---*- C++ -*-===//
//
// Implements llm-slice-width: keeps `dim` channels of the residual stream
// (the model / embedding width) everywhere, as a super-transformer (MLFS)
// is sliced. The stream is followed from the embedding through the
// structure ops, RMSNorms and adds; every weight that reads or writes it
// loses the removed channels (embedding and classifier columns, RMSNorm
// entries, input columns of the readers, output rows of the writers).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <numeric>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMSLICEWIDTHPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
/// What slicing the model width means for the weight of one op.
struct Slice {
  bool rows = false; ///< The op writes the stream: keep rows.
  bool cols = false; ///< The op reads the stream (or is the embedding).
  bool any() const { return rows || cols; }
};

/// The values of the residual stream: the closure, through the ops whose
/// width is the model width on both sides, of the embedding results.
class StreamFinder {
public:
  explicit StreamFinder(int64_t width) : width(width) {}

  /// Adds `value` and everything connected to it; fails (with an error on
  /// the op at fault) when the stream reaches an op the pass cannot slice.
  LogicalResult add(Value value) {
    if (failed(insert(value)))
      return failure();
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      if (failed(visitDefinition(v)) || failed(visitUses(v)))
        return failure();
    }
    return success();
  }

  bool contains(Value value) const { return stream.contains(value); }
  ArrayRef<Value> values() const { return stream.getArrayRef(); }

private:
  LogicalResult insert(Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.getRank() != 2 || type.getDimSize(1) != width) {
      Operation *at = value.getDefiningOp();
      if (!at)
        at = cast<BlockArgument>(value).getOwner()->getParentOp();
      return at->emitOpError()
             << "cannot be sliced by llm-slice-width: a residual-stream "
                "value has type "
             << value.getType() << ", expected a width of " << width;
    }
    if (stream.insert(value))
      worklist.push_back(value);
    return success();
  }

  static LogicalResult unsupported(Operation *op) {
    return op->emitOpError()
           << "cannot be sliced by llm-slice-width: it reads or produces the "
              "residual stream and is not an llm.layer, llm.residual, "
              "llm.rms_norm, llm.linear, llm.add or llm.embedding";
  }

  static Value yieldedValue(Operation *structure) {
    return cast<YieldOp>(structure->getRegion(0).front().getTerminator())
        .getValue();
  }

  LogicalResult visitDefinition(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *parent = arg.getOwner()->getParentOp();
      if (isa<LayerOp, ResidualOp>(parent))
        return insert(parent->getOperand(0));
      if (isa<func::FuncOp>(parent))
        return success();
      return unsupported(parent);
    }
    Operation *def = v.getDefiningOp();
    if (isa<EmbeddingOp, LinearOp>(def))
      return success();
    if (isa<LayerOp, ResidualOp>(def))
      return failure(failed(insert(def->getOperand(0))) ||
                     failed(insert(yieldedValue(def))));
    if (auto norm = dyn_cast<RMSNormOp>(def))
      return insert(norm.getInput());
    if (auto addOp = dyn_cast<AddOp>(def))
      return failure(failed(insert(addOp.getLhs())) ||
                     failed(insert(addOp.getRhs())));
    return unsupported(def);
  }

  LogicalResult visitUses(Value v) {
    for (Operation *user : v.getUsers()) {
      LogicalResult result = success();
      if (isa<LayerOp, ResidualOp>(user))
        result =
            failure(failed(insert(user->getRegion(0).front().getArgument(0))) ||
                    failed(insert(user->getResult(0))));
      else if (isa<YieldOp>(user))
        result = insert(user->getParentOp()->getResult(0));
      else if (isa<RMSNormOp, AddOp>(user))
        for (Value value :
             llvm::concat<Value>(user->getOperands(), user->getResults()))
          result = failure(failed(result) || failed(insert(value)));
      else if (!isa<LinearOp, ObserveOp, func::ReturnOp>(user))
        result = unsupported(user);
      if (failed(result))
        return failure();
    }
    return success();
  }

  int64_t width;
  llvm::SetVector<Value> stream;
  SmallVector<Value> worklist;
};

/// Points `user` at the weight named `name`.
void setWeightOf(Operation *user, StringAttr name) {
  auto ref = FlatSymbolRefAttr::get(name);
  if (auto embedding = dyn_cast<EmbeddingOp>(user))
    embedding.setTableAttr(ref);
  else if (auto norm = dyn_cast<RMSNormOp>(user))
    norm.setWeightAttr(ref);
  else
    cast<LinearOp>(user).setWeightAttr(ref);
}

struct LLMSliceWidthPass
    : public llmc::llm::impl::LLMSliceWidthPassBase<LLMSliceWidthPass> {
  using Base::Base;

  /// The slicing the weight of `op` needs (none for other ops).
  static Slice sliceOf(Operation *op, const StreamFinder &stream) {
    Slice slice;
    if (auto embedding = dyn_cast<EmbeddingOp>(op))
      slice.cols = stream.contains(embedding.getResult());
    else if (auto norm = dyn_cast<RMSNormOp>(op))
      slice.cols = stream.contains(norm.getInput());
    else if (auto linear = dyn_cast<LinearOp>(op)) {
      slice.cols = stream.contains(linear.getInput());
      slice.rows = stream.contains(linear.getResult());
    }
    return slice;
  }

  /// Per channel: ||E[:,c]|| * sum over the stream's RMSNorm weights g of
  /// |g_c| (just ||E[:,c]|| without norms). Fails on unreadable data.
  FailureOr<std::vector<double>>
  scoreChannels(ModuleOp module, SymbolTable &symbols, WeightDataReader &reader,
                const StreamFinder &stream, int64_t width) {
    auto read = [&](WeightOp weight) -> FailureOr<std::vector<float>> {
      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return failure();
      }
      return std::move(*values);
    };
    EmbeddingOp embedding;
    module.walk([&](EmbeddingOp op) {
      if (!embedding)
        embedding = op;
    });
    auto table = symbols.lookup<WeightOp>(embedding.getTableAttr().getAttr());
    FailureOr<std::vector<float>> e = read(table);
    if (failed(e))
      return failure();
    int64_t vocab = table.getRows();
    std::vector<double> column(width, 0.0), norms(width, 0.0);
    for (int64_t r = 0; r < vocab; ++r)
      for (int64_t c = 0; c < width; ++c)
        column[c] += double((*e)[r * width + c]) * (*e)[r * width + c];
    bool anyNorm = false;
    llvm::DenseSet<Operation *> seen;
    for (Value v : stream.values())
      for (Operation *user : v.getUsers()) {
        auto norm = dyn_cast<RMSNormOp>(user);
        if (!norm || norm.getInput() != v || !seen.insert(norm).second)
          continue;
        FailureOr<std::vector<float>> g =
            read(symbols.lookup<WeightOp>(norm.getWeightAttr().getAttr()));
        if (failed(g))
          return failure();
        for (int64_t c = 0; c < width; ++c)
          norms[c] += std::fabs((*g)[c]);
        anyNorm = true;
      }
    std::vector<double> score(width);
    for (int64_t c = 0; c < width; ++c)
      score[c] = std::sqrt(column[c]) * (anyNorm ? norms[c] : 1.0);
    return score;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(rejectBiasedLinears(module, "llm-slice-width")))
      return signalPassFailure();
    if (dim <= 0) {
      module.emitError() << "llm-slice-width: dim must be positive, got "
                         << static_cast<int64_t>(dim);
      return signalPassFailure();
    }
    if (select != "norm" && select != "first") {
      module.emitError() << "llm-slice-width: select must be 'norm' or "
                            "'first', got '"
                         << select << "'";
      return signalPassFailure();
    }
    SmallVector<EmbeddingOp> embeddings;
    module.walk([&](EmbeddingOp op) { embeddings.push_back(op); });
    if (embeddings.empty()) {
      module.emitError() << "llm-slice-width: the module has no llm.embedding, "
                            "so no model width to slice";
      return signalPassFailure();
    }
    int64_t width = embeddings.front().getType().getDimSize(1);
    if (dim >= width) {
      module.emitError() << "llm-slice-width: dim " << static_cast<int64_t>(dim)
                         << " must be smaller than the model width " << width;
      return signalPassFailure();
    }
    StreamFinder stream(width);
    for (EmbeddingOp embedding : embeddings)
      if (failed(stream.add(embedding.getResult())))
        return signalPassFailure();

    // Which channels stay, in their original order.
    SymbolTable symbols(module);
    WeightDataReader reader;
    SmallVector<int64_t> keep(width);
    std::iota(keep.begin(), keep.end(), 0);
    if (select == "norm") {
      FailureOr<std::vector<double>> score =
          scoreChannels(module, symbols, reader, stream, width);
      if (failed(score))
        return signalPassFailure();
      // Highest scores first, the earlier channel first among equal ones.
      llvm::stable_sort(keep, [&](int64_t a, int64_t b) {
        return (*score)[a] > (*score)[b];
      });
    }
    keep.resize(dim);
    llvm::sort(keep);
    int64_t kept = dim;

    // Group each weight's users by the slicing they need; a weight whose
    // users disagree gets one copy per slicing.
    SmallVector<WeightOp> weights(module.getOps<WeightOp>());
    for (WeightOp weight : weights) {
      // Keyed by 2 * rows + cols.
      llvm::MapVector<unsigned, SmallVector<Operation *>> groups;
      for (Operation *user : getWeightUsers(module, weight)) {
        Slice slice = sliceOf(user, stream);
        groups[2 * slice.rows + slice.cols].push_back(user);
      }
      bool shared = groups.size() > 1;
      for (auto &[key, users] : groups) {
        Slice slice{(key & 2) != 0, (key & 1) != 0};
        if (!slice.any())
          continue;
        llvm::Expected<std::vector<float>> read = reader.getValues(weight);
        if (!read) {
          weight.emitOpError() << llvm::toString(read.takeError());
          return signalPassFailure();
        }
        std::vector<float> values = std::move(*read);
        int64_t rows = weight.getRows(), cols = weight.getCols();
        if (slice.cols) {
          values = gatherColumns(values, rows, cols, keep);
          cols = kept;
        }
        if (slice.rows) {
          values = gatherRows(values, cols, keep);
          rows = kept;
        }
        SmallVector<int64_t> shape;
        if (weight.getTensorType().getRank() == 2)
          shape.push_back(rows);
        shape.push_back(cols);
        if (!shared) {
          setWeightValues(weight, shape, values);
        } else {
          WeightOp copy = createWeightAfter(
              symbols, weight, (weight.getSymName() + ".sliced").str(), shape,
              values);
          for (Operation *user : users)
            setWeightOf(user, copy.getSymNameAttr());
        }
        ++numWeights;
      }
    }

    for (Value value : stream.values()) {
      auto type = cast<RankedTensorType>(value.getType());
      value.setType(RankedTensorType::get({type.getDimSize(0), kept},
                                          type.getElementType()));
    }
    // A stream value a function takes or returns changes its signature.
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isDeclaration())
        continue;
      SmallVector<Type> results(func.getResultTypes());
      func.walk([&](func::ReturnOp ret) {
        results.assign(ret.getOperandTypes().begin(),
                       ret.getOperandTypes().end());
      });
      func.setFunctionType(FunctionType::get(
          func.getContext(), func.front().getArgumentTypes(), results));
    }
    numChannels += width - kept;
  }
};
} // namespace
