// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops=decode-streams=4 | FileCheck %s --check-prefix=STREAMS

// The bias of output n is loaded once, before the loop over input rows, and
// added to each row's inner product.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %c16
// CHECK: %[[BIAS:.*]] = memref.load %{{.*}}[%{{.*}}, %[[N]]] : memref<1x16xf32>
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %c1
// CHECK: %[[DOT:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[Y:.*]] = arith.addf %[[DOT]], %[[BIAS]] : f32
// CHECK: memref.store %[[Y]], %{{.*}}[%[[T]], %[[N]]]
// decode-streams=4: each of 4 iterations reads 4 adjacent weight rows side
// by side (4 accumulators in one loop), then adds each output's bias to
// its inner product.
// STREAMS-LABEL: func.func @llmc_model_forward
// STREAMS: scf.for %{{.*}} = %{{.*}} to %c4
// STREAMS: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// STREAMS: %[[DOT:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// STREAMS-COUNT-3: vector.reduction <add>
// STREAMS: %[[BIAS:.*]] = memref.load %{{.*}}[%{{.*}}, %[[N:.*]]] : memref<1x16xf32>
// STREAMS: %[[Y:.*]] = arith.addf %[[DOT]], %[[BIAS]] : f32
// STREAMS: memref.store %[[Y]], %{{.*}}[%{{.*}}, %[[N]]]
// STREAMS-COUNT-3: arith.addf %{{.*}}, %{{.*}} : f32
// STREAMS: return
llm.weight @emb : tensor<16x32xf32>
llm.weight @b : tensor<16xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb bias @b : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
