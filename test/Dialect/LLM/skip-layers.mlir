// RUN: llmc-opt %s --llm-skip-layers="layers=1" | FileCheck %s --check-prefix=ONE
// RUN: llmc-opt %s --llm-skip-layers="count=2 by=position" | FileCheck %s --check-prefix=POS
// RUN: echo '{"layer": {"0": 0.3, "1": 0.2, "2": 0.9}}' > %t.json
// RUN: llmc-opt %s --llm-skip-layers="count=1 scores=%t.json" | FileCheck %s --check-prefix=ONE

// ONE-LABEL: func.func @decode
// ONE-SAME: !llm.kv_cache<slots = 2,
// ONE: llm.layer 0
// ONE: llm.attention {{.*}}[0]
// ONE-NOT: llm.layer 1
// ONE: llm.layer 2
// ONE: llm.attention {{.*}}[1]

// POS-LABEL: func.func @decode
// POS-SAME: !llm.kv_cache<slots = 1,
// POS: llm.layer 0
// POS-NOT: llm.layer
// POS: return
!cache = !llm.kv_cache<slots = 3, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>
llm.weight @wq : tensor<2x2xf32>




func.func @decode(%x: tensor<1x2xf32>, %pos: index, %cache: !cache) -> tensor<1x2xf32> {
  %l0 = llm.layer 0 (%x) : tensor<1x2xf32> {
  ^bb0(%in: tensor<1x2xf32>):
    %a = llm.residual <attention> (%in) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %o = llm.attention %h, %h, %h, %cache[0], %pos {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64} : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, !cache -> tensor<1x2xf32>
      llm.yield %o : tensor<1x2xf32>
    }
    %m = llm.residual <mlp> (%a) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %d = llm.linear %h, @wq : tensor<1x2xf32> -> tensor<1x2xf32>
      llm.yield %d : tensor<1x2xf32>
    }
    llm.yield %m : tensor<1x2xf32>
  }
  %l1 = llm.layer 1 (%l0) : tensor<1x2xf32> {
  ^bb0(%in: tensor<1x2xf32>):
    %a = llm.residual <attention> (%in) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %o = llm.attention %h, %h, %h, %cache[1], %pos {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64} : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, !cache -> tensor<1x2xf32>
      llm.yield %o : tensor<1x2xf32>
    }
    %m = llm.residual <mlp> (%a) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %d = llm.linear %h, @wq : tensor<1x2xf32> -> tensor<1x2xf32>
      llm.yield %d : tensor<1x2xf32>
    }
    llm.yield %m : tensor<1x2xf32>
  }
  %l2 = llm.layer 2 (%l1) : tensor<1x2xf32> {
  ^bb0(%in: tensor<1x2xf32>):
    %a = llm.residual <attention> (%in) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %o = llm.attention %h, %h, %h, %cache[2], %pos {heads = 1 : i64, kv_heads = 1 : i64, head_dim = 2 : i64} : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, !cache -> tensor<1x2xf32>
      llm.yield %o : tensor<1x2xf32>
    }
    %m = llm.residual <mlp> (%a) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %d = llm.linear %h, @wq : tensor<1x2xf32> -> tensor<1x2xf32>
      llm.yield %d : tensor<1x2xf32>
    }
    llm.yield %m : tensor<1x2xf32>
  }
  return %l2 : tensor<1x2xf32>
}
