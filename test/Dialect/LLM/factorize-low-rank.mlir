// RUN: llmc-opt %s --split-input-file --llm-factorize-low-rank="rank=1" | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-factorize-low-rank="rank=2" | FileCheck %s --check-prefix=RANK2
// RUN: llmc-opt %s --split-input-file --llm-factorize-low-rank="energy=0.9" | FileCheck %s --check-prefix=ENERGY
// RUN: llmc-opt %s --split-input-file --llm-factorize-low-rank="ratio=0.25" | FileCheck %s --check-prefix=RATIO
// RUN: llmc-opt %s --split-input-file --llm-factorize-low-rank="rank=1 include-classifier=true" | FileCheck %s --check-prefix=CLS

// W = [1 2 3 4]^T [1 0 0 0] has rank 1: A = U_1 S_1 = +-[1 2 3 4]^T and
// B = V_1^T = +-[1 0 0 0] (0000803F = 1, 000080BF = -1, 00000040 = 2).
// @w becomes @w.B then @w.A, read by two linears; @w is gone. Rank 2
// would store 2 (4 + 4) = 16 entries, no fewer than the 16 of @w, so
// rank=2 leaves it (and so does full rank).
// CHECK-LABEL: module @rank_one
// CHECK-NOT: llm.weight @w :
// CHECK: llm.weight @w.B : tensor<1x4xf32> = dense_resource<w.B> : tensor<16xi8>
// CHECK: llm.weight @w.A : tensor<4x1xf32> = dense_resource<w.A> : tensor<16xi8>
// CHECK-NOT: llm.weight @w :
// CHECK: %[[T:.*]] = llm.linear %{{.*}}, @w.B : tensor<1x4xf32> -> tensor<1x1xf32>
// CHECK: %[[Y:.*]] = llm.linear %[[T]], @w.A : tensor<1x1xf32> -> tensor<1x4xf32>
// CHECK: llm.add %[[Y]], %{{.*}}
// CHECK: w.B: "0x01000000000080{{3F|BF}}000000000000000000000000"
// CHECK: w.A: "0x01000000000080{{3F|BF}}000000{{40|C0}}
// RANK2-LABEL: module @rank_one
// RANK2: llm.weight @w : tensor<4x4xf32> = dense<
// RANK2: llm.linear %{{.*}}, @w : tensor<1x4xf32> -> tensor<1x4xf32>
// RATIO-LABEL: module @rank_one
// RATIO: llm.linear %{{.*}}, @w.B : tensor<1x4xf32> -> tensor<1x1xf32>
module @rank_one {
  llm.weight @w : tensor<4x4xf32> = dense<[[1.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [3.0, 0.0, 0.0, 0.0], [4.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %y = llm.linear %x, @w : tensor<1x4xf32> -> tensor<1x4xf32>
    %z = llm.add %y, %x : tensor<1x4xf32>
    return %z : tensor<1x4xf32>
  }
}

// -----

// Singular values 8, 4, 2, 1, 1, 1, 1, 1 (sum of squares 89): energy=0.9
// needs 3 of them (84/89; 80/89 is not enough), ratio=0.25 of rank 8 is 2.
// ENERGY-LABEL: module @diagonal
// ENERGY: llm.weight @d.B : tensor<3x8xf32>
// ENERGY: llm.weight @d.A : tensor<8x3xf32>
// RATIO-LABEL: module @diagonal
// RATIO: llm.weight @d.B : tensor<2x8xf32>
// RATIO: llm.weight @d.A : tensor<8x2xf32>
// RANK2-LABEL: module @diagonal
// RANK2: llm.weight @d.B : tensor<2x8xf32>
module @diagonal {
  llm.weight @d : tensor<8x8xf32> = dense<[[8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf32>
  func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
    %y = llm.linear %x, @d : tensor<1x8xf32> -> tensor<1x8xf32>
    %z = llm.add %y, %x : tensor<1x8xf32>
    return %z : tensor<1x8xf32>
  }
}

// -----

// Two linears share @s: it is factorized once and both read the factors.
// CHECK-LABEL: module @shared
// CHECK: %[[T0:.*]] = llm.linear %{{.*}}, @s.B
// CHECK: llm.linear %[[T0]], @s.A
// CHECK: %[[T1:.*]] = llm.linear %{{.*}}, @s.B
// CHECK: llm.linear %[[T1]], @s.A
module @shared {
  llm.weight @s : tensor<4x4xf32> = dense<1.0> : tensor<4x4xf32>
  func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %y = llm.linear %x, @s : tensor<1x4xf32> -> tensor<1x4xf32>
    %z = llm.linear %y, @s : tensor<1x4xf32> -> tensor<1x4xf32>
    %r = llm.add %z, %x : tensor<1x4xf32>
    return %r : tensor<1x4xf32>
  }
}

// -----

// The classifier is left alone unless include-classifier is set; a tied
// classifier then still stays, because the embedding keeps reading the
// full table and the factors would only add bytes.
// CHECK-LABEL: module @tied
// CHECK: llm.linear %{{.*}}, @emb : tensor<1x4xf32> -> tensor<1x8xf32>
// CLS-LABEL: module @tied
// CLS: llm.linear %{{.*}}, @emb : tensor<1x4xf32> -> tensor<1x8xf32>
module @tied {
  llm.weight @emb : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
  func.func @decode(%tok: tensor<1xi32>) -> tensor<1x8xf32> {
    %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x4xf32>
    %y = llm.linear %x, @emb : tensor<1x4xf32> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}

// -----

// CHECK-LABEL: module @untied
// CHECK: llm.linear %{{.*}}, @out : tensor<1x4xf32> -> tensor<1x8xf32>
// CLS-LABEL: module @untied
// CLS: %[[T:.*]] = llm.linear %{{.*}}, @out.B : tensor<1x4xf32> -> tensor<1x1xf32>
// CLS: llm.linear %[[T]], @out.A : tensor<1x1xf32> -> tensor<1x8xf32>
module @untied {
  llm.weight @emb : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
  llm.weight @out : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
  func.func @decode(%tok: tensor<1xi32>) -> tensor<1x8xf32> {
    %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x4xf32>
    %y = llm.linear %x, @out : tensor<1x4xf32> -> tensor<1x8xf32>
    return %y : tensor<1x8xf32>
  }
}
