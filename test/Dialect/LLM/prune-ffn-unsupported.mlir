// RUN: llmc-opt %s --split-input-file --llm-prune-ffn="count=1" --verify-diagnostics

// MLPs whose channels flow elsewhere are refused.

llm.weight @up : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
llm.weight @down : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
func.func @decode(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  // expected-error@+1 {{cannot be pruned by llm-prune-ffn: its input must be the result of an llm.linear}}
  %s = llm.act <relu> %x : tensor<1x3xf32>
  %d = llm.linear %s, @down : tensor<1x3xf32> -> tensor<1x2xf32>
  return %d : tensor<1x2xf32>
}

// -----

llm.weight @up : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
llm.weight @down : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %u = llm.linear %x, @up : tensor<1x2xf32> -> tensor<1x3xf32>
  // expected-error@+1 {{cannot be pruned by llm-prune-ffn: its result must feed exactly one llm.linear}}
  %s = llm.act <relu> %u : tensor<1x3xf32>
  return %s : tensor<1x3xf32>
}
