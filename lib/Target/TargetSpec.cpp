//===- TargetSpec.cpp - Parse device target descriptions --------*- C++ -*-===//
//
// Maps `arch[:cpu[:features]]` to an LLVM triple, CPU and feature string,
// with defaults that every device of the architecture runs.
//
//===----------------------------------------------------------------------===//

#include "llmc/Target/Target.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace llmc;

bool llmc::hasNativeF16Conversion(const TargetSpec &target) {
  if (target.arch != "riscv64")
    return true; // x86-64-v3 has F16C, AArch64 has fcvtl
  for (llvm::StringRef f : llvm::split(target.features, ','))
    if (f == "+zvfhmin" || f == "+zvfh")
      return true;
  return false;
}

llvm::Expected<TargetSpec> llmc::parseTargetSpec(llvm::StringRef spec) {
  llvm::SmallVector<llvm::StringRef, 3> parts;
  spec.split(parts, ':', /*MaxSplit=*/2);
  TargetSpec t;
  llvm::StringRef arch = parts[0];
  if (arch == "x86_64" || arch == "x86-64" || arch == "host") {
    // x86-64-v3 (AVX2, FMA) is the baseline of every x86 machine llmc
    // targets; pass a CPU for more (e.g. x86_64:znver4).
    t = {"x86_64", "x86_64-linux-gnu", "x86-64-v3", "", ""};
  } else if (arch == "aarch64" || arch == "arm64") {
    t = {"aarch64", "aarch64-linux-gnu", "generic", "+neon", ""};
  } else if (arch == "riscv64") {
    t = {"riscv64", "riscv64-linux-gnu", "generic-rv64", "+m,+a,+f,+d,+c,+v",
         "lp64d"};
  } else {
    return llvm::createStringError(
        "unknown target '%s' (expected x86_64, aarch64 or riscv64, "
        "optionally followed by :cpu[:features])",
        spec.str().c_str());
  }
  if (parts.size() > 1 && !parts[1].empty())
    t.cpu = parts[1].str();
  if (parts.size() > 2 && !parts[2].empty()) {
    // User features extend the defaults (RISC-V needs +v for the vector
    // code; an explicit -v is honored).
    t.features =
        t.features.empty() ? parts[2].str() : t.features + "," + parts[2].str();
  }
  for (llvm::StringRef f : llvm::split(t.features, ','))
    if (!f.empty() && f[0] != '+' && f[0] != '-')
      return llvm::createStringError(
          "target feature '%s' in '%s' must start with '+' or '-'",
          f.str().c_str(), spec.str().c_str());
  return t;
}
