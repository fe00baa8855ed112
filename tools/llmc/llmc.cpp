//===- llmc.cpp - The llmc driver -------------------------------*- C++ -*-===//
//
// One command from a model file to a device artifact:
//
//   llmc import  MODEL [-o model.mlir|.mlirbc]
//   llmc compile MODEL|IR --target ARCH[:CPU[:FEATURES]] -o OUTDIR
//   llmc eval    MODEL|IR [--compress=PIPELINE] [--reference=REF] ...
//
// `compile` imports (or parses) the model, runs the lowering pipelines,
// writes the packed weights file, emits the object code in process and links
// the device executable OUTDIR/llmc-run with the runtime for that target.
// `eval` runs a candidate and a reference on the host and reports their
// paired quality metrics (docs/evaluation.md).
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "llmc/Registration.h"

#include "mlir/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
cl::SubCommand importCmd("import", "Import a model file into the llm dialect");
cl::SubCommand compileCmd("compile",
                          "Compile a model for a device: OUTDIR/llmc-run, "
                          "the weights file and a manifest");
cl::SubCommand scoreCmd("score",
                        "Measure the importance of every attention/MLP "
                        "sublayer and layer on calibration text (for "
                        "skipping by score)");
cl::SubCommand calibrateCmd("calibrate",
                            "Measure the mean input of every linear on "
                            "calibration text (for --bias-correction)");
cl::SubCommand evalCmd("eval",
                       "Measure a candidate (MODEL after --compress) against "
                       "a reference on the host: perplexity, KL divergence, "
                       "top-1 agreement, greedy divergence, size, speed");

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
cl::opt<std::string> tokenizer(
    "tokenizer",
    cl::desc("llama2.c tokenizer file (llama2.c checkpoints, ONNX graphs)"),
    cl::init(""), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::sub(scoreCmd));
cl::opt<int64_t> maxSeq("max-seq",
                        cl::desc("KV-cache length (default: the model's "
                                 "context length)"),
                        cl::init(0), cl::sub(importCmd), cl::sub(compileCmd),
                        cl::sub(evalCmd), cl::sub(scoreCmd));
cl::opt<std::string>
    compress("compress",
             cl::desc("Pass pipeline run on the llm module before lowering, "
                      "e.g. 'builtin.module(llm-inline-structure)' (any "
                      "registered pass; see llmc-opt --help)"),
             cl::value_desc("pipeline"), cl::init(""), cl::sub(compileCmd),
             cl::sub(evalCmd));
// Named compression options (llmc-compress), for compile and eval.
cl::OptionCategory compressionCategory("Compression options");
cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize weight matrices: int8|int4[:gN|:pc][:asym], q8_0, "
             "q4_0, q4_k or f16 (e.g. int4:g32)"),
    cl::value_desc("format"), cl::init(""), cl::sub(compileCmd),
    cl::sub(evalCmd), cl::cat(compressionCategory));
cl::opt<std::string> quantizeEmbeddings(
    "quantize-embeddings",
    cl::desc("Format of the token embedding and classifier, applied before "
             "--quantize (e.g. int8:g32 keeps them at 8 bits)"),
    cl::value_desc("format"), cl::init(""), cl::sub(compileCmd),
    cl::sub(evalCmd), cl::cat(compressionCategory));
cl::opt<int64_t> skipAttention("skip-attention",
                               cl::desc("Attention sublayers to remove"),
                               cl::init(0), cl::sub(compileCmd),
                               cl::sub(evalCmd), cl::cat(compressionCategory));
cl::opt<int64_t> skipMlp("skip-mlp", cl::desc("MLP sublayers to remove"),
                         cl::init(0), cl::sub(compileCmd), cl::sub(evalCmd),
                         cl::cat(compressionCategory));
cl::opt<int64_t> skipLayers("skip-layers",
                            cl::desc("Whole decoder layers to remove"),
                            cl::init(0), cl::sub(compileCmd), cl::sub(evalCmd),
                            cl::cat(compressionCategory));
cl::opt<std::string> skipBy(
    "skip-by",
    cl::desc("Choose what to remove by importance score (measured on "
             "calibration text unless --scores) or by position (last layers)"),
    cl::value_desc("score|position"), cl::init("score"), cl::sub(compileCmd),
    cl::sub(evalCmd), cl::cat(compressionCategory));
cl::opt<std::string>
    scoresFile("scores", cl::desc("Importance scores from `llmc score` (JSON)"),
               cl::value_desc("file"), cl::init(""), cl::sub(compileCmd),
               cl::sub(evalCmd), cl::cat(compressionCategory));
cl::opt<std::string> calibration(
    "calibration",
    cl::desc("Calibration text for importance scores (default: the bundled "
             "evaluation stories)"),
    cl::value_desc("file"), cl::init(""), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::sub(scoreCmd), cl::sub(calibrateCmd), cl::cat(compressionCategory));

cl::opt<std::string> sparse(
    "sparse",
    cl::desc("N:M structured sparsity (only 2:4): prune every linear but the "
             "classifier to N nonzeros per M inputs by magnitude, then store "
             "the quantized weights compressed with kernels that skip the "
             "zeros (needs --quantize to int8, int4, q8_0 or q4_0)"),
    cl::value_desc("N:M"), cl::init(""), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::cat(compressionCategory));

