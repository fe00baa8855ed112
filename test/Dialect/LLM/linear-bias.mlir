// RUN: llmc-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @bias
// CHECK: llm.linear %{{.*}}, @w bias @b : tensor<1x4xf32> -> tensor<1x2xf32>
llm.weight @w : tensor<2x4xf32>
llm.weight @b : tensor<2xf32>
func.func @bias(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %y = llm.linear %x, @w bias @b : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

llm.weight @w : tensor<2x4xf32>
llm.weight @b : tensor<3xf32>
func.func @wrong_size(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  // expected-error@+1 {{bias @b has 3 elements but the result has 2 columns}}
  %y = llm.linear %x, @w bias @b : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

llm.weight @w : tensor<2x4xf32>
func.func @missing(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  // expected-error@+1 {{bias @nope does not name an llm.weight}}
  %y = llm.linear %x, @w bias @nope : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

llm.weight @w : tensor<2x4xf32>
llm.weight @b : tensor<1x2xf32>
func.func @rank(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  // expected-error@+1 {{bias @b must have rank 1, got 'tensor<1x2xf32>'}}
  %y = llm.linear %x, @w bias @b : tensor<1x4xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
