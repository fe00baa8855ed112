// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-prune-heads="kv-groups=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-prune-heads="kv-groups=2" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not llmc-opt %s --llm-prune-heads="kv-groups=5" 2>&1 | FileCheck %s --check-prefix=MORE
// RUN: not llmc-opt %s --llm-prune-heads="kv-groups=x" 2>&1 | FileCheck %s --check-prefix=PARSE

// NEG: llm-prune-heads: kv-groups must not be negative, got -1
// ALL: llm-prune-heads: cannot remove 2 KV groups from layer 0, which has 2 (at least one must stay)
// MORE: llm-prune-heads: cannot remove 5 KV groups from layer 0, which has 2 (at least one must stay)
// PARSE: for the --kv-groups option: 'x' value invalid for long argument

llm.weight @wq : tensor<8x2xf32> = dense<1.0> : tensor<8x2xf32>
llm.weight @wk : tensor<4x2xf32> = dense<1.0> : tensor<4x2xf32>
llm.weight @wv : tensor<4x2xf32> = dense<1.0> : tensor<4x2xf32>
llm.weight @wo : tensor<2x8xf32> = dense<1.0> : tensor<2x8xf32>
func.func @decode(%x: tensor<1x2xf32>, %pos: index, %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32>) -> tensor<1x2xf32> attributes {llm.entry = "decode"} {
  %y = llm.layer 0(%x) : tensor<1x2xf32> {
  ^bb0(%a: tensor<1x2xf32>):
    %r = llm.residual <attention>(%a) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %q = llm.linear %h, @wq : tensor<1x2xf32> -> tensor<1x8xf32>
      %k = llm.linear %h, @wk : tensor<1x2xf32> -> tensor<1x4xf32>
      %v = llm.linear %h, @wv : tensor<1x2xf32> -> tensor<1x4xf32>
      %o = llm.attention %q, %k, %v, %cache[0], %pos {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32> -> tensor<1x8xf32>
      %w = llm.linear %o, @wo : tensor<1x8xf32> -> tensor<1x2xf32>
      llm.yield %w : tensor<1x2xf32>
    }
    llm.yield %r : tensor<1x2xf32>
  }
  return %y : tensor<1x2xf32>
}
