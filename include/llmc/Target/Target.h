//===- Target.h - Device targets, object code and weights files -*- C++ -*-===//
//
// What llmc knows about a device target (triple, CPU, features), how it
// turns an LLVM-dialect module into an object file for it, and how it writes
// the device weights file.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TARGET_TARGET_H
#define LLMC_TARGET_TARGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace llmc {

/// A device target.
struct TargetSpec {
  std::string arch;     ///< "x86_64", "aarch64" or "riscv64".
  std::string triple;   ///< LLVM triple, e.g. "aarch64-linux-gnu".
  std::string cpu;      ///< LLVM CPU name.
  std::string features; ///< LLVM feature string, e.g. "+neon,+dotprod".
  std::string abi;      ///< ABI name where the target needs one (lp64d).
};

/// Parses `arch[:cpu[:features]]`, e.g. `aarch64`, `x86_64:znver4`,
/// `riscv64:generic-rv64:+v,+zvl256b`. Unknown architectures are an error
/// that lists the known ones.
llvm::Expected<TargetSpec> parseTargetSpec(llvm::StringRef spec);

/// Whether the target converts f16 to f32 in hardware (scalar and vector);
/// if not, the lowering widens f16 weights with integer arithmetic rather
/// than calling a libgcc routine the device's libc may lack.
bool hasNativeF16Conversion(const TargetSpec &target);

/// Whether the target's CPU and features include every feature of
/// `features` ("+avx512vnni,+avx512vl"); false for an unknown target.
bool targetHasFeatures(const TargetSpec &target, llvm::StringRef features);

/// Checks that LLVM knows the target's CPU and every feature it names, so a
/// typo fails before any work is done.
llvm::Error checkTargetSpec(const TargetSpec &target);

/// Translates an LLVM-dialect module to LLVM IR, optimizes it at O3 for the
/// target and writes an object file (or textual assembly) to `path`.
llvm::Error emitObjectFile(mlir::ModuleOp module, const TargetSpec &target,
                           llvm::StringRef path, bool assembly = false);

/// Writes the device weights file (runtime/include/llmc/format.h) of a
/// module lowered by convert-llm-to-loops: every llm.weight packed at its
/// llm.device_offset, and the llm.tokenizer section. Reads external weight
/// data from its model file (memory-mapped) and checks every range.
llvm::Error writeWeightsFile(mlir::ModuleOp module, llvm::StringRef path);

} // namespace llmc

#endif // LLMC_TARGET_TARGET_H
