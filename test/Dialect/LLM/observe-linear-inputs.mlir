// RUN: llmc-opt %s --llm-observe-linear-inputs | FileCheck %s

// Each linear's input is observed under its weight's name; a second use of
// the same weight gets a numbered name.
// CHECK-LABEL: func.func @f
// CHECK: llm.observe %[[X:.*]] {name = "linear.w"} : tensor<1x4xf32>
// CHECK-NEXT: %[[Y:.*]] = llm.linear %[[X]], @w
// CHECK: llm.observe %[[Y]] {name = "linear.w#1"}
// CHECK-NEXT: llm.linear %[[Y]], @w
llm.weight @w : tensor<4x4xf32>
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = llm.linear %x, @w : tensor<1x4xf32> -> tensor<1x4xf32>
  %z = llm.linear %y, @w : tensor<1x4xf32> -> tensor<1x4xf32>
  return %z : tensor<1x4xf32>
}
