// RUN: not llmc-opt %s --split-input-file --convert-llm-to-loops 2>&1 | FileCheck %s
// RUN: not llmc-opt %s --split-input-file --convert-llm-to-loops="integer-dot=false" 2>&1 | FileCheck %s --check-prefix=REF

// Only the weight of an llm.linear can be 2:4 sparse.
// CHECK: error: 'llm.embedding' op reads the 2:4 sparse weight @emb; only the weight of an llm.linear can be sparse
llm.weight @emb : tensor<8x64xf32> format <int8, group = 32> sparsity <2:4>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x64xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  return %x : tensor<1x64xf32>
}

// -----

// The sparse kernels are integer-dot kernels; the reference path (weight
// quants widened to f32) has none.
// REF: error: 'llm.linear' op has the 2:4 sparse weight @w, which needs the integer-dot kernels (integer-dot=true)
llm.weight @w : tensor<4x64xf32> format <int4, group = 32> sparsity <2:4>
llm.weight @e : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @e : tensor<1xi32> -> tensor<1x64xf32>
  %y = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
