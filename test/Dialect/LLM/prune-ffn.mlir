// RUN: llmc-opt %s --split-input-file --llm-prune-ffn="count=1" | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-prune-ffn="ratio=0.5" | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-prune-ffn="ratio=0" | FileCheck %s --check-prefix=ZERO
// RUN: llmc-opt %s --split-input-file --llm-prune-ffn="count=1 round-to=4" | FileCheck %s --check-prefix=ZERO

// New values are f32 bytes in a dense_resource blob: a 4-byte alignment
// header (01000000), then little-endian floats: 0000803F = 1,
// 00000040 = 2, 00004040 = 3, 00008040 = 4, 0000C040 = 6.

// Channel scores ||gate_j|| ||up_j|| ||down_:,j||: 2 sqrt(17), 0.02
// sqrt(29), 8 sqrt(45); channel 1 goes (count=1, or ratio=0.5 of 3 rounded
// down). Rows 0 and 2 of gate and up and columns 0 and 2 of down remain,
// and the intermediate types shrink from 3 to 2.
// CHECK-LABEL: module @mlp
// CHECK: llm.weight @gate : tensor<2x2xf32> = dense_resource<gate>
// CHECK: llm.weight @up : tensor<2x2xf32> = dense_resource<up>
// CHECK: llm.weight @down : tensor<2x2xf32> = dense_resource<down>
// CHECK: llm.residual <mlp>
// CHECK: %[[G:.*]] = llm.linear %{{.*}}, @gate : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[U:.*]] = llm.linear %{{.*}}, @up : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[S:.*]] = llm.gated_act <silu> %[[G]], %[[U]] : tensor<1x2xf32>
// CHECK: llm.linear %[[S]], @down : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: gate: "0x010000000000803F0000803F0000004000000040"
// CHECK: up: "0x010000000000803F0000803F0000004000000040"
// CHECK: down: "0x010000000000803F00004040000080400000C040"
// Removing nothing (ratio=0, or count=1 when round-to=4 keeps all 3) still
// rewrites the weights, with every channel in its place.
// ZERO-LABEL: module @mlp
// ZERO: llm.weight @gate : tensor<3x2xf32> = dense_resource<gate>
// ZERO: llm.gated_act <silu> %{{.*}}, %{{.*}} : tensor<1x3xf32>
// ZERO: down: "0x010000000000803F0000004000004040000080400000A0400000C040"
module @mlp {
  llm.weight @gate : tensor<3x2xf32> = dense<[[1.0, 1.0], [0.1, 0.1], [2.0, 2.0]]> : tensor<3x2xf32>
  llm.weight @up : tensor<3x2xf32> = dense<[[1.0, 1.0], [0.1, 0.1], [2.0, 2.0]]> : tensor<3x2xf32>
  llm.weight @down : tensor<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
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
}

// -----

// Two MLPs share the up weight: the first one pruned gets its own copy
// (@up.pruned), the second then owns @up; each keeps its own channels
// (the first drops channel 1, the second, whose gate row 0 is tiny,
// channel 0). CDCCCC3D = 0.1.
// CHECK-LABEL: module @shared
// CHECK: llm.weight @up : tensor<2x2xf32>
// CHECK: llm.weight @up.pruned : tensor<2x2xf32>
// CHECK: llm.linear %{{.*}}, @up.pruned : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: llm.linear %{{.*}}, @up : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: up: "0x01000000CDCCCC3DCDCCCC3D0000004000000040"
// CHECK: up.pruned: "0x010000000000803F0000803F0000004000000040"
module @shared {
  llm.weight @gate0 : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
  llm.weight @gate1 : tensor<3x2xf32> = dense<[[0.01, 0.01], [1.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  llm.weight @up : tensor<3x2xf32> = dense<[[1.0, 1.0], [0.1, 0.1], [2.0, 2.0]]> : tensor<3x2xf32>
  llm.weight @down : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
  llm.weight @down1 : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
  func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
    %g0 = llm.linear %x, @gate0 : tensor<1x2xf32> -> tensor<1x3xf32>
    %u0 = llm.linear %x, @up : tensor<1x2xf32> -> tensor<1x3xf32>
    %s0 = llm.gated_act <silu> %g0, %u0 : tensor<1x3xf32>
    %d0 = llm.linear %s0, @down : tensor<1x3xf32> -> tensor<1x2xf32>
    %g1 = llm.linear %d0, @gate1 : tensor<1x2xf32> -> tensor<1x3xf32>
    %u1 = llm.linear %d0, @up : tensor<1x2xf32> -> tensor<1x3xf32>
    %s1 = llm.gated_act <silu> %g1, %u1 : tensor<1x3xf32>
    %d1 = llm.linear %s1, @down1 : tensor<1x3xf32> -> tensor<1x2xf32>
    return %d1 : tensor<1x2xf32>
  }
}

// -----

// After llm-factorize-low-rank gate and up may read different widths
// (3 and 2 here); the rows are sliced at those widths.
// CHECK-LABEL: module @factored
// CHECK: llm.weight @gate : tensor<2x3xf32> = dense_resource<gate>
// CHECK: llm.weight @up : tensor<2x2xf32> = dense_resource<up>
// CHECK: llm.linear %{{.*}}, @gate : tensor<1x3xf32> -> tensor<1x2xf32>
module @factored {
  llm.weight @gate.B : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
  llm.weight @gate : tensor<3x3xf32> = dense<[[1.0, 1.0, 1.0], [0.1, 0.1, 0.1], [2.0, 2.0, 2.0]]> : tensor<3x3xf32>
  llm.weight @up : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
  llm.weight @down : tensor<2x3xf32> = dense<1.0> : tensor<2x3xf32>
  func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
    %t = llm.linear %x, @gate.B : tensor<1x2xf32> -> tensor<1x3xf32>
    %g = llm.linear %t, @gate : tensor<1x3xf32> -> tensor<1x3xf32>
    %u = llm.linear %x, @up : tensor<1x2xf32> -> tensor<1x3xf32>
    %s = llm.gated_act <silu> %g, %u : tensor<1x3xf32>
    %d = llm.linear %s, @down : tensor<1x3xf32> -> tensor<1x2xf32>
    return %d : tensor<1x2xf32>
  }
}

