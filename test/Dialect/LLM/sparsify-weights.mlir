// RUN: llmc-opt %s --split-input-file --llm-sparsify-weights | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-sparsify-weights="only=^q4$" | FileCheck %s --check-prefix=ONLY

// Every 4 inputs of @w's row hold 2 nonzero int8 quants (0, 3, 0, -5) and
// @q4's 2 nonzero q4_0 nibbles (2, 0, 0, -3): both become 2:4 sparse (the
// bytes stay dense). The f32 linear weight is left dense (skipped-float),
// and so are the token embedding and the classifier.
// CHECK-LABEL: module @marks
// CHECK: llm.weight @emb : tensor<4x64xf32> = dense<
// CHECK: llm.weight @w : tensor<1x64xf32> format <int8, group = 32> sparsity <2:4> = dense<
// CHECK: llm.weight @q4 : tensor<1x64xf32> format <q4_0> sparsity <2:4> = dense<
// CHECK: llm.weight @f : tensor<64x1xf32> = dense<
// CHECK: llm.weight @cls : tensor<4x64xf32> format <int8, group = 32> = dense<
// ONLY-LABEL: module @marks
// ONLY: llm.weight @w : tensor<1x64xf32> format <int8, group = 32> = dense<
// ONLY: llm.weight @q4 : tensor<1x64xf32> format <q4_0> sparsity <2:4> = dense<
module @marks {
  llm.weight @emb : tensor<4x64xf32> = dense<0.5> : tensor<4x64xf32>
  llm.weight @w : tensor<1x64xf32> format <int8, group = 32> = dense<[0, 0, 0, 63, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 0, 0, 63, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5, 0, 3, 0, -5]> : tensor<72xi8>
  llm.weight @q4 : tensor<1x64xf32> format <q4_0> = dense<[0, 60, -86, -120, -120, 85, -86, -120, -120, 85, -86, -120, -120, 85, -86, -120, -120, 85, 0, 60, -86, -120, -120, 85, -86, -120, -120, 85, -86, -120, -120, 85, -86, -120, -120, 85]> : tensor<36xi8>
  llm.weight @f : tensor<64x1xf32> = dense<1.0> : tensor<64x1xf32>
  llm.weight @cls : tensor<4x64xf32> format <int8, group = 32> = dense<0> : tensor<288xi8>
  func.func @decode(%tok: tensor<1xi32>) -> tensor<1x4xf32> {
    %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
    %a = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x1xf32>
    %b = llm.linear %x, @q4 : tensor<1x64xf32> -> tensor<1x1xf32>
    %c = llm.linear %a, @f : tensor<1x1xf32> -> tensor<1x64xf32>
    %y = llm.linear %c, @cls : tensor<1x64xf32> -> tensor<1x4xf32>
    return %y : tensor<1x4xf32>
  }
}
