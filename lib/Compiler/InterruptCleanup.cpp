//===- InterruptCleanup.cpp - Remove work directories on SIGINT/SIGTERM ---===//

#include "llmc/Compiler/InterruptCleanup.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Signals.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <iterator>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <pthread.h>
#include <unistd.h>

using namespace llmc;

namespace {
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

/// The process's registry. Created on first use and never destroyed: the
/// watcher thread runs until the process ends.
struct Registry {
  /// Held while the directories are removed after a signal (until the
  /// process ends) and while an uninterrupted step runs.
  std::mutex mutex;
  std::vector<std::string> dirs;
  int pipe[2] = {-1, -1};
};

/// Which of kSignals the process started with ignored (nohup, a background
/// job of a non-interactive shell). Recorded before main, so before LLVM's
/// handlers (llvm::InitLLVM) replace the dispositions; those signals stay
/// ignored.
struct InitialDispositions {
  bool ignored[std::size(kSignals)] = {};
  InitialDispositions() {
    for (auto [i, sig] : llvm::enumerate(kSignals)) {
      struct sigaction old;
      ignored[i] = sigaction(sig, nullptr, &old) == 0 &&
                   !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN;
    }
  }
};
const InitialDispositions initial;

std::atomic<Registry *> registry{nullptr};
std::once_flag started;
/// Why start() failed, for every caller after it.
std::string startError;
/// The handler's copy of the pipe's write end.
volatile sig_atomic_t writeEnd = -1;

/// Async-signal-safe: only write(2), with errno preserved.
extern "C" void onInterrupt(int sig) {
  int saved = errno;
  unsigned char byte = static_cast<unsigned char>(sig);
  ssize_t written = write(writeEnd, &byte, 1);
  (void)written;
  errno = saved;
}

/// The watcher thread: waits for a signal's number, removes the registered
/// directories and files, then ends the process with the signal's default
/// action.
void *watch(void *arg) {
  auto *r = static_cast<Registry *>(arg);
  unsigned char byte = 0;
  ssize_t got;
  do
    got = read(r->pipe[0], &byte, 1);
  while (got < 0 && errno == EINTR);
  if (got != 1)
    return nullptr;
  int sig = byte;
  // Held until the process ends: no uninterrupted step starts meanwhile.
  r->mutex.lock();
  for (const std::string &dir : r->dirs)
    // The other threads keep running and may add a file between the
    // removal's listing and its rmdir: retry a few times.
    for (int attempt = 0; attempt < 4 && llvm::sys::fs::exists(dir); ++attempt)
      llvm::sys::fs::remove_directories(dir);
  llvm::sys::RunInterruptHandlers();
  std::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);
}

void start() {
  auto r = std::make_unique<Registry>();
  if (::pipe(r->pipe) != 0) {
    startError = "cannot create a pipe for signal handling: " +
                 std::error_code(errno, std::generic_category()).message();
    return;
  }
  // pthread_create rather than std::thread: built without exceptions, a
  // failing std::thread would abort.
  pthread_t thread;
  if (int err = pthread_create(&thread, nullptr, watch, r.get())) {
    startError = "cannot start the signal handling thread: " +
                 std::error_code(err, std::generic_category()).message();
    close(r->pipe[0]);
    close(r->pipe[1]);
    return;
  }
  pthread_detach(thread);
  writeEnd = r->pipe[1];
  // LLVM installs its handlers (which remove llvm::sys::RemoveFileOnSignal
  // files) once, lazily; have it do so now so that it does not replace these
  // later. The watcher still runs its file removal.
  llvm::sys::SetInterruptFunction(nullptr);
  struct sigaction action = {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (auto [i, sig] : llvm::enumerate(kSignals))
    sigaction(sig, initial.ignored[i] ? &ignore : &action, nullptr);
  registry = r.release();
}
} // namespace

llvm::Error llmc::removeDirectoryOnInterrupt(llvm::StringRef dir) {
  std::call_once(started, start);
  Registry *r = registry.load();
  if (!r)
    return llvm::createStringError(startError);
  std::lock_guard<std::mutex> lock(r->mutex);
  r->dirs.push_back(dir.str());
  return llvm::Error::success();
}

void llmc::dontRemoveDirectoryOnInterrupt(llvm::StringRef dir) {
  Registry *r = registry.load();
  if (!r)
    return;
  std::lock_guard<std::mutex> lock(r->mutex);
  llvm::erase(r->dirs, dir.str());
}

llvm::Error llmc::runUninterrupted(llvm::function_ref<llvm::Error()> step) {
  Registry *r = registry.load();
  if (!r)
    return step();
  std::lock_guard<std::mutex> lock(r->mutex);
  return step();
}
