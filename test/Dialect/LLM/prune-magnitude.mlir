// RUN: llmc-opt %s --split-input-file --llm-prune-magnitude="sparsity=0.5" | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-prune-magnitude="sparsity=0.5 scope=layer" | FileCheck %s --check-prefix=LAYER
// RUN: llmc-opt %s --split-input-file --llm-prune-magnitude="sparsity=0" | FileCheck %s --check-prefix=ZERO
// RUN: llmc-opt %s --split-input-file --llm-prune-magnitude="sparsity=0.5 include-embeddings=true" | FileCheck %s --check-prefix=EMB
// RUN: llmc-opt %s --split-input-file --llm-prune-magnitude="sparsity=0.5 only=^w skip=keep" | FileCheck %s --check-prefix=FILTER

// New values are f32 bytes in a dense_resource blob: a 4-byte alignment
// header (01000000), then little-endian floats: 00000000 = 0,
// CDCCCC3D = 0.1, CDCC4CBE = -0.2, 9A99993E = 0.3, CDCCCC3E = 0.4,
// 0000803F = 1, 000000C0 = -2, 00004040 = 3, 000080C0 = -4.

// Per row (default), each row loses its 2 smallest |w|; per matrix, the 4
// smallest of all 8 go, which here is the whole first row. Among equal
// magnitudes the earlier entries go first. The norm vector is never pruned.
// CHECK-LABEL: module @values
// CHECK: llm.weight @w : tensor<2x4xf32> = dense_resource<w> : tensor<32xi8>
// CHECK: llm.weight @ties : tensor<1x4xf32> = dense_resource<ties> : tensor<16xi8>
// CHECK: llm.weight @norm : tensor<4xf32> = dense<
// CHECK: w: "0x0100000000000000000000009A99993ECDCCCC3E000000000000000000004040000080C0"
// CHECK: ties: "0x0100000000000000000000000000803F0000803F"
// LAYER-LABEL: module @values
// LAYER: w: "0x01000000000000000000000000000000000000000000803F000000C000004040000080C0"
// Sparsity 0 keeps every value (stored as a blob like any pruned weight).
// ZERO-LABEL: module @values
// ZERO: w: "0x01000000CDCCCC3DCDCC4CBE9A99993ECDCCCC3E0000803F000000C000004040000080C0"
module @values {
  llm.weight @w : tensor<2x4xf32> = dense<[[0.1, -0.2, 0.3, 0.4], [1.0, -2.0, 3.0, -4.0]]> : tensor<2x4xf32>
  llm.weight @ties : tensor<1x4xf32> = dense<1.0> : tensor<1x4xf32>
  llm.weight @norm : tensor<4xf32> = dense<[0.0, 1.0, 2.0, 3.0]> : tensor<4xf32>
}

// -----

// The token embedding and the classifier (the linear whose result is
// returned) stay dense unless include-embeddings is set.
// CHECK-LABEL: module @embeddings
// CHECK: llm.weight @emb : tensor<4x2xf32> = dense<
// CHECK: llm.weight @cls : tensor<4x2xf32> = dense<
// CHECK: llm.weight @w : tensor<2x2xf32> = dense_resource<w>
// EMB-LABEL: module @embeddings
// EMB: llm.weight @emb : tensor<4x2xf32> = dense_resource<emb>
// EMB: llm.weight @cls : tensor<4x2xf32> = dense_resource<cls>
// EMB: llm.weight @w : tensor<2x2xf32> = dense_resource<w>
module @embeddings {
  llm.weight @emb : tensor<4x2xf32> = dense<0.5> : tensor<4x2xf32>
  llm.weight @cls : tensor<4x2xf32> = dense<0.25> : tensor<4x2xf32>
  llm.weight @w : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
  func.func @decode(%tok: tensor<1xi32>) -> tensor<1x4xf32> {
    %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x2xf32>
    %h = llm.linear %x, @w : tensor<1x2xf32> -> tensor<1x2xf32>
    %y = llm.linear %h, @cls : tensor<1x2xf32> -> tensor<1x4xf32>
    return %y : tensor<1x4xf32>
  }
}

// -----

// only / skip select weights by name.
// FILTER-LABEL: module @filters
// FILTER: llm.weight @w1 : tensor<2x2xf32> = dense_resource<w1>
// FILTER: llm.weight @w_keep : tensor<2x2xf32> = dense<
// FILTER: llm.weight @other : tensor<2x2xf32> = dense<
module @filters {
  llm.weight @w1 : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
  llm.weight @w_keep : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
  llm.weight @other : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
}
