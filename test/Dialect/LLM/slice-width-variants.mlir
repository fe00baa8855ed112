// RUN: llmc-opt %s --split-input-file --llm-slice-width="dim=2" --verify-diagnostics

// LayerNorm and learned positions on the residual stream are refused (the
// mean of a LayerNorm row changes when channels go).

llm.weight @token_embd.weight : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
llm.weight @norm : tensor<4xf32> = dense<1.0> : tensor<4xf32>
func.func @decode(%tok: tensor<1xi32>) -> tensor<1x8xf32> {
  %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x4xf32>
  // expected-error@+1 {{'llm.layer_norm' op cannot be sliced by llm-slice-width: it reads or produces the residual stream}}
  %n = llm.layer_norm %x, @norm {eps = 1.0e-05 : f32} : tensor<1x4xf32>
  %y = llm.linear %n, @token_embd.weight : tensor<1x4xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @token_embd.weight : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
llm.weight @pos : tensor<16x4xf32> = dense<1.0> : tensor<16x4xf32>
func.func @decode(%tok: tensor<1xi32>, %p: index) -> tensor<1x8xf32> {
  %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x4xf32>
  // expected-error@+1 {{'llm.position_embedding' op cannot be sliced by llm-slice-width: it reads or produces the residual stream}}
  %xp = llm.position_embedding %x, %p, @pos : tensor<1x4xf32>
  %y = llm.linear %xp, @token_embd.weight : tensor<1x4xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
