// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni decode-streams=4 decode-prefetch=8 parallel-min-work=0" | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni decode-streams=4 parallel-min-work=0" | FileCheck %s --check-prefix=OFF
// RUN: not llmc-opt %s --convert-llm-to-loops="decode-prefetch=65" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not llmc-opt %s --convert-llm-to-loops="decode-prefetch=-1" 2>&1 | FileCheck %s --check-prefix=BADNEG

// Decode with decode-prefetch=8: each iteration of the q4_0 linear's block
// loop prefetches, for each of its 2 read streams (row groups; int4 takes
// half of decode-streams=4), the 4
// 64-byte words and the scales of block + 8. The block is clamped once per
// row group, to the weight's last one (4 row groups x 2 blocks: 7), and
// the words are constant offsets from it; the scale row likewise (8 rows).
// CHECK-LABEL: func.func private @llmc_model_forward_task0(
// CHECK: scf.for %[[BLK:.*]] = %{{.*}} to %c2{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>)
// CHECK: %[[AHEAD:.*]] = arith.addi %[[BLK]], %c8
// CHECK: %[[AT:.*]] = arith.addi %{{.*}}, %[[AHEAD]]
// CHECK: %[[CL:.*]] = arith.minui %[[AT]], %c7
// CHECK: %[[WORD:.*]] = arith.muli %[[CL]], %c4
// CHECK: memref.prefetch %{{.*}}[%[[WORD]], %{{.*}}], read, locality<0>, data : memref<32x64xi8>
// CHECK: %[[W3:.*]] = arith.addi %[[WORD]], %c3
// CHECK-NEXT: arith.constant 0
// CHECK-NEXT: memref.prefetch %{{.*}}[%[[W3]], %{{.*}}], read, locality<0>, data : memref<32x64xi8>
// CHECK: %[[S:.*]] = arith.addi %{{.*}}, %[[AHEAD]]
// CHECK: %[[SC:.*]] = arith.minui %[[S]], %c7
// CHECK: memref.prefetch %{{.*}}[%[[SC]], %{{.*}}], read, locality<0>, data : memref<8x16xf16>
// CHECK-COUNT-4: memref.prefetch %{{.*}}, read, locality<0>, data : memref<32x64xi8>
// CHECK: memref.prefetch %{{.*}}, read, locality<0>, data : memref<8x16xf16>
// CHECK-NOT: memref.prefetch
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: return
// A 2:4 sparse q4_0 linear: per stream, its block + 8 (clamped to the last
// of 4 row groups x 2 blocks) in each of the separate arrays: the kept
// quants (2 words), the 2-bit positions, the kept-quant sums and the
// scales.
// CHECK-LABEL: func.func private @llmc_model_forward_task1(
// CHECK: %[[SAHEAD:.*]] = arith.addi %{{.*}}, %c8
// CHECK: %[[SAT:.*]] = arith.addi %{{.*}}, %[[SAHEAD]]
// CHECK: %[[ITEM:.*]] = arith.minui %[[SAT]], %c7
// CHECK: %[[KEPT:.*]] = arith.muli %[[ITEM]], %c2
// CHECK: memref.prefetch %{{.*}}[%[[KEPT]], %{{.*}}], read, locality<0>, data : memref<16x64xi8>
// CHECK: memref.prefetch {{.*}} : memref<16x64xi8>
// CHECK: memref.prefetch %{{.*}}[%[[ITEM]], %{{.*}}], read, locality<0>, data : memref<8x16xi32>
// CHECK: memref.prefetch %{{.*}}[%[[ITEM]], %{{.*}}], read, locality<0>, data : memref<8x16xi16>
// CHECK: memref.prefetch {{.*}} : memref<8x16xf16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// CHECK: return
// The q8_0 linear is not prefetched (8 words per block measured slower).
// CHECK-LABEL: func.func private @llmc_model_forward_task2(
// CHECK-NOT: memref.prefetch
// CHECK: return

// The pass default (0): no decode prefetch.
// OFF-LABEL: func.func private @llmc_model_forward_task0(
// OFF-NOT: memref.prefetch
// OFF: return

// BAD: decode-prefetch must be in [0, 64], got 65
// BADNEG: decode-prefetch must be in [0, 64], got -1

llm.weight @w64 : tensor<64x64xf32> format <q4_0>
llm.weight @w80 : tensor<80x64xf32> format <q8_0>
llm.weight @s64 : tensor<64x64xf32> format <q4_0> sparsity <2:4>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x80xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %h = llm.linear %x, @w64 : tensor<1x64xf32> -> tensor<1x64xf32>
  %s = llm.linear %h, @s64 : tensor<1x64xf32> -> tensor<1x64xf32>
  %a = llm.linear %s, @w80 : tensor<1x64xf32> -> tensor<1x80xf32>
  return %a : tensor<1x80xf32>
}
