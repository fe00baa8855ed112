// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops --verify-diagnostics

// expected-error@+1 {{no decode entry point: expected a func.func with llm.entry = "decode"}}
module {
  func.func @f() {
    return
  }
}

// -----

llm.weight @n : tensor<8xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  %x = arith.constant dense<1.0> : tensor<1x8xf32>
  // expected-error@+1 {{'llm.layer' op must be inlined before lowering (run llm-inline-structure)}}
  %y = llm.layer 0 (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>):
    llm.yield %a : tensor<1x8xf32>
  }
  return %y : tensor<1x8xf32>
}

// -----

// expected-error@+1 {{decode entry must have type (tensor<1xi32>, index, !llm.kv_cache<...>) -> tensor<1xVxf32> and a single block, got '(tensor<2xi32>, index) -> tensor<1x8xf32>'}}
func.func @decode(%tok: tensor<2xi32>, %pos: index) -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  %x = arith.constant dense<1.0> : tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  // expected-error@+1 {{'arith.constant' op cannot be lowered by convert-llm-to-loops}}
  %x = arith.constant dense<1.0> : tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}
