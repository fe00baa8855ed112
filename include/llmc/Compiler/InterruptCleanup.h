//===- InterruptCleanup.h - Remove work dirs on SIGINT ----------*- C++ -*-===//
//
// llmc compile writes its artifact into a temporary sibling directory that
// replaces the output only on success, and llmc eval compiles its models in
// temporary directories. Their error paths remove these; the functions here
// remove them as well when the process is interrupted (SIGINT, SIGTERM or
// SIGHUP), the way llvm::sys::RemoveFileOnSignal does for files.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_INTERRUPTCLEANUP_H
#define LLMC_COMPILER_INTERRUPTCLEANUP_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace llmc {

/// From now until dontRemoveDirectoryOnInterrupt(dir), SIGINT, SIGTERM and
/// SIGHUP remove `dir` and everything in it, then end the process with the
/// same signal (the exit status a shell expects, e.g. 130 for SIGINT). Files
/// registered with llvm::sys::RemoveFileOnSignal are removed too. A signal
/// the process started with ignored (nohup, a background job of a
/// non-interactive shell) stays ignored.
///
/// The signal handler only writes the signal's number to a pipe; a thread
/// reads it and removes the directories outside the handler, so nothing that
/// is unsafe in a signal handler runs in one. The first call installs the
/// handler and starts the thread (both stay for the life of the process);
/// it fails only if the pipe or the thread cannot be created.
llvm::Error removeDirectoryOnInterrupt(llvm::StringRef dir);

/// Stops removing `dir` on a signal.
void dontRemoveDirectoryOnInterrupt(llvm::StringRef dir);

/// Runs `step` (e.g. the rename that publishes an artifact) so that a signal
/// cannot cut it in half: a signal that arrives meanwhile is handled after
/// it, and removes only what is still registered then.
llvm::Error runUninterrupted(llvm::function_ref<llvm::Error()> step);

} // namespace llmc

#endif // LLMC_COMPILER_INTERRUPTCLEANUP_H
