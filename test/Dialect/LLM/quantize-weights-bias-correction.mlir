// RUN: echo '{"tokens": 3, "means": {"linear.w": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]}}' > %t.json
// RUN: llmc-opt %s --llm-quantize-weights="format=int4:g32 bias-correction=%t.json" | FileCheck %s
// RUN: llmc-opt %s --llm-quantize-weights="format=int4:g32 bias-correction=%t.json" --llm-dequantize-weights | FileCheck %s --check-prefix=VALUES

// The linear gets a bias holding the expected error of its output,
// (W - Q(W)) E[x]; the existing bias is kept in the sum.
// CHECK: llm.weight @w : tensor<2x32xf32> format <int4, group = 32>
// CHECK: llm.weight @w.bias : tensor<2xf32> = dense_resource<w.bias> : tensor<8xi8>
// CHECK: llm.linear %{{.*}}, @w bias @w.bias
// VALUES: llm.weight @w.bias : tensor<2xf32>
llm.weight @w : tensor<2x32xf32> = dense<[[0.01, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, -0.77], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<2x32xf32>
func.func @f(%x: tensor<1x32xf32>) -> tensor<1x2xf32> {
  %y = llm.linear %x, @w : tensor<1x32xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
