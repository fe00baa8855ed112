// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni parallel-min-work=0" | FileCheck %s

// Decode: a linear whose output reaches an RMSNorm (through the residual
// add) before any other linear or attention has each parallel iteration
// prefetch two 64-byte lines of the norm's weight: lines 2 * (task mod 1)
// and the next (clamped to the last, line 1), for a 128-byte (32 x f32)
// weight. The calling thread's serial norm after the loop then finds it in
// cache. The linear after the norm is followed by no norm and prefetches
// none.
// CHECK-LABEL: func.func private @llmc_model_forward_task0(
// CHECK: %[[NORM:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<{{.*}}xi8> to memref<128xi8>
// CHECK: %[[PAIR:.*]] = arith.remui %{{.*}}, %c1{{.*}} : index
// CHECK: %[[LINE:.*]] = arith.muli %[[PAIR]], %c2{{.*}} : index
// CHECK: %[[AFTER:.*]] = arith.addi %[[LINE]], %c1{{.*}} : index
// CHECK: %[[NEXT:.*]] = arith.minui %[[AFTER]], %c1{{.*}} : index
// CHECK: %[[AT:.*]] = arith.muli %[[LINE]], %c64{{.*}} : index
// CHECK: memref.prefetch %[[NORM]][%[[AT]]], read, locality<3>, data : memref<128xi8>
// CHECK: %[[AT2:.*]] = arith.muli %[[NEXT]], %c64{{.*}} : index
// CHECK: memref.prefetch %[[NORM]][%[[AT2]]], read, locality<3>, data : memref<128xi8>
// CHECK: return
// CHECK-LABEL: func.func private @llmc_model_forward_task1(
// CHECK-NOT: memref<128xi8>
// CHECK: return

llm.weight @emb : tensor<8x32xf32>
llm.weight @w : tensor<32x32xf32> format <q4_0>
llm.weight @n : tensor<32xf32>
llm.weight @out : tensor<32x32xf32> format <q8_0>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x32xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %h = llm.linear %x, @w : tensor<1x32xf32> -> tensor<1x32xf32>
  %r = llm.add %x, %h : tensor<1x32xf32>
  %n = llm.rms_norm %r, @n {eps = 1.0e-5 : f32} : tensor<1x32xf32>
  %o = llm.linear %n, @out : tensor<1x32xf32> -> tensor<1x32xf32>
  return %o : tensor<1x32xf32>
}
