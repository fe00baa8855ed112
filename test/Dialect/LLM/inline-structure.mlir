// RUN: llmc-opt %s --split-input-file --llm-inline-structure | FileCheck %s

llm.weight @n : tensor<8xf32>
llm.weight @w : tensor<8x8xf32>

// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>)
// CHECK-NOT: llm.layer
// CHECK-NOT: llm.residual
// CHECK: %[[N:.*]] = llm.rms_norm %[[X]], @n
// CHECK: %[[L:.*]] = llm.linear %[[N]], @w
// CHECK: %[[A:.*]] = llm.add %[[X]], %[[L]] : tensor<1x8xf32>
// CHECK: %[[M:.*]] = llm.linear %[[A]], @w
// CHECK: %[[B:.*]] = llm.add %[[A]], %[[M]] : tensor<1x8xf32>
// CHECK: return %[[B]]
func.func @layer(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %y = llm.layer 0 (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>):
    %r = llm.residual <attention> (%a) : tensor<1x8xf32> {
    ^bb0(%in: tensor<1x8xf32>):
      %n = llm.rms_norm %in, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
      %l = llm.linear %n, @w : tensor<1x8xf32> -> tensor<1x8xf32>
      llm.yield %l : tensor<1x8xf32>
    }
    %m = llm.residual <mlp> (%r) : tensor<1x8xf32> {
    ^bb0(%in: tensor<1x8xf32>):
      %l = llm.linear %in, @w : tensor<1x8xf32> -> tensor<1x8xf32>
      llm.yield %l : tensor<1x8xf32>
    }
    llm.yield %m : tensor<1x8xf32>
  }
  return %y : tensor<1x8xf32>
}

// -----

// An empty sublayer body yields its input: the residual doubles it.
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>)
// CHECK: %[[A:.*]] = llm.add %[[X]], %[[X]]
// CHECK: return %[[A]]
func.func @identity(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %r = llm.residual <mlp> (%x) : tensor<1x8xf32> {
  ^bb0(%in: tensor<1x8xf32>):
    llm.yield %in : tensor<1x8xf32>
  }
  return %r : tensor<1x8xf32>
}
