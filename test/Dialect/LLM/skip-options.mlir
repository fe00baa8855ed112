// Nonsense options of the skipping passes are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-skip-sublayers="kind=attention count=4" 2>&1 | FileCheck %s --check-prefix=TOOMANY
// RUN: not llmc-opt %s --llm-skip-layers="count=4 by=position" 2>&1 | FileCheck %s --check-prefix=LTOOMANY
// RUN: not llmc-opt %s --llm-skip-sublayers="kind=attention layers=5" 2>&1 | FileCheck %s --check-prefix=NOLAYER
// RUN: not llmc-opt %s --llm-skip-sublayers="kind=atention layers=1" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not llmc-opt %s --llm-skip-sublayers="kind=mlp" 2>&1 | FileCheck %s --check-prefix=NEITHER
// RUN: not llmc-opt %s --llm-skip-sublayers="kind=mlp layers=1 count=1" 2>&1 | FileCheck %s --check-prefix=NEITHER
// RUN: not llmc-opt %s --llm-skip-layers="count=1" 2>&1 | FileCheck %s --check-prefix=NOSCORES
// RUN: not llmc-opt %s --llm-skip-layers="count=1 by=random" 2>&1 | FileCheck %s --check-prefix=BY
// RUN: not llmc-opt %s --llm-skip-layers="count=-1 by=position" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-skip-layers="count=1 scores=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: echo '{"layer": {"0": 1}' > %t.bad.json
// RUN: not llmc-opt %s --llm-skip-layers="count=1 scores=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BADJSON
// RUN: echo '{"layer": {"0": 1, "2": 3}}' > %t.partial.json
// RUN: not llmc-opt %s --llm-skip-layers="count=1 scores=%t.partial.json" 2>&1 | FileCheck %s --check-prefix=PARTIAL
// RUN: echo '{"attention": {"0": 1}}' > %t.nokey.json
// RUN: not llmc-opt %s --llm-skip-layers="count=1 scores=%t.nokey.json" 2>&1 | FileCheck %s --check-prefix=NOKEY

// TOOMANY: llm-skip-sublayers: cannot remove 4 attention sublayers: the model has 3
// LTOOMANY: llm-skip-layers: cannot remove 4 layers: the model has 3
// NOLAYER: llm-skip-sublayers: layer 5 has no attention sublayer to remove (candidates: 0, 1, 2)
// KIND: llm-skip-sublayers: kind must be attention or mlp, got 'atention'
// NEITHER: llm-skip-sublayers: give either layers=... or count=N
// NOSCORES: llm-skip-layers: by=score needs scores=FILE
// BY: llm-skip-layers: by must be score or position, got 'random'
// NEG: llm-skip-layers: cannot remove -1 layers: the model has 3
// NOFILE: llm-skip-layers: cannot read scores file '{{.*}}missing.json': No such file or directory
// BADJSON: llm-skip-layers: scores file '{{.*}}bad.json' is not valid JSON
// PARTIAL: llm-skip-layers: scores file '{{.*}}partial.json' has no layer score for layer 1
// NOKEY: llm-skip-layers: scores file '{{.*}}nokey.json' has no "layer" object

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