cl::opt<std::string> kvCache(
    "kv-cache",
    cl::desc("Storage of the KV cache: f32, f16 (half the bytes) or int8 "
             "(symmetric, one f32 scale per position and KV head; about a "
             "quarter); attention computes in f32 either way"),
    cl::value_desc("f32|f16|int8"), cl::init("f32"), cl::sub(compileCmd),
    cl::sub(evalCmd), cl::cat(compressionCategory));

cl::opt<bool> biasCorrection(
    "bias-correction",
    cl::desc("Give quantized linears the bias b += (W - Q(W)) E[x], with "
             "E[x] measured on the calibration text"),
    cl::init(false), cl::sub(compileCmd), cl::sub(evalCmd),
    cl::cat(compressionCategory));

// llmc calibrate.
cl::opt<std::string> calibrateInput(cl::Positional,
                                    cl::desc("<model file or .mlir/.mlirbc>"),
                                    cl::Required, cl::sub(calibrateCmd));
cl::opt<std::string> calibrateOutput("o", cl::desc("Output JSON file"),
                                     cl::Required, cl::sub(calibrateCmd));

// llmc score.
cl::opt<std::string> scoreInput(cl::Positional,
                                cl::desc("<model file or .mlir/.mlirbc>"),
                                cl::Required, cl::sub(scoreCmd));
cl::opt<std::string> scoreOutput("o", cl::desc("Output JSON file (- = stdout)"),
                                 cl::init("-"), cl::sub(scoreCmd));

cl::opt<bool> emitAsm("emit-asm",
                      cl::desc("Also write the model's assembly "
                               "(OUTDIR/model.s)"),
                      cl::init(false), cl::sub(compileCmd));

enum class KernelKind { Fast, Reference };
cl::opt<KernelKind> kernels(
    "kernels", cl::desc("Kernels for int8/int4 weights"),
    cl::values(clEnumValN(KernelKind::Fast, "fast",
                          "int8 activations, integer dot products (default)"),
               clEnumValN(KernelKind::Reference, "reference",
                          "widen the weight quants to f32 (reference path)")),
    cl::init(KernelKind::Fast), cl::sub(compileCmd));

cl::opt<int64_t> prefillChunk(
    "prefill-chunk",
    cl::desc("Tokens the generated prefill processes per call as one batch "
             "(1 = token by token; clamped to the context length)"),
    cl::init(64), cl::sub(compileCmd));

cl::opt<int64_t> parallelMinWork(
    "parallel-min-work",
    cl::desc("Smallest loop (iterations x multiply-adds) split across "
             "threads; smaller ones run on the calling thread"),
    cl::init(32768), cl::sub(compileCmd));

cl::opt<int64_t> decodeStreams(
    "decode-streams",
    cl::desc("Weight rows (or 16-row groups) each decode iteration reads "
             "side by side, 1..16 (int4 weights: half as many; default: 4 "
             "on x86-64, 1 elsewhere); results are identical"),
    cl::init(0), cl::sub(compileCmd));

cl::opt<int64_t> decodePrefetch(
    "decode-prefetch",
    cl::desc("Blocks ahead that decode prefetches int4 weights in each read "
             "stream, 0..64 (0: none; default: 8 on x86-64, 0 elsewhere); "
             "results are identical"),
    cl::init(-1), cl::sub(compileCmd));

cl::opt<int64_t> attentionHeads(
    "attention-heads",
    cl::desc("Query heads of one KV head that each attention iteration "
             "computes together, sharing every key and value row it loads, "
             "1..16 (the largest divisor of the group up to it; default: 4 "
             "on x86-64, 1 elsewhere); results are identical"),
    cl::init(0), cl::sub(compileCmd));

// llmc eval.
cl::opt<std::string> evalInput(cl::Positional,
                               cl::desc("<model file or .mlir/.mlirbc>"),
                               cl::Required, cl::sub(evalCmd));
cl::opt<std::string>
    reference("reference",
              cl::desc("Reference model (default: MODEL without --compress)"),
              cl::value_desc("model"), cl::init(""), cl::sub(evalCmd));
cl::list<std::string>
    textFiles("text",
              cl::desc("Text file tokenized with the model's tokenizer (BOS "
                       "first) and cut into --ctx chunks; repeatable "
                       "(default: data/eval/stories.txt unless --sampled)"),
              cl::value_desc("file"), cl::sub(evalCmd));
cl::opt<int64_t> ctx("ctx",
                     cl::desc("Tokens per chunk (default: 128, or the "
                              "models' maximum sequence length if shorter)"),
                     cl::init(128), cl::sub(evalCmd));
cl::opt<int64_t> maxChunks("max-chunks",
                           cl::desc("Evaluate at most this many chunks of "
                                    "each text (0 = all)"),
                           cl::init(0), cl::sub(evalCmd));
