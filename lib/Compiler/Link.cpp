//===- Link.cpp - Link compiled models with the linker driver ---*- C++ -*-===//
//
// The only external program llmc runs: clang with lld, to link a model
// object into a static device executable with the runtime for its target,
// or into a shared object for loading on the host.
//
//===----------------------------------------------------------------------===//

#include "llmc/Compiler/Compiler.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"

using namespace llmc;

#ifndef LLMC_DEFAULT_CLANG
#define LLMC_DEFAULT_CLANG "clang-22"
#endif
#ifndef LLMC_DEFAULT_RUNTIME_DIR
#define LLMC_DEFAULT_RUNTIME_DIR ""
#endif

static std::string envOr(const char *name, llvm::StringRef fallback) {
  if (std::optional<std::string> v = llvm::sys::Process::GetEnv(name))
    return *v;
  return fallback.str();
}

/// Runs the linker driver with `args` (after the program name).
static llvm::Error runLinker(llvm::ArrayRef<llvm::StringRef> args,
                             llvm::StringRef outPath) {
  std::string clang = envOr("LLMC_CLANG", LLMC_DEFAULT_CLANG);
  llvm::ErrorOr<std::string> clangPath = llvm::sys::findProgramByName(clang);
  if (!clangPath)
    return llvm::createStringError("cannot find the linker driver '%s' (set "
                                   "LLMC_CLANG)",
                                   clang.c_str());
  llvm::SmallVector<llvm::StringRef> argv = {*clangPath};
  argv.append(args.begin(), args.end());
  argv.append({"-o", outPath});
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*clangPath, argv, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0)
    return llvm::createStringError(
        "linking %s failed (%s exited with %d%s%s)", outPath.str().c_str(),
        clang.c_str(), rc, message.empty() ? "" : ": ", message.c_str());
  return llvm::Error::success();
}

llvm::Error llmc::linkExecutable(const TargetSpec &target,
                                 llvm::StringRef objectPath,
                                 llvm::StringRef outPath) {
  llvm::SmallString<256> runtimeDir(
      envOr("LLMC_RUNTIME_DIR", LLMC_DEFAULT_RUNTIME_DIR));
  llvm::sys::path::append(runtimeDir, target.triple);
  llvm::SmallString<256> lib(runtimeDir), main(runtimeDir);
  llvm::sys::path::append(lib, "libllmc_runtime.a");
  llvm::sys::path::append(main, "llmc_run_main.o");
  for (llvm::StringRef f : {llvm::StringRef(lib), llvm::StringRef(main)})
    if (!llvm::sys::fs::exists(f))
      return llvm::createStringError("the runtime for %s is missing: %s (set "
                                     "LLMC_RUNTIME_DIR)",
                                     target.triple.c_str(), f.str().c_str());
  std::string targetFlag = "--target=" + target.triple;
  llvm::SmallVector<llvm::StringRef> args = {targetFlag, "-static",
                                             "-fuse-ld=lld"};
  if (target.arch == "riscv64")
    args.push_back("-march=rv64gc");
  args.append({main, objectPath, lib, "-lm", "-lpthread"});
  return runLinker(args, outPath);
}

llvm::Error llmc::linkSharedObject(const TargetSpec &target,
                                   llvm::StringRef objectPath,
                                   llvm::StringRef outPath) {
  std::string targetFlag = "--target=" + target.triple;
  // -z defs: every symbol the model needs (libm) is resolved now, not at
  // dlopen time.
  llvm::SmallVector<llvm::StringRef> args = {
      targetFlag, "-shared", "-fuse-ld=lld", "-Wl,-z,defs", objectPath, "-lm"};
  return runLinker(args, outPath);
}
