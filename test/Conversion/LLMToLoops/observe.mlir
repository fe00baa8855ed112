// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s

// An observation copies its value into an arena region that nothing else
// reuses and lists it in llm.observations for the host.
// CHECK-LABEL: module attributes
// CHECK-SAME: llm.observations = [{cols = 32 : i64, name = "embedded", offset = [[OFF:[0-9]+]] : i64, rows = 1 : i64}]
// CHECK: func.func @llmc_model_forward
// CHECK: %[[COPY:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<1x32xf32>
// CHECK: memref.store %{{.*}}, %[[COPY]]
llm.weight @emb : tensor<16x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  llm.observe %x {name = "embedded"} : tensor<1x32xf32>
  %l = llm.linear %x, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
