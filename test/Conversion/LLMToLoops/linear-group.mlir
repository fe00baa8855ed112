// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni parallel-min-work=0 prefill-chunk=4" | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni parallel-min-work=0 decode-streams=2" | FileCheck %s --check-prefix=STREAMS
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni parallel-min-work=0 prefill-chunk=8" | FileCheck %s --check-prefix=ACTIVE

// Linears right after one another that read the same input (q/k/v here:
// @wq, @wk, @wv, int8 and int4 interleaved) run as one parallel loop over
// the row groups of all three (4 + 2 + 2 iterations), with the input
// quantized once; the f32 linear @wf of the same input keeps its own loop.
// Each member's iterations run its own kernel on local row group
// `task - begin`.
// CHECK-LABEL: func.func private @llmc_model_forward_task0(
// CHECK: %[[Q:.*]] = arith.cmpi ult, %[[T:.*]], %c4{{.*}} : index
// CHECK: scf.if %[[Q]] {
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: } else {
// CHECK: %[[K:.*]] = arith.cmpi ult, %[[T]], %c6{{.*}} : index
// CHECK: scf.if %[[K]] {
// CHECK: arith.subi %[[T]], %c4{{.*}} : index
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: } else {
// CHECK: arith.subi %[[T]], %c6{{.*}} : index
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: vector.reduction <maxui>
// CHECK-NOT: vector.reduction <maxui>
// CHECK: llvm.call %arg6(%arg7, %c8_i64, {{.*}})
// CHECK: llvm.call %arg6(%arg7, %c32_i64, {{.*}})

// Prefill (4 rows): the same grouping.
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk(
// CHECK: llvm.call %arg6(%arg7, %c8_i64{{.*}}, {{.*}})

// A chunk of 8 rows (2 tiles of 4): the tile loop of each member runs
// min(ceil(ACTIVE / 4), 2) tiles, ACTIVE = LAST + 1 the rows that hold
// tokens (a partial chunk's padding rows are skipped).
// ACTIVE-LABEL: func.func private @llmc_model_prefill_chunk_task1(
// ACTIVE: %[[LAST:.*]] = arith.index_cast %{{.*}} : i64 to index
// ACTIVE: %[[ACTIVE:.*]] = arith.addi %[[LAST]], %c1{{.*}} : index
// ACTIVE: %[[UP:.*]] = arith.addi %[[ACTIVE]], %c3{{.*}} : index
// ACTIVE: %[[NEED:.*]] = arith.divui %[[UP]], %c4{{.*}} : index
// ACTIVE: %[[TILES:.*]] = arith.minui %[[NEED]], %c2{{.*}} : index
// ACTIVE: scf.for %{{.*}} = %c0{{.*}} to %[[TILES]] step
// ACTIVE-LABEL: func.func private @llmc_model_prefill_chunk(
// ACTIVE-SAME: %[[L:arg8]]: index)

// decode-streams=2: two row groups per iteration of the int8 members, one
// of the int4 @wk (int4 takes half the streams: its blocks are half the
// bytes): 2 + 2 + 1 iterations, each member with its own count.
// STREAMS-LABEL: func.func private @llmc_model_forward_task0(
// STREAMS: arith.cmpi ult, %{{.*}}, %c2{{.*}} : index
// STREAMS: arith.cmpi ult, %{{.*}}, %c4{{.*}} : index
// STREAMS-LABEL: func.func @llmc_model_forward(
// STREAMS: llvm.call %arg6(%arg7, %c5_i64, {{.*}})

llm.weight @wq : tensor<64x64xf32> format <q8_0>
llm.weight @wk : tensor<32x64xf32> format <q4_0>
llm.weight @wv : tensor<32x64xf32> format <q8_0>
llm.weight @wf : tensor<32x64xf32>
llm.weight @wh : tensor<64x32xf32> format <q8_0>
llm.weight @wo : tensor<16x64xf32> format <q8_0>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %q = llm.linear %x, @wq : tensor<1x64xf32> -> tensor<1x64xf32>
  %k = llm.linear %x, @wk : tensor<1x64xf32> -> tensor<1x32xf32>
  %v = llm.linear %x, @wv : tensor<1x64xf32> -> tensor<1x32xf32>
  %f = llm.linear %x, @wf : tensor<1x64xf32> -> tensor<1x32xf32>
  %kv = llm.add %k, %v : tensor<1x32xf32>
  %kvf = llm.add %kv, %f : tensor<1x32xf32>
  %h = llm.linear %kvf, @wh : tensor<1x32xf32> -> tensor<1x64xf32>
  %s = llm.add %q, %h : tensor<1x64xf32>
  %o = llm.linear %s, @wo : tensor<1x64xf32> -> tensor<1x16xf32>
  return %o : tensor<1x16xf32>
}
