// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni prefill-chunk=8 decode-streams=4" | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni decode-streams=3" | FileCheck %s --check-prefix=THREE
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni" | FileCheck %s --check-prefix=ONE
// RUN: not llmc-opt %s --convert-llm-to-loops="decode-streams=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not llmc-opt %s --convert-llm-to-loops="decode-streams=17" 2>&1 | FileCheck %s --check-prefix=BAD

// Interleaved q8_0 linears (row groups of 16 rows) with x86 VNNI.
// CHECK: llm.weight @w64 {{.*}}llm.device_interleave = 16
// CHECK: llm.weight @w80 {{.*}}llm.device_interleave = 16

// Decode (one input row), decode-streams=4: each iteration of the block
// loop reads 4 row groups of @w64 side by side (4 read streams,
// one f32 accumulator per row group, each stored to its own 16 outputs),
// and the 5 row groups of @w80 one at a time (no count in 2..4 divides 5).
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-32: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-4: vector.store %{{.*}} : memref<1x64xf32>, vector<16xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf32>) {
// CHECK-NOT: memref.prefetch
// CHECK: return

// Prefill (8 rows, two tiles of 4; @w64's loop is a task): one row group
// per iteration, 4 tokens' accumulators, and each tile prefetches a word of
// the next row group's block (the last row group prefetches itself) and
// its scales.
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk_task0(
// CHECK: arith.minui %{{.*}}, %c3
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}], read, locality<2>, data : memref<64x64xi8>
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}], read, locality<2>, data : memref<8x16xf16>

// decode-streams=3: the largest count in 2..3 dividing 4 row groups is 2.
// Iteration t of the 2 reads row groups t and t + 2: each stream walks its
// half of the weight sequentially across iterations.
// THREE-LABEL: func.func @llmc_model_forward(
// THREE: scf.for %[[T:.*]] = %{{.*}} to %c2 step
// THREE: %[[RG0:.*]] = arith.addi %[[T]], %c0{{.*}} : index
// THREE: %[[RG1:.*]] = arith.addi %[[T]], %c2{{.*}} : index
// THREE: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// THREE: arith.muli %[[RG0]], %c2
// THREE: arith.muli %[[RG1]], %c2
// The default (1): one row group per iteration.
// ONE-LABEL: func.func @llmc_model_forward(
// ONE-NOT: -> (vector<16xf32>, vector<16xf32>
// ONE: scf.for {{.*}} -> (vector<16xf32>) {
// ONE: return
// BAD: decode-streams must be in [1, 16]

llm.weight @w64 : tensor<64x64xf32> format <q8_0>
llm.weight @w80 : tensor<80x64xf32> format <q8_0>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x80xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %h = llm.linear %x, @w64 : tensor<1x64xf32> -> tensor<1x64xf32>
  %a = llm.linear %h, @w80 : tensor<1x64xf32> -> tensor<1x80xf32>
  return %a : tensor<1x80xf32>
}
