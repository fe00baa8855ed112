// RUN: llmc-opt %s --convert-llm-to-loops="attention-heads=4 parallel-min-work=0" | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="attention-heads=3 parallel-min-work=0" | FileCheck %s --check-prefix=THREE
// RUN: not llmc-opt %s --convert-llm-to-loops="attention-heads=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not llmc-opt %s --convert-llm-to-loops="attention-heads=17" 2>&1 | FileCheck %s --check-prefix=BAD17

// 8 query heads on 2 KV heads (groups of 4), attention-heads=4: one
// parallel iteration per (row, KV head) computes the group's 4 heads,
// loading each key row and each value row once for all of them. The
// scores loop carries the 4 heads' maxima; each head's score is its own
// multiply, tree sum and division, stored in its row of the scores
// buffer (4 x max_seq); the weighted sum carries 4 heads x 1 chunk.
// CHECK-LABEL: func.func private @llmc_model_forward_task0
// CHECK: %[[ATT:.*]] = memref.alloca() : memref<4x16xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32)
// CHECK: vector.load {{.*}} : memref<2x2x16x4xf32>, vector<4xf32>
// CHECK-NOT: vector.load {{.*}} : memref<2x2x16x4xf32>
// CHECK-COUNT-4: arith.maximumf
// CHECK: scf.yield
// CHECK-COUNT-4: vector.maskedload %[[ATT]]
// CHECK: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: vector.load {{.*}} : memref<2x2x16x4xf32>, vector<4xf32>
// CHECK-NOT: vector.load {{.*}} : memref<2x2x16x4xf32>
// CHECK-COUNT-4: math.fma
// CHECK: scf.yield
// CHECK-LABEL: func.func @llmc_model_forward
// 1 row x 2 KV heads x 1 split of the group.
// CHECK: %[[COUNT:.*]] = arith.constant 2 : i64
// CHECK: llvm.call %{{.*}}(%{{.*}}, %[[COUNT]], %{{.*}})

// attention-heads=3: the largest divisor of the group up to 3 is 2, so 2
// heads per iteration and 4 iterations.
// THREE-LABEL: func.func private @llmc_model_forward_task0
// THREE: memref.alloca() : memref<2x16xf32>
// THREE: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32)
// THREE-LABEL: func.func @llmc_model_forward
// THREE: %[[COUNT:.*]] = arith.constant 4 : i64
// THREE: llvm.call %{{.*}}(%{{.*}}, %[[COUNT]], %{{.*}})

// BAD: attention-heads must be in [1, 16], got 0
// BAD17: attention-heads must be in [1, 16], got 17

llm.weight @emb : tensor<16x32xf32>
llm.weight @wk : tensor<8x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %k = llm.linear %x, @wk : tensor<1x32xf32> -> tensor<1x8xf32>
  %o = llm.attention %x, %k, %k, %cache[0], %pos {heads = 8 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x32xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32> -> tensor<1x32xf32>
  %l = llm.linear %o, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
