//===- HostModel.cpp - A compiled model running in this process -*- C++ -*-===//
//
// compileModule(..., SharedObject) into a temporary directory, dlopen with
// RTLD_NOW | RTLD_LOCAL (two models' identically named entry points stay
// apart), dlsym the model ABI into an llmc_compiled_model_t, and the C
// runtime's weights, session and tokenizer on top.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/HostModel.h"

#include "llmc/Compiler/Compiler.h"
#include "llmc/Compiler/InterruptCleanup.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>
#include <dlfcn.h>

using namespace llmc;
using namespace llmc::eval;

llvm::Error llmc::eval::runtimeError(llmc_status_t status) {
  if (llmc_status_is_ok(status))
    return llvm::Error::success();
  std::string message = llmc_status_message(status);
  message += " [";
  message += llmc_status_code_string(llmc_status_code(status));
  message += "]";
  llmc_status_free(status);
  return llvm::createStringError(message);
}

llvm::Expected<TargetSpec> llmc::eval::hostTargetSpec() {
  llvm::Triple host(llvm::sys::getProcessTriple());
  llvm::StringRef arch;
  switch (host.getArch()) {
  case llvm::Triple::x86_64:
    arch = "x86_64";
    break;
  case llvm::Triple::aarch64:
    arch = "aarch64";
    break;
  case llvm::Triple::riscv64:
    arch = "riscv64";
    break;
  default:
    return llvm::createStringError(
        "models run on the host, and the host (%s) is not an llmc target "
        "(x86_64, aarch64, riscv64)",
        host.str().c_str());
  }
  llvm::Expected<TargetSpec> spec = parseTargetSpec(arch);
  if (!spec)
    return spec.takeError();
  if (spec->arch == "x86_64") {
    // The default CPU, x86-64-v3, needs these; an older machine runs code
    // for its own CPU instead of faulting on an AVX2 instruction.
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    for (const char *f :
         {"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe"})
      if (!features.lookup(f)) {
        spec->cpu = llvm::sys::getHostCPUName().str();
        break;
      }
  }
  if (llvm::Error err = checkTargetSpec(*spec))
    return std::move(err);
  return spec;
}

llvm::Expected<std::unique_ptr<HostModel>>
HostModel::compile(mlir::ModuleOp module, const TargetSpec &target,
                   llvm::StringRef name, bool keepDirectory) {
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("llmc-eval", dir))
    return llvm::createStringError(
        ec, "cannot create a temporary directory: %s", ec.message().c_str());
  std::unique_ptr<HostModel> model(new HostModel());
  model->label = name.str();
  model->workDir = std::string(dir);
  model->keepWorkDir = keepDirectory;
  if (!keepDirectory)
    if (llvm::Error err = removeDirectoryOnInterrupt(dir)) {
      llvm::sys::fs::remove_directories(dir);
      model->workDir.clear();
      return std::move(err);
    }
  llvm::Expected<CompiledFiles> files =
      compileModule(module, target, dir, OutputKind::SharedObject);
  if (!files)
    return llvm::createStringError("compiling the %s: %s", name.str().c_str(),
                                   llvm::toString(files.takeError()).c_str());
  if (llvm::Error err = model->open(files->output, files->weights))
    return std::move(err);
  model->observed = files->layout.observations;
  return model;
}

llvm::Expected<std::unique_ptr<HostModel>>
HostModel::load(llvm::StringRef sharedObject, llvm::StringRef weights,
                llvm::StringRef name) {
  std::unique_ptr<HostModel> model(new HostModel());
  model->label = name.str();
  if (llvm::Error err = model->open(sharedObject, weights))
    return std::move(err);
  return model;
}

