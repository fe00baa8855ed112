// RUN: llmc-opt %s --llm-quantize-weights="format=int8:g32" --llm-dequantize-weights | FileCheck %s
// RUN: llmc-opt %s --llm-quantize-weights="format=int8:g32" --llm-dequantize-weights="only=^b$" | FileCheck %s --check-prefix=ONLY
// RUN: not llmc-opt %s --llm-dequantize-weights="only=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// Quantized weights come back as f32 bytes without a format.
// CHECK: llm.weight @a : tensor<2x32xf32> = dense_resource<{{.*}}> : tensor<256xi8>
// CHECK: llm.weight @b : tensor<2x32xf32> = dense_resource<{{.*}}> : tensor<256xi8>
// ONLY: llm.weight @a : tensor<2x32xf32> format <int8, group = 32>
// ONLY: llm.weight @b : tensor<2x32xf32> = dense_resource<{{.*}}> : tensor<256xi8>
// REGEX: llm-dequantize-weights: invalid only regular expression: parentheses not balanced
llm.weight @a : tensor<2x32xf32> = dense<0.25> : tensor<2x32xf32>
llm.weight @b : tensor<2x32xf32> = dense<-0.5> : tensor<2x32xf32>
