//===- llmc.cpp - The llmc driver -------------------------------*- C++ -*-===//
//
// One command from a model file to a device artifact:
//
//   llmc import  MODEL [-o model.mlir|.mlirbc]
//   llmc compile MODEL|IR --target ARCH[:CPU[:FEATURES]] -o OUTDIR
//
// `compile` imports (or parses) the model, runs the lowering pipelines,
// writes the packed weights file, emits the object code in process and links
// the device executable OUTDIR/llmc-run with the runtime for that target.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Registration.h"

#include "mlir/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
cl::SubCommand importCmd("import", "Import a model file into the llm dialect");
cl::SubCommand compileCmd("compile",
                          "Compile a model for a device: OUTDIR/llmc-run, "
                          "the weights file and a manifest");

cl::opt<std::string> importInput(cl::Positional, cl::desc("<model file>"),
                                 cl::Required, cl::sub(importCmd));
cl::opt<std::string> importOutput("o", cl::desc("Output .mlir or .mlirbc"),
                                  cl::init("-"), cl::sub(importCmd));
cl::opt<std::string> compileInput(cl::Positional,
                                  cl::desc("<model file or .mlir/.mlirbc>"),
                                  cl::Required, cl::sub(compileCmd));
cl::opt<std::string> compileOutput("o", cl::desc("Output directory"),
                                   cl::Required, cl::sub(compileCmd));
cl::opt<std::string> target("target",
                            cl::desc("Device: x86_64, aarch64 or riscv64, "
                                     "optionally :cpu[:+feature,...]"),
                            cl::init("x86_64"), cl::sub(compileCmd));
cl::opt<std::string> tokenizer("tokenizer",
                               cl::desc("Tokenizer file (llama2.c models)"),
                               cl::init(""), cl::sub(importCmd),
                               cl::sub(compileCmd));
cl::opt<int64_t> maxSeq("max-seq",
                        cl::desc("KV-cache length (default: the model's "
                                 "context length)"),
                        cl::init(0), cl::sub(importCmd), cl::sub(compileCmd));
cl::opt<std::string>
    compress("compress",
             cl::desc("Pass pipeline run on the llm module before lowering, "
                      "e.g. 'builtin.module(llm-inline-structure)' (any "
                      "registered pass; see llmc-opt --help)"),
             cl::value_desc("pipeline"), cl::init(""), cl::sub(compileCmd));
cl::opt<bool> emitAsm("emit-asm",
                      cl::desc("Also write the model's assembly "
                               "(OUTDIR/model.s)"),
                      cl::init(false), cl::sub(compileCmd));
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // Textual pipelines (--compress) name llmc's passes and the upstream
  // transforms (canonicalize, cse, ...).
  llmc::registerAllPassesAndPipelines();
  mlir::registerTransformsPasses();
  cl::ParseCommandLineOptions(
      argc, argv, "llmc: ahead-of-time compiler for small LLMs on edge CPUs\n");
  llmc::driver::CommonOptions common;
  common.load.tokenizerPath = tokenizer;
  common.load.maxSeq = maxSeq;
  Error err = Error::success();
  if (importCmd) {
    err = llmc::driver::runImport(importInput, importOutput, common);
  } else if (compileCmd) {
    llmc::driver::CompileOptions options;
    options.common = common;
    options.target = target;
    options.compress = compress;
    options.emitAssembly = emitAsm;
    err = llmc::driver::runCompile(compileInput, compileOutput, options);
  } else {
    WithColor::error(errs(), "llmc")
        << "expected a command: import or compile (see llmc --help)\n";
    return 2;
  }
  if (err) {
    logAllUnhandledErrors(std::move(err), WithColor::error(errs(), "llmc"));
    return 1;
  }
  return 0;
}
