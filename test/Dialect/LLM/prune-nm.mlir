// RUN: llmc-opt %s --split-input-file --llm-prune-nm | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-prune-nm="n=4 m=8" | FileCheck %s --check-prefix=N4M8
// RUN: llmc-opt %s --split-input-file --llm-prune-nm="n=4 m=4" | FileCheck %s --check-prefix=KEEP
// RUN: llmc-opt %s --split-input-file --llm-prune-nm="include-embeddings=true skip=^b" | FileCheck %s --check-prefix=EMB

// New values are f32 bytes in a dense_resource blob: a 4-byte alignment
// header (01000000), then little-endian floats: 00000000 = 0,
// CDCCCC3D = 0.1, CDCC4CBE = -0.2, 9A99993E = 0.3, CDCCCC3E = 0.4,
// 0000803F = 1, 000000C0 = -2, 00004040 = 3, 000080C0 = -4.

// 2:4 (default) keeps the 2 largest |w| of every 4 consecutive inputs of a
// row; 4:8 the 4 largest of every 8, which can keep unevenly many per half
// (here all of the second half). Among equal magnitudes the earlier
// entries go first. Rows whose length is not a multiple of m (@odd, 6
// inputs) stay as they are; n = m keeps everything.
// CHECK-LABEL: module @values
// CHECK: llm.weight @w : tensor<1x8xf32> = dense_resource<w> : tensor<32xi8>
// CHECK: llm.weight @odd : tensor<1x6xf32> = dense<
// CHECK: llm.weight @ties : tensor<2x4xf32> = dense_resource<ties>
// CHECK: w: "0x0100000000000000000000009A99993ECDCCCC3E000000000000000000004040000080C0"
// CHECK: ties: "0x0100000000000000000000000000803F0000803F00000000000000000000803F0000803F"
// N4M8-LABEL: module @values
// N4M8: llm.weight @odd : tensor<1x6xf32> = dense<
// N4M8: w: "0x01000000000000000000000000000000000000000000803F000000C000004040000080C0"
// KEEP-LABEL: module @values
// KEEP: w: "0x01000000CDCCCC3DCDCC4CBE9A99993ECDCCCC3E0000803F000000C000004040000080C0"
module @values {
  llm.weight @w : tensor<1x8xf32> = dense<[[0.1, -0.2, 0.3, 0.4, 1.0, -2.0, 3.0, -4.0]]> : tensor<1x8xf32>
  llm.weight @odd : tensor<1x6xf32> = dense<1.0> : tensor<1x6xf32>
  llm.weight @ties : tensor<2x4xf32> = dense<1.0> : tensor<2x4xf32>
}

// -----

// The token embedding and the classifier are only pruned on request;
// only / skip select by name.
// CHECK-LABEL: module @embeddings
// CHECK: llm.weight @emb : tensor<4x4xf32> = dense<
// CHECK: llm.weight @blk : tensor<4x4xf32> = dense_resource<blk>
// EMB-LABEL: module @embeddings
// EMB: llm.weight @emb : tensor<4x4xf32> = dense_resource<emb>
// EMB: llm.weight @blk : tensor<4x4xf32> = dense<
module @embeddings {
  llm.weight @emb : tensor<4x4xf32> = dense<0.5> : tensor<4x4xf32>
  llm.weight @blk : tensor<4x4xf32> = dense<1.0> : tensor<4x4xf32>
  func.func @decode(%tok: tensor<1xi32>) -> tensor<1x4xf32> {
    %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x4xf32>
    %h = llm.linear %x, @blk : tensor<1x4xf32> -> tensor<1x4xf32>
    %y = llm.linear %h, @emb : tensor<1x4xf32> -> tensor<1x4xf32>
    return %y : tensor<1x4xf32>
  }
}
