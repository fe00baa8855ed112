// RUN: llmc-opt %s --split-input-file --llm-skip-sublayers="kind=attention layers=1" | FileCheck %s --check-prefix=ATT1
// RUN: llmc-opt %s --split-input-file --llm-skip-sublayers="kind=attention count=2 by=position" | FileCheck %s --check-prefix=POS2
// RUN: llmc-opt %s --split-input-file --llm-skip-sublayers="kind=mlp layers=0,2" | FileCheck %s --check-prefix=MLP
// RUN: echo '{"attention": {"0": 0.5, "1": 0.01, "2": 0.2}, "mlp": {"0": 1, "1": 1, "2": 1}}' > %t.json
// RUN: llmc-opt %s --split-input-file --llm-skip-sublayers="kind=attention count=2 scores=%t.json" | FileCheck %s --check-prefix=SCORE

// Three layers with an attention and an MLP sublayer each; slot i is layer i.
!cache = !llm.kv_cache<slots = 3, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>
llm.weight @wq : tensor<2x2xf32>

// ATT1-LABEL: func.func @decode
// ATT1-SAME: !llm.kv_cache<slots = 2,
// ATT1: llm.layer 0
// ATT1: llm.residual <attention>
// ATT1: llm.attention {{.*}}[0]
// ATT1: llm.layer 1
// ATT1-NOT: llm.residual <attention>
// ATT1: llm.residual <mlp>
// ATT1: llm.layer 2
// ATT1: llm.residual <attention>
// ATT1: llm.attention {{.*}}[1]

// POS2-LABEL: func.func @decode
// POS2-SAME: !llm.kv_cache<slots = 1,
// POS2: llm.layer 0
// POS2: llm.attention {{.*}}[0]
// POS2: llm.layer 1
// POS2-NOT: llm.attention
// POS2: return

// MLP-LABEL: func.func @decode
// MLP-SAME: !llm.kv_cache<slots = 3,
// MLP: llm.layer 0
// MLP-NOT: llm.residual <mlp>
// MLP: llm.layer 1
// MLP: llm.residual <mlp>
// MLP: llm.layer 2
// MLP-NOT: llm.residual <mlp>
// MLP: return

// Lowest scores (layers 1 and 2) go; layer 0 keeps its attention, slot 0.
// SCORE-LABEL: func.func @decode
// SCORE-SAME: !llm.kv_cache<slots = 1,
// SCORE: llm.layer 0
// SCORE: llm.attention {{.*}}[0]
// SCORE: llm.layer 1
// SCORE-NOT: llm.attention
// SCORE: return
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
