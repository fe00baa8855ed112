// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s

// The bias is added to each output after its inner product.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: %[[DOT:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[BIAS:.*]] = memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<1x16xf32>
// CHECK: arith.addf %[[DOT]], %[[BIAS]] : f32
llm.weight @emb : tensor<16x32xf32>
llm.weight @b : tensor<16xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb bias @b : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
