// RUN: llmc-opt %s --llm-drop-unused-weights | FileCheck %s

// CHECK-LABEL: module
// CHECK: llm.weight @used
// CHECK-NOT: llm.weight @unused
// CHECK: func.func @f
llm.weight @used : tensor<4x4xf32>
llm.weight @unused : tensor<4x4xf32>
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = llm.linear %x, @used : tensor<1x4xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