// -----

// A plain MLP down(act(up(x))) (GPT-2 style): channel scores ||up_j||
// ||down_:,j|| are sqrt(2) sqrt(17), 0.1 sqrt(2) sqrt(29), 2 sqrt(2)
// sqrt(45); channel 1 goes from up's rows and down's columns.
// CHECK-LABEL: module @plain
// CHECK: llm.weight @up : tensor<2x2xf32> = dense_resource<up>
// CHECK: llm.weight @down : tensor<2x2xf32> = dense_resource<down>
// CHECK: %[[U:.*]] = llm.linear %{{.*}}, @up : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[S:.*]] = llm.act <gelu_tanh> %[[U]] : tensor<1x2xf32>
// CHECK: llm.linear %[[S]], @down : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: up: "0x010000000000803F0000803F0000004000000040"
// CHECK: down: "0x010000000000803F00004040000080400000C040"
// ZERO-LABEL: module @plain
// ZERO: llm.act <gelu_tanh> %{{.*}} : tensor<1x3xf32>
module @plain {
  llm.weight @up : tensor<3x2xf32> = dense<[[1.0, 1.0], [0.1, 0.1], [2.0, 2.0]]> : tensor<3x2xf32>
  llm.weight @down : tensor<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
    %u = llm.linear %x, @up : tensor<1x2xf32> -> tensor<1x3xf32>
    %s = llm.act <gelu_tanh> %u : tensor<1x3xf32>
    %d = llm.linear %s, @down : tensor<1x3xf32> -> tensor<1x2xf32>
    return %d : tensor<1x2xf32>
  }
}

// -----

// Biases (GPT-2, Qwen2 or bias correction): up's bias loses the pruned
// channel's entry (a copy, since another linear reads it too); down's bias,
// one entry per model channel, stays.
// CHECK-LABEL: module @biased
// CHECK: llm.weight @ub : tensor<3xf32>
// CHECK: llm.weight @ub.pruned : tensor<2xf32> = dense_resource<ub.pruned>
// CHECK: llm.weight @db : tensor<2xf32> = dense
// CHECK: llm.linear %{{.*}}, @up bias @ub.pruned : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: llm.linear %{{.*}}, @down bias @db : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: llm.linear %{{.*}}, @other bias @ub : tensor<1x2xf32> -> tensor<1x3xf32>
// CHECK: ub.pruned: "0x010000000000803F00004040"
module @biased {
  llm.weight @up : tensor<3x2xf32> = dense<[[1.0, 1.0], [0.1, 0.1], [2.0, 2.0]]> : tensor<3x2xf32>
  llm.weight @ub : tensor<3xf32> = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  llm.weight @down : tensor<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  llm.weight @db : tensor<2xf32> = dense<[0.5, 0.25]> : tensor<2xf32>
  llm.weight @other : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
  func.func @decode(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
    %u = llm.linear %x, @up bias @ub : tensor<1x2xf32> -> tensor<1x3xf32>
    %s = llm.act <gelu_tanh> %u : tensor<1x3xf32>
    %d = llm.linear %s, @down bias @db : tensor<1x3xf32> -> tensor<1x2xf32>
    %o = llm.linear %d, @other bias @ub : tensor<1x2xf32> -> tensor<1x3xf32>
    return %o : tensor<1x3xf32>
  }
}
