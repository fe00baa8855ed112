// RUN: not llmc-opt %s --convert-llm-to-loops="vector-width=12" 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not llmc-opt %s --convert-llm-to-loops="vector-width=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not llmc-opt %s --convert-llm-to-loops="vector-width=banana" 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: not llmc-opt %s --convert-llm-to-loops="no-such-option=1" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: llmc-opt %s --convert-llm-to-loops="vector-width=4" | FileCheck %s --check-prefix=FOUR

// WIDTH: vector-width must be a positive power of two, got 12
// ZERO: vector-width must be a positive power of two, got 0
// BADOPT: for the --vector-width option: 'banana' value invalid for long argument
// UNKNOWN: no-such-option
// FOUR: vector.load {{.*}} : memref<1x8xf32>, vector<4xf32>

llm.weight @emb : tensor<16x8xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %l = llm.linear %x, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
