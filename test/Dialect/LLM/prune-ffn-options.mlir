// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-prune-ffn="ratio=1.5" 2>&1 | FileCheck %s --check-prefix=HIGH
// RUN: not llmc-opt %s --llm-prune-ffn="ratio=-0.25" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-prune-ffn="ratio=0.25 count=1" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not llmc-opt %s --llm-prune-ffn="count=-1" 2>&1 | FileCheck %s --check-prefix=NEGCOUNT
// RUN: not llmc-opt %s --llm-prune-ffn="count=3" 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: not llmc-opt %s --llm-prune-ffn="count=7" 2>&1 | FileCheck %s --check-prefix=MORE
// RUN: not llmc-opt %s --llm-prune-ffn="count=1 round-to=0" 2>&1 | FileCheck %s --check-prefix=ROUND

// HIGH: llm-prune-ffn: ratio must be in [0, 1), got 1.5
// NEG: llm-prune-ffn: ratio must be in [0, 1), got -0.25
// BOTH: llm-prune-ffn: give either ratio or count, not both
// NEGCOUNT: llm-prune-ffn: count must not be negative, got -1
// ALL: llm-prune-ffn: cannot remove 3 intermediate channels from layer 0, which has 3
// MORE: llm-prune-ffn: cannot remove 7 intermediate channels from layer 0, which has 3
// ROUND: llm-prune-ffn: round-to must be at least 1, got 0

llm.weight @gate : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
llm.weight @up : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
llm.weight @down : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %y = llm.layer 0(%x) : tensor<1x2xf32> {
  ^bb0(%a: tensor<1x2xf32>):
    %m = llm.residual <mlp>(%a) : tensor<1x2xf32> {
    ^bb0(%h: tensor<1x2xf32>):
      %g = llm.linear %h, @gate : tensor<1x2xf32> -> tensor<1x3xf32>
      %u = llm.linear %h, @up : tensor<1x2xf32> -> tensor<1x3xf32>
      %s = llm.gated_act <silu> %g, %u : tensor<1x3xf32>
      %d = llm.linear %s, @down : tensor<1x3xf32> -> tensor<1x2xf32>
      llm.yield %d : tensor<1x2xf32>
    }
    llm.yield %m : tensor<1x2xf32>
  }
  return %y : tensor<1x2xf32>
}
