//===- HostModel.h - A compiled model running in this process ---*- C++ -*-===//
//
// Compiles an llm module for the host as a shared object in a temporary
// directory, loads it with dlopen (RTLD_LOCAL, so several models coexist),
// opens its weights with the C runtime and creates a session: what
// `llmc eval` runs the reference and the candidate with. Forward calls are
// timed for decode throughput.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_EVAL_HOSTMODEL_H
#define LLMC_EVAL_HOSTMODEL_H

#include "llmc/Compiler/Compiler.h"
#include "llmc/Target/Target.h"
#include "llmc/runtime.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace llmc::eval {

/// The target to compile for to run on this machine: the host
/// architecture's default target (what `llmc compile` builds for a device
/// of the same architecture), or the host CPU if this machine lacks the
/// default CPU's features. An error if the host is not an llmc target.
llvm::Expected<TargetSpec> hostTargetSpec();

/// A model loaded into this process. Owns its temporary directory (removed
/// on destruction unless kept), the shared object handle and the runtime
/// objects.
class HostModel {
public:
  /// Lowers `module` (in place) for `target`, which must run on this
  /// machine, into a new temporary directory; links model.so; loads it.
  /// `name` labels the model in messages. With `keepDirectory` the
  /// directory survives the model (its path is directory()).
  static llvm::Expected<std::unique_ptr<HostModel>>
  compile(mlir::ModuleOp module, const TargetSpec &target, llvm::StringRef name,
          bool keepDirectory = false);

  /// Loads a model shared object (exporting llmc_model_info and
  /// llmc_model_forward) and its weights file.
  static llvm::Expected<std::unique_ptr<HostModel>>
  load(llvm::StringRef sharedObject, llvm::StringRef weights,
       llvm::StringRef name);

  ~HostModel();
  HostModel(const HostModel &) = delete;
  HostModel &operator=(const HostModel &) = delete;

  llvm::StringRef name() const { return label; }
  /// The directory compile() wrote ("" after load()).
  llvm::StringRef directory() const { return workDir; }
  const llmc_model_info_t &info() const { return modelInfo; }
  int64_t vocabSize() const { return modelInfo.vocab_size; }
  int64_t maxSeqLen() const { return modelInfo.max_seq_len; }
  const llmc_tokenizer_t *tokenizer() const { return tok; }

  /// Encodes `text` with the model's tokenizer (BOS first if `addBos`).
  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text,
                                              bool addBos) const;

  /// Decodes `tokens` (each piece against the previous token) to text;
  /// BOS and EOS print nothing.
  std::string decode(llvm::ArrayRef<int32_t> tokens) const;

  /// Runs tokens[0 .. n-1] from position 0 and writes every position's
  /// logits to `logits` (n * vocabSize floats).
  llvm::Error computeLogits(llvm::ArrayRef<int32_t> tokens,
                            llvm::MutableArrayRef<float> logits);

  /// One decode step (positions in order from 0). The logits are the
  /// session's: valid, and writable (a sampler scales them in place), until
  /// the next call.
  llvm::Expected<llvm::MutableArrayRef<float>> forward(int32_t token,
                                                       int64_t pos);

  /// The session's activation arena; after forward(), it holds the values
  /// of the model's observation points (observations()).
  const uint8_t *arena() const { return llmc_session_arena(session); }
  /// The observation points of a model compiled with llm.observe ops.
  llvm::ArrayRef<Observation> observations() const { return observed; }

  /// Forward calls made so far and the seconds they took.
  int64_t forwardCalls() const { return calls; }
  double forwardSeconds() const { return seconds; }

private:
  HostModel() = default;
  llvm::Error open(llvm::StringRef sharedObject, llvm::StringRef weights);

  std::string label;
  std::string workDir;
  bool keepWorkDir = false;
  void *library = nullptr;
  llmc_compiled_model_t entryPoints = {nullptr, nullptr, nullptr};
  llmc_model_info_t modelInfo = {};
  llmc_weights_t *weightsFile = nullptr;
  llmc_session_t *session = nullptr;
  llmc_tokenizer_t *tok = nullptr;
  std::vector<Observation> observed;
  int64_t calls = 0;
  double seconds = 0;
};

/// Turns a runtime status into an llvm::Error ("<message> [CODE]"),
/// consuming it; success for LLMC_OK.
llvm::Error runtimeError(llmc_status_t status);

} // namespace llmc::eval

#endif // LLMC_EVAL_HOSTMODEL_H
