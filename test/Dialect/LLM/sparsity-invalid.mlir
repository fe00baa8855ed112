// RUN: llmc-opt %s --split-input-file --verify-diagnostics

// expected-error@+1 {{sparsity #llm.sparsity<2:4> needs a symmetric int8/int4, q8_0 or q4_0 format, got #llm.format<f32>}}
llm.weight @f32 : tensor<4x64xf32> sparsity <2:4>

// -----

// expected-error@+1 {{sparsity #llm.sparsity<2:4> needs a symmetric int8/int4, q8_0 or q4_0 format, got #llm.format<q4_k>}}
llm.weight @q4k : tensor<4x256xf32> format <q4_k> sparsity <2:4>

// -----

// expected-error@+1 {{sparsity #llm.sparsity<2:4> needs a matrix, got 'tensor<64xf32>'}}
llm.weight @vector : tensor<64xf32> format <int8, group = 32> sparsity <2:4>

// -----

// expected-error@+1 {{unsupported sparsity 1:8 (only 2:4 is supported)}}
llm.weight @pattern : tensor<4x64xf32> format <int8, group = 32> sparsity <1:8>