llvm::Error HostModel::open(llvm::StringRef sharedObject,
                            llvm::StringRef weights) {
  std::string path = sharedObject.str();
  library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return llvm::createStringError("cannot load %s: %s", path.c_str(),
                                   why ? why : "unknown error");
  }
  void *info = dlsym(library, "llmc_model_info");
  void *forward = dlsym(library, "llmc_model_forward");
  if (!info || !forward)
    return llvm::createStringError(
        "%s does not export llmc_model_info and llmc_model_forward",
        path.c_str());
  entryPoints.info = reinterpret_cast<llmc_model_info_fn_t>(info);
  entryPoints.forward = reinterpret_cast<llmc_model_forward_fn_t>(forward);
  entryPoints.prefill = reinterpret_cast<llmc_model_prefill_fn_t>(
      dlsym(library, "llmc_model_prefill"));

  auto annotate = [&](llmc_status_t status) -> llvm::Error {
    if (llvm::Error err = runtimeError(status))
      return llvm::createStringError("%s: %s", label.c_str(),
                                     llvm::toString(std::move(err)).c_str());
    return llvm::Error::success();
  };
  llmc_allocator_t allocator = llmc_allocator_system();
  if (llvm::Error err =
          annotate(llmc_compiled_model_query_info(&entryPoints, &modelInfo)))
    return err;
  std::string weightsPath = weights.str();
  if (llvm::Error err = annotate(
          llmc_weights_open_file(weightsPath.c_str(), LLMC_WEIGHTS_OPEN_DEFAULT,
                                 allocator, &weightsFile)))
    return err;
  if (llvm::Error err = annotate(
          llmc_session_create(&entryPoints, weightsFile, allocator, &session)))
    return err;
  return annotate(llmc_tokenizer_create_from_weights(
      weightsFile, modelInfo.vocab_size, allocator, &tok));
}

HostModel::~HostModel() {
  llmc_tokenizer_release(tok);
  llmc_session_release(session);
  llmc_weights_release(weightsFile);
  if (library)
    dlclose(library);
  if (!workDir.empty() && !keepWorkDir) {
    llvm::sys::fs::remove_directories(workDir);
    dontRemoveDirectoryOnInterrupt(workDir);
  }
}

llvm::Expected<std::vector<int32_t>> HostModel::encode(llvm::StringRef text,
                                                       bool addBos) const {
  std::vector<int32_t> tokens(llmc_tokenizer_encode_capacity(text.size()));
  size_t count = 0;
  if (llvm::Error err = runtimeError(llmc_tokenizer_encode(
          tok, text.data(), text.size(), addBos ? LLMC_ENCODE_ADD_BOS : 0,
          tokens.data(), tokens.size(), &count)))
    return std::move(err);
  tokens.resize(count);
  return tokens;
}

std::string HostModel::decode(llvm::ArrayRef<int32_t> tokens) const {
  int32_t bos = llmc_tokenizer_bos_id(tok), eos = llmc_tokenizer_eos_id(tok);
  std::string text;
  int32_t prev = -1;
  for (int32_t token : tokens) {
    llmc_string_view_t piece = {nullptr, 0};
    llmc_status_t status = llmc_tokenizer_decode(tok, prev, token, &piece);
    if (llmc_status_is_ok(status) && token != bos && token != eos)
      text.append(piece.data, piece.size);
    llmc_status_free(status);
    prev = token;
  }
  return text;
}

llvm::Error HostModel::computeLogits(llvm::ArrayRef<int32_t> tokens,
                                     llvm::MutableArrayRef<float> logits) {
  if (logits.size() != tokens.size() * size_t(modelInfo.vocab_size))
    return llvm::createStringError("%s: %zu logits for %zu tokens of a "
                                   "%lld-token vocabulary",
                                   label.c_str(), logits.size(), tokens.size(),
                                   (long long)modelInfo.vocab_size);
  auto start = std::chrono::steady_clock::now();
  llmc_status_t status = llmc_session_compute_logits(
      session, tokens.data(), tokens.size(), logits.data());
  seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  calls += int64_t(tokens.size());
  if (llvm::Error err = runtimeError(status))
    return llvm::createStringError("%s: %s", label.c_str(),
                                   llvm::toString(std::move(err)).c_str());
  return llvm::Error::success();
}

llvm::Expected<llvm::MutableArrayRef<float>> HostModel::forward(int32_t token,
                                                                int64_t pos) {
  float *logits = nullptr;
  auto start = std::chrono::steady_clock::now();
  llmc_status_t status = llmc_session_forward(session, token, pos, &logits);
  seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ++calls;
  if (llvm::Error err = runtimeError(status))
    return llvm::createStringError("%s: %s", label.c_str(),
                                   llvm::toString(std::move(err)).c_str());
  return llvm::MutableArrayRef<float>(logits, size_t(modelInfo.vocab_size));
}
