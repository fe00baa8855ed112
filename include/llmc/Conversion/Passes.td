//===- Passes.td - llmc conversion passes ------------------*- tablegen -*-===//
//
// Conversions out of the llm dialect towards LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_CONVERSION_PASSES_TD
#define LLMC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLLMToLoopsPass : Pass<"convert-llm-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lowers the flat llm decode function to buffer-level loops "
                "over the device weights, KV cache and activation arena.";
  let description = [{
    Turns the decode entry point (a `func.func` with `llm.entry = "decode"`,
    taking `tensor<1xi32>` tokens, an `index` position and an
    `!llm.kv_cache`, returning `tensor<1xVxf32>` logits, after
    `llm-inline-structure`) into the device ABI:

    ```mlir
    func.func @llmc_model_forward(%weights: memref<Wxi8>, %kv: memref<Kxi8>,
        %arena: memref<Axi8>, %token: i32, %pos: index, %logits: memref<Vxf32>,
        %parallel_for: !llvm.ptr, %pool: !llvm.ptr)
    func.func @llmc_model_prefill(%weights: memref<Wxi8>, %kv: memref<Kxi8>,
        %arena: memref<Axi8>, %tokens: memref<Cxi32>, %n: i64, %pos: index,
        %logits: memref<Vxf32>, %parallel_for: !llvm.ptr, %pool: !llvm.ptr)
    func.func @llmc_model_info(%out: memref<16xi64>)
    ```

    Loops with enough independent work (the output features of a linear)
    are outlined into private task functions `(ctx, begin, end)` called
    through `%parallel_for` (directly over the whole range when it is
    null), so the runtime's thread pool splits them; each range runs in the
    original order, so logits do not depend on the thread count. With
    `prefill-chunk=C` (C > 1), prefill of exactly C tokens runs a copy of the
    decode function whose row dimension is C (`llmc_model_prefill_chunk`),
    with the same per-row arithmetic as decode. Fewer tokens (at least 4,
    if the C positions fit the context) run it padded with copies of the
    last token, computing only the tiles that hold tokens; fewer than 4 run
    one forward call each.

    On the way it plans memory statically: every weight gets a 64-byte
    aligned offset in the device weights file in its packed device layout
    (recorded as `llm.device_offset` on the `llm.weight`), and every
    intermediate activation an offset in one arena whose size the compiler
    computes (buffers whose lifetimes do not overlap share memory). The
    module gets an `llm.device_layout` dictionary (weights, KV-cache and
    arena bytes, model id) that the weights writer and the runtime use.

    Each llm op becomes `scf` loops over `memref` views with `vector`
    arithmetic in the inner dimension. Floating-point sums keep a fixed
    order (16 lanes, then an ordered reduction), so every target computes
    bit-identical logits.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "Number of f32 lanes of the inner-product vectors">,
    Option<"emulateF16", "emulate-f16", "bool", "false",
           "Widen f16 weights with integer arithmetic (targets without an "
           "f16 conversion instruction)">,
    Option<"integerDot", "integer-dot", "bool", "true",
           "int8/int4 linears quantize their input to int8 per 32-element "
           "block and use exact integer dot products (false: widen the "
           "weight quants to f32, the reference path)">,
    Option<"dotInstruction", "dot-instruction", "std::string", "\"generic\"",
           "Instruction of the integer dot products: generic (portable vector "
           "code; AArch64 +dotprod selects sdot from it), widening (16-bit "
           "products accumulated into 32 bits: RISC-V V vwmul/vwmacc, with "
           "interleaved weights in 1-byte words, k-major), avx2 "
           "(x86 pmaddubsw + pmaddwd), "
           "avx512-vnni (vpdpbusd, needs AVX512-VNNI and AVX512VL), "
           "avx-vnni, neon-dotprod (AArch64 sdot, needs +dotprod) or "
           "neon-i8mm (AArch64 sdot for one input row and smmla for pairs "
           "of rows in prefill, with interleaved weights in 8-byte words; "
           "needs +dotprod and +i8mm); the results are identical">,
    Option<"parallelMinWork", "parallel-min-work", "int64_t", "32768",
           "Loops of independent iterations (linear output features) with at "
           "least this much work (iterations times multiply-adds per "
           "iteration) are outlined into tasks run through the ABI's "
           "parallel-for callback; smaller ones stay plain loops">,
    Option<"decodeStreams", "decode-streams", "int64_t", "1",
           "With one input row (decode), each parallel iteration of a linear "
           "reads up to this many weight rows (f32/f16) or 16-row groups "
           "(interleaved int8/int4) side by side, the largest count S that "
           "divides the rows, spaced rows / S apart: S long sequential read "
           "streams per thread (int4 weights: half as many, their blocks "
           "being half the bytes; llmc compile: 4 on x86-64, 1 elsewhere); "
           "results are identical">,
    Option<"decodePrefetch", "decode-prefetch", "int64_t", "0",
           "With one input row (decode), interleaved int4 linears (dense "
           "or 2:4 sparse) prefetch the words and scales of the block this "
           "many blocks ahead in each read stream, non-temporally (each "
           "weight byte is read once per token), 0..64 (0: none; llmc "
           "compile: 8 on x86-64, 0 elsewhere); results are identical">,
    Option<"attentionHeads", "attention-heads", "int64_t", "1",
           "Each parallel iteration of attention computes this many query "
           "heads of one KV head (the largest divisor of the group up to "
           "it), loading each key and value row once for all of them, "
           "1..16 (llmc compile: 4 on x86-64, 1 elsewhere); results are "
           "identical">,
    Option<"prefillChunk", "prefill-chunk", "int64_t", "1",
           "Tokens per llmc_model_prefill call: C > 1 also emits a C-row copy "
           "of the decode function that prefill runs on 4..C tokens "
           "(padded; clamped to max_seq_len); 1 runs prefill one forward "
           "call per token">
  ];
  let statistics = [
    Statistic<"arenaBytes", "arena-bytes", "Bytes of the activation arena">,
    Statistic<"weightBytes", "weight-bytes",
              "Bytes of the device weights data">
  ];
}

def LLMStripModelDataPass : Pass<"llm-strip-model-data", "::mlir::ModuleOp"> {
  let summary = "Removes llm.weight and llm.tokenizer ops once the weights "
                "file has been written.";
  let description = [{
    After `convert-llm-to-loops`, weights and the tokenizer are only needed
    by the weights writer; the code refers to them by offset. This pass
    erases them (they must have no remaining uses) so the module lowers to
    LLVM.
  }];
}

def LLMCApproximateMathPass
    : Pass<"llmc-approximate-math", "::mlir::ModuleOp"> {
  let summary = "Rewrites f32 math.exp into a polynomial of basic arithmetic";
  let description = [{
    Replaces every f32 `math.exp` (scalar or vector) by MLIR's polynomial
    approximation: range reduction by ln 2, a polynomial with explicit
    `math.fma`, and the exponent built from integer bits. Runs after
    `convert-llm-to-loops`, before the math dialect lowers to LLVM.

    Why: a libm `expf` call is scalar, so a vector of exponentials (SiLU,
    softmax) would be split into one call per lane; the polynomial stays in
    vector registers. And it is the same basic IEEE operations on every
    target, so x86-64, AArch64 and RISC-V compute the same bits without
    depending on each platform's libm.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // LLMC_CONVERSION_PASSES_TD
