// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s

// Decode (one input row) of an f32 linear: each of 4 iterations reads 4
// adjacent weight rows side by side (4 accumulators in one loop), then adds
// each output's bias to its inner product.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: scf.for %{{.*}} = %{{.*}} to %c4
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[DOT:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-COUNT-3: vector.reduction <add>
// CHECK: %[[BIAS:.*]] = memref.load %{{.*}}[%{{.*}}, %[[N:.*]]] : memref<1x16xf32>
// CHECK: %[[Y:.*]] = arith.addf %[[DOT]], %[[BIAS]] : f32
// CHECK: memref.store %[[Y]], %{{.*}}[%{{.*}}, %[[N]]]
// CHECK-COUNT-3: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: return
llm.weight @emb : tensor<16x32xf32>
llm.weight @b : tensor<16xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb bias @b : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
