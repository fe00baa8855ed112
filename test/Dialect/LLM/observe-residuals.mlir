// RUN: llmc-opt %s --llm-observe-residuals | FileCheck %s

// Every residual gets an observation of its input before and of its output
// after it, named after its kind and layer.
// CHECK-LABEL: func.func @decode
// CHECK: llm.layer 0
// CHECK: llm.observe %[[IN:.*]] {name = "attention.0.in"} : tensor<1x2xf32>
// CHECK-NEXT: %[[A:.*]] = llm.residual <attention>(%[[IN]])
// CHECK: llm.observe %[[A]] {name = "attention.0.out"}
// CHECK-NEXT: llm.observe %[[A]] {name = "mlp.0.in"}
// CHECK-NEXT: %[[M:.*]] = llm.residual <mlp>(%[[A]])
// CHECK: llm.observe %[[M]] {name = "mlp.0.out"}
// CHECK: llm.layer 2
// CHECK: {name = "mlp.2.out"}
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
