//===- Manifest.cpp - The artifact's manifest.json --------------*- C++ -*-===//
//
// What was compiled, for which target, and the sizes the runtime will
// allocate (docs/artifact.md).
//
//===----------------------------------------------------------------------===//

#include "llmc/Compiler/Compiler.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llmc;

llvm::Error llmc::writeManifest(llvm::StringRef path, llvm::StringRef source,
                                const TargetSpec &target,
                                const CompiledFiles &files,
                                llvm::StringRef compress) {
  uint64_t weightsFileSize = 0;
  llvm::sys::fs::file_size(files.weights, weightsFileSize);
  auto name = [](llvm::StringRef p) { return llvm::sys::path::filename(p); };
  llvm::json::Object manifest{
      {"format", "llmc-artifact"},
      {"version", 1},
      {"source", llvm::sys::path::filename(source)},
      {"target", llvm::json::Object{{"arch", target.arch},
                                    {"triple", target.triple},
                                    {"cpu", target.cpu},
                                    {"features", target.features}}},
      {"model_id", llvm::formatv("{0:x16}", files.layout.modelId).str()},
      {"files", llvm::json::Object{{"executable", name(files.output)},
                                   {"weights", name(files.weights)},
                                   {"object", name(files.object)}}},
      {"weights_file_bytes", int64_t(weightsFileSize)},
      {"weights_data_bytes", files.layout.weightsBytes},
      {"kv_cache_bytes", files.layout.kvCacheBytes},
      {"arena_bytes", files.layout.arenaBytes},
      {"max_seq", files.layout.maxSeq},
  };
  if (!compress.empty())
    manifest["compress"] = compress;
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write %s: %s",
                                   path.str().c_str(), ec.message().c_str());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return llvm::Error::success();
}
