//===- FactorizeLowRank.cpp - Truncated-SVD factorization -------*- C++ -*-===//
//
// Implements llm-factorize-low-rank: W ~= A B with A = U_k S_k, B = V_k^T
// from the truncated SVD of W (Eckart-Young: the best rank-k approximation
// in the Frobenius norm), so llm.linear %x, @W becomes two thinner linears.
// Plain SVD without activation whitening (SVD-LLM, arXiv 2403.07378).
//
//===----------------------------------------------------------------------===//

#include "llm/IR/WeightData.h"
#include "llm/Transforms/Passes.h"
#include "llm/Transforms/WeightRewrite.h"

#include "mlir/IR/Builders.h"

#include <Eigen/Dense>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>

namespace llmc::llm {
#define GEN_PASS_DEF_LLMFACTORIZELOWRANKPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
using RowMajorF =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The factors of one weight, row-major f32.
struct Factors {
  int64_t rank = 0;
  std::vector<float> a; ///< m x rank: U_k S_k
  std::vector<float> b; ///< rank x n: V_k^T
};

struct LLMFactorizeLowRankPass
    : public llmc::llm::impl::LLMFactorizeLowRankPassBase<
          LLMFactorizeLowRankPass> {
  using Base::Base;

  LogicalResult checkOptions(ModuleOp module) {
    int given = (rank != 0) + (ratio != 0.0) + (energy != 0.0);
    if (given != 1) {
      module.emitError() << "llm-factorize-low-rank: give exactly one of "
                            "rank, ratio and energy";
      return failure();
    }
    if (rank < 0) {
      module.emitError() << "llm-factorize-low-rank: rank must be positive, "
                            "got "
                         << static_cast<int64_t>(rank);
      return failure();
    }
    for (auto [name, value] :
         {std::pair<StringRef, double>{"ratio", ratio}, {"energy", energy}})
      if (value != 0.0 && !(value > 0.0 && value <= 1.0)) {
        module.emitError() << "llm-factorize-low-rank: " << name
                           << " must be in (0, 1], got "
                           << formatOptionValue(value);
        return failure();
      }
    return success();
  }

  /// The rank for `singular` values (descending) of a matrix of full rank
  /// `full`: the `rank` option, `ratio` of full, or the fewest values whose
  /// squares reach `energy` of their sum.
  int64_t chooseRank(int64_t full, const Eigen::VectorXd *singular) {
    if (rank > 0)
      return rank;
    if (ratio > 0.0)
      return std::clamp<int64_t>(std::lround(ratio * full), 1, full);
    double total = singular->squaredNorm(), kept = 0;
    for (int64_t k = 0; k < full; ++k) {
      kept += (*singular)[k] * (*singular)[k];
      if (kept >= energy * total * (1 - 1e-12))
        return k + 1;
    }
    return full;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    WeightFilter filter;
    if (failed(filter.init(module, "llm-factorize-low-rank", only, skip)))
      return signalPassFailure();
    llvm::DenseSet<StringAttr> excluded;
    if (!includeClassifier)
      excluded = getEmbeddingAndClassifierWeights(module);

    SymbolTable symbols(module);
    WeightDataReader reader;
    SmallVector<WeightOp> candidates;
    for (auto weight : module.getOps<WeightOp>())
      if (weight.getTensorType().getRank() == 2 &&
          !excluded.contains(weight.getSymNameAttr()) &&
          filter.selects(weight.getSymName()))
        candidates.push_back(weight);

    for (WeightOp weight : candidates) {
      int64_t m = weight.getRows(), n = weight.getCols();
      int64_t full = std::min(m, n);
      if (rank > full) {
        module.emitError() << "llm-factorize-low-rank: rank "
                           << static_cast<int64_t>(rank) << " is larger than "
                           << "the rank of @" << weight.getSymName() << " ("
                           << m << "x" << n << " has at most " << full << ")";
        return signalPassFailure();
      }
      SmallVector<LinearOp> linears;
      bool usedElsewhere = false;
      for (Operation *user : getWeightUsers(module, weight)) {
        if (auto linear = dyn_cast<LinearOp>(user))
          linears.push_back(linear);
        else
          usedElsewhere = true;
      }
      if (linears.empty())
        continue;

      /// Storage check: the factors hold k (m + n) entries, the weight m n
      /// (which stays if another op, e.g. a tied embedding, still reads it).
      auto saves = [&](int64_t k) {
        return !usedElsewhere && k * (m + n) < m * n;
      };
      if (rank > 0 && !saves(rank)) {
        ++numSkippedNoSaving;
        continue;
      }
      if (ratio > 0.0 && !saves(chooseRank(full, nullptr))) {
        ++numSkippedNoSaving;
        continue;
      }

      llvm::Expected<std::vector<float>> values = reader.getValues(weight);
      if (!values) {
        weight.emitOpError() << llvm::toString(values.takeError());
        return signalPassFailure();
      }
      /// W = U S V^T (thin), in double precision.
      Eigen::MatrixXd w =
          Eigen::Map<const RowMajorF>(values->data(), m, n).cast<double>();
      Eigen::BDCSVD<Eigen::MatrixXd> svd(w, Eigen::ComputeThinU |
                                                Eigen::ComputeThinV);
      int64_t k = chooseRank(full, &svd.singularValues());
      if (!saves(k)) {
        ++numSkippedNoSaving;
        continue;
      }
      /// A = U_k S_k, B = V_k^T.
      RowMajorF a = (svd.matrixU().leftCols(k) *
                     svd.singularValues().head(k).asDiagonal())
                        .cast<float>();
      RowMajorF b = svd.matrixV().leftCols(k).transpose().cast<float>();
      Factors factors{k, std::vector<float>(a.data(), a.data() + a.size()),
                      std::vector<float>(b.data(), b.data() + b.size())};
      rewrite(symbols, weight, linears, factors);
      ++numFactorized;
      numParamsRemoved += m * n - k * (m + n);
    }
  }

  /// Creates @W.B and @W.A after @W, makes every linear user read
  /// B then A, and erases @W.
  void rewrite(SymbolTable &symbols, WeightOp weight,
               ArrayRef<LinearOp> linears, const Factors &factors) {
    int64_t m = weight.getRows(), n = weight.getCols(), k = factors.rank;
    WeightOp b = createWeightAfter(
        symbols, weight, (weight.getSymName() + ".B").str(), {k, n}, factors.b);
    WeightOp a = createWeightAfter(
        symbols, b, (weight.getSymName() + ".A").str(), {m, k}, factors.a);
    for (LinearOp linear : linears) {
      OpBuilder builder(linear);
      auto inputType = linear.getInput().getType();
      auto middleType = RankedTensorType::get({inputType.getDimSize(0), k},
                                              inputType.getElementType());
      auto first = LinearOp::create(builder, linear.getLoc(), middleType,
                                    linear.getInput(),
                                    FlatSymbolRefAttr::get(b.getSymNameAttr()),
                                    /*bias=*/FlatSymbolRefAttr());
      linear.getInputMutable().assign(first.getResult());
      linear.setWeightAttr(FlatSymbolRefAttr::get(a.getSymNameAttr()));
    }
    symbols.erase(weight);
  }
};
} // namespace
