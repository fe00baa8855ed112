// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops | FileCheck %s

// Learned positions: row min(pos + t, positions - 1) of the table is added
// to each input row.

// CHECK-LABEL: func.func @llmc_model_forward
// CHECK-SAME: %[[POS:[a-z0-9]+]]: index, %{{.*}}: memref<16xf32>, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: scf.for %[[T:[a-z0-9]+]] =
// CHECK: %[[P:.*]] = arith.addi %[[POS]], %[[T]] : index
// CHECK: %[[LAST:.*]] = arith.constant 7 : index
// CHECK: %[[ROW:.*]] = arith.minui %[[P]], %[[LAST]] : index
// CHECK: scf.for %[[D:.*]] =
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[T]], %[[D]]] : memref<1x32xf32>
// CHECK: %[[E:.*]] = memref.load %{{.*}}[%[[ROW]], %[[D]]] : memref<8x32xf32>
// CHECK: %[[S:.*]] = arith.addf %[[X]], %[[E]] : f32
// CHECK: memref.store %[[S]]
llm.weight @emb : tensor<16x32xf32>
llm.weight @pos : tensor<8x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %p = llm.position_embedding %x, %pos, @pos : tensor<1x32xf32>
  %l = llm.linear %p, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// LayerNorm: an ordered sum for the mean, a second one over the centered
// squares for the variance, then w * ((x - mean) * r) + b.

// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]], %{{.*}} : f32
// CHECK: %[[SS:.*]] = scf.for {{.*}} iter_args
// CHECK: arith.subf %{{.*}}, %[[MEAN]] : f32
// CHECK: %[[VAR:.*]] = arith.divf %[[SS]], %{{.*}} : f32
// CHECK: %[[VE:.*]] = arith.addf %[[VAR]], %{{.*}} : f32
// CHECK: %[[SQ:.*]] = math.sqrt %[[VE]] : f32
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[SQ]] : f32
// CHECK: scf.for
// CHECK: %[[C:.*]] = arith.subf %{{.*}}, %[[MEAN]] : f32
// CHECK: %[[W:.*]] = memref.load
// CHECK: %[[CR:.*]] = arith.mulf %[[C]], %[[R]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[W]], %[[CR]] : f32
// CHECK: %[[B:.*]] = memref.load
// CHECK: %[[YB:.*]] = arith.addf %[[Y]], %[[B]] : f32
// CHECK: memref.store %[[YB]]
llm.weight @emb : tensor<16x32xf32>
llm.weight @n : tensor<32xf32>
llm.weight @nb : tensor<32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %n = llm.layer_norm %x, @n bias @nb {eps = 1.0e-5 : f32} : tensor<1x32xf32>
  %l = llm.linear %n, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// The activations of llm.act (and llm.gated_act): gelu_tanh, gelu_erf,
// relu, silu, each elementwise.

// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: math.tanh
// CHECK: math.erf
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.tanh
llm.weight @emb : tensor<16x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %a = llm.act <gelu_tanh> %x : tensor<1x32xf32>
  %b = llm.act <gelu_erf> %a : tensor<1x32xf32>
  %c = llm.act <relu> %b : tensor<1x32xf32>
  %d = llm.act <silu> %c : tensor<1x32xf32>
  %e = llm.gated_act <gelu_tanh> %d, %x : tensor<1x32xf32>
  %l = llm.linear %e, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// A given attention scale multiplies the scores; without one they are
// divided by sqrt(head_dim).

// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// The scores loops; in them, q.k as a lane-wise product (head_dim 4: one
// vector<4xf32>) summed by a fixed tree down to one lane. Whole blocks of 4
// positions first: the 4 trees side by side (pairs of positions shuffled
// together, 3 additions), scaled, stored and maximized as one vector; then
// the remaining positions one at a time.
// CHECK: %[[NEGINF:.*]] = arith.constant dense<0xFF800000> : vector<4xf32>
// CHECK-NEXT: scf.for {{.*}} iter_args(%[[BEST:.*]] = %[[NEGINF]]) -> (vector<4xf32>)
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [2, 3, 6, 7] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [2, 3, 6, 7] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6] : vector<4xf32>, vector<4xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7] : vector<4xf32>, vector<4xf32>
// CHECK: %[[DOTS:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK-NEXT: %[[SPLAT:.*]] = vector.broadcast %[[SCALE]] : f32 to vector<4xf32>
// CHECK-NEXT: %[[SCORES:.*]] = arith.mulf %[[DOTS]], %[[SPLAT]] : vector<4xf32>
// CHECK: vector.store %[[SCORES]]
// CHECK: arith.maximumf %[[BEST]], %[[SCORES]] : vector<4xf32>
// CHECK: %[[MAX:.*]] = vector.reduction <maximumf>
// CHECK: scf.for {{.*}} iter_args({{.*}} = %[[MAX]]) -> (f32)
// CHECK: %[[DOT:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK-NEXT: arith.mulf %[[DOT]], %[[SCALE]] : f32
// CHECK: %[[SQRT:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: scf.for {{.*}} -> (vector<4xf32>)
// CHECK: %[[SPLAT2:.*]] = vector.broadcast %[[SQRT]] : f32 to vector<4xf32>
// CHECK-NEXT: arith.divf %{{.*}}, %[[SPLAT2]] : vector<4xf32>
// CHECK: scf.for {{.*}} -> (f32)
// CHECK: %[[DOT2:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK-NEXT: arith.divf %[[DOT2]], %[[SQRT]] : f32
llm.weight @emb : tensor<16x8xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 4, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %o = llm.attention %x, %x, %x, %cache[0], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.25 : f32}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 4, max_seq = 4, element = f32> -> tensor<1x8xf32>
  %o2 = llm.attention %o, %o, %o, %cache[1], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 4, max_seq = 4, element = f32> -> tensor<1x8xf32>
  %l = llm.linear %o2, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