cl::opt<int64_t>
    sampled("sampled",
            cl::desc("Also evaluate on K sequences sampled from the reference "
                     "(temperature 1, no top-p/top-k, from BOS)"),
            cl::value_desc("K"), cl::init(0), cl::sub(evalCmd));
cl::opt<int64_t> sampleLength("length",
                              cl::desc("Tokens per sampled sequence, BOS "
                                       "included (default: --ctx)"),
                              cl::init(0), cl::sub(evalCmd));
cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed of the first sampled sequence; "
                                "sequence k uses seed + k"),
                       cl::init(1), cl::sub(evalCmd));
cl::opt<int64_t> greedySteps("greedy-steps",
                             cl::desc("Greedy tokens each model generates "
                                      "from the first chunk's first 8 "
                                      "tokens (0 = skip)"),
                             cl::init(64), cl::sub(evalCmd));
cl::opt<bool> json("json", cl::desc("Print one JSON object instead of a table"),
                   cl::init(false), cl::sub(evalCmd));
cl::opt<bool> keepTemps("keep-temps",
                        cl::desc("Keep the compiled models' temporary "
                                 "directories (printed on stderr)"),
                        cl::init(false), cl::sub(evalCmd));
} // namespace

#ifndef LLMC_DEFAULT_EVAL_TEXT
#define LLMC_DEFAULT_EVAL_TEXT ""
#endif

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
  llmc::driver::CompressionRequest compression;
  compression.pipeline = compress;
  compression.named.quantize = quantize;
  compression.named.quantizeEmbeddings = quantizeEmbeddings;
  compression.named.skipAttention = skipAttention;
  compression.named.skipMlp = skipMlp;
  compression.named.skipLayers = skipLayers;
  compression.named.skipBy = skipBy;
  compression.named.scores = scoresFile;
  compression.named.sparse = sparse;
  if (kvCache != "f32" && kvCache != "f16" && kvCache != "int8") {
    WithColor::error(errs(), "llmc")
        << "--kv-cache must be f32, f16 or int8, got '" << kvCache << "'\n";
    return 1;
  }
  compression.named.kvCache = kvCache;
  compression.biasCorrection = biasCorrection;
  compression.calibrationText =
      calibration.empty() ? std::string(LLMC_DEFAULT_EVAL_TEXT) : calibration;
  Error err = Error::success();
  if (importCmd) {
    err = llmc::driver::runImport(importInput, importOutput, common);
  } else if (compileCmd) {
    llmc::driver::CompileOptions options;
    options.common = common;
    options.target = target;
    options.compression = compression;
    options.emitAssembly = emitAsm;
    options.referenceKernels = kernels == KernelKind::Reference;
    options.prefillChunk = prefillChunk;
    options.parallelMinWork = parallelMinWork;
    options.decodeStreams = decodeStreams;
    options.decodePrefetch = decodePrefetch;
    options.attentionHeads = attentionHeads;
    err = llmc::driver::runCompile(compileInput, compileOutput, options);
  } else if (calibrateCmd) {
    err = llmc::driver::runCalibrate(calibrateInput, calibrateOutput, common,
                                     compression.calibrationText);
  } else if (scoreCmd) {
    err = llmc::driver::runScore(scoreInput, scoreOutput, common,
                                 compression.calibrationText);
  } else if (evalCmd) {
    llmc::driver::EvalOptions options;
    options.common = common;
    // Scores measured for skipping live in a temporary file meanwhile
    // (removed on SIGINT/SIGTERM too: see llmc/Compiler/InterruptCleanup.h).
    llvm::SmallString<128> scores;
    llvm::sys::fs::createTemporaryFile("llmc-scores", "json", scores);
    llvm::sys::RemoveFileOnSignal(scores);
    llvm::FileRemover removeScores(scores);
    llvm::SmallString<128> means;
    llvm::sys::fs::createTemporaryFile("llmc-means", "json", means);
    llvm::sys::RemoveFileOnSignal(means);
    llvm::FileRemover removeMeans(means);
    Expected<std::string> text = llmc::driver::resolveCompression(
        evalInput, common.load, compression, scores, means);
    if (!text) {
      logAllUnhandledErrors(text.takeError(), WithColor::error(errs(), "llmc"));
      return 1;
    }
    options.compress = *text;
    options.reference = reference;
    options.textFiles.assign(textFiles.begin(), textFiles.end());
    options.defaultTextFile = LLMC_DEFAULT_EVAL_TEXT;
    if (ctx.getNumOccurrences())
      options.ctx = ctx;
    options.maxChunks = maxChunks;
    options.sampled = sampled;
    options.sampleLength = sampleLength;
    options.seed = seed;
    options.greedySteps = greedySteps;
    options.json = json;
    options.keepTemps = keepTemps;
    err = llmc::driver::runEval(evalInput, options, outs());
  } else {
    WithColor::error(errs(), "llmc") << "expected a command: import, compile, "
                                        "eval, score or calibrate (see llmc "
                                        "--help)\n";
    return 2;
  }
  if (err) {
    logAllUnhandledErrors(std::move(err), WithColor::error(errs(), "llmc"));
    return 1;
  }
  return 0;
}
