//===- WeightRewrite.h - Selecting and rewriting weights --------*- C++ -*-===//
//
// Shared by the compression passes that compute new weight values (pruning,
// low-rank factorization): which weights a pass may touch (`only`/`skip`
// regular expressions, the token embedding and classifier), storing new f32
// values, giving one user its own copy of a shared weight, and slicing rows
// and columns of a row-major matrix.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_TRANSFORMS_WEIGHTREWRITE_H
#define LLMC_DIALECT_LLM_TRANSFORMS_WEIGHTREWRITE_H

#include "llm/IR/LLMOps.h"
#include "llm/IR/WeightData.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Regex.h"

#include <vector>

namespace llmc::llm {

/// The `only` / `skip` weight-name filters of a compression pass.
class WeightFilter {
public:
  /// Compiles the expressions (empty = no filter). Emits an error on
  /// `module`, prefixed by `pass`, and fails if one is not a valid regular
  /// expression or if `only` matches the name of no weight in the module
  /// (almost always a typo).
  mlir::LogicalResult init(mlir::ModuleOp module, llvm::StringRef pass,
                           llvm::StringRef only, llvm::StringRef skip);
  /// Whether the filters let the weight named `name` through.
  bool selects(llvm::StringRef name) const;

private:
  std::optional<llvm::Regex> onlyRe, skipRe;
};

/// The names of the weights that are the token embedding or the classifier:
/// tables of `llm.embedding` ops and weights of `llm.linear` ops whose
/// result a function returns (the logits).
llvm::DenseSet<mlir::StringAttr>
getEmbeddingAndClassifierWeights(mlir::ModuleOp module);

/// The ops that reference `weight` (by symbol) inside `module`.
llvm::SmallVector<mlir::Operation *> getWeightUsers(mlir::ModuleOp module,
                                                    WeightOp weight);

/// Makes `values` (row-major f32 of `shape`) the weight's data: its logical
/// type becomes `shape`, the format attribute is removed (f32 storage) and
/// the bytes go into a new `dense_resource` blob.
void setWeightValues(WeightOp weight, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<float> values);

/// Creates an f32 weight named `name` (uniqued with a numeric suffix if
/// taken) right after `anchor`, holding `values` of `shape`.
WeightOp createWeightAfter(mlir::SymbolTable &symbols, WeightOp anchor,
                           llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<float> values);

/// Like getExclusiveWeight, for the bias `user` reads (its `bias` symbol).
WeightOp getExclusiveBias(mlir::ModuleOp module, mlir::SymbolTable &symbols,
                          WeightOp bias, LinearOp user, llvm::StringRef suffix);

/// Returns a weight that only `user` references, so that rewriting it does
/// not change any other op: `weight` itself when `user` is its only user,
/// otherwise a copy named `<name><suffix>` placed after it, which `user` now
/// references instead.
WeightOp getExclusiveWeight(mlir::ModuleOp module, mlir::SymbolTable &symbols,
                            WeightOp weight, LinearOp user,
                            llvm::StringRef suffix);

/// `value` as a user would write it in an option (%g), for diagnostics.
std::string formatOptionValue(double value);

/// Bias correction (b += (W - W') E[x]) shared by the passes that change
/// weight values: reads the input means `llmc calibrate` writes, indexes
/// each linear by the name llm-observe-linear-inputs gives its input, and
/// gives corrected linears a new f32 bias (old bias + correction).
class BiasCorrection {
public:
  /// With an empty `path`, a disabled correction. Errors name `pass`.
  static mlir::FailureOr<BiasCorrection>
  load(mlir::ModuleOp module, llvm::StringRef pass, llvm::StringRef path);

  bool enabled() const { return !means.empty(); }
  /// Records the correction of every linear that reads `weight`, whose
  /// values go from `before` to `after` (rows x cols).
  void record(WeightOp weight, int64_t rows, int64_t cols,
              llvm::ArrayRef<float> before, llvm::ArrayRef<float> after);
  /// Gives the recorded linears their new biases; returns how many.
  mlir::FailureOr<int64_t> apply(mlir::ModuleOp module,
                                 WeightDataReader &reader);

private:
  llvm::StringMap<std::vector<double>> means;
  llvm::DenseMap<mlir::StringAttr,
                 llvm::SmallVector<std::pair<LinearOp, std::string>>>
      linearsOf;
  llvm::SmallVector<std::pair<LinearOp, std::vector<float>>> corrections;
};

/// For structural rewrites that do not slice biases (width slicing): emits
/// an error naming `pass` and fails if any llm.linear has one.
mlir::LogicalResult rejectBiasedLinears(mlir::ModuleOp module,
                                        llvm::StringRef pass);

/// The rows `keep` (in that order) of a rows x cols row-major matrix.
std::vector<float> gatherRows(llvm::ArrayRef<float> values, int64_t cols,
                              llvm::ArrayRef<int64_t> keep);

/// The columns `keep` (in that order) of a rows x cols row-major matrix.
std::vector<float> gatherColumns(llvm::ArrayRef<float> values, int64_t rows,
                                 int64_t cols, llvm::ArrayRef<int64_t> keep);

} // namespace llmc::llm

#endif // LLMC_DIALECT_LLM_TRANSFORMS_WEIGHTREWRITE_H
