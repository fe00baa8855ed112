// RUN: llmc-opt %s --split-input-file --llm-prune-heads | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-prune-heads="kv-groups=0" | FileCheck %s --check-prefix=ZERO

// New values are f32 bytes in a dense_resource blob: a 4-byte alignment
// header (01000000), then little-endian floats: 0000803F = 1,
// 00000040 = 2, 00004040 = 3, 00008040 = 4, 0000A040 = 5, 0000C040 = 6.

// 4 query heads read 2 KV heads (head_dim 2): group 0 is query heads 0-1
// (rows 0-3 of wq) with KV head 0 (rows 0-1 of wk/wv), group 1 query heads
// 2-3 with KV head 1. Group 0 has the smaller weights and goes: wq keeps
// rows 4-7, wk/wv rows 2-3, wo columns 4-7; heads, kv_heads, the rope ops,
// the result types and the KV-cache type of the signature shrink.
// CHECK-LABEL: module @gqa
// CHECK: llm.weight @wq : tensor<4x2xf32> = dense_resource<wq>
// CHECK: llm.weight @wk : tensor<2x2xf32> = dense_resource<wk>
// CHECK: llm.weight @wv : tensor<2x2xf32> = dense_resource<wv>
// CHECK: llm.weight @wo : tensor<2x4xf32> = dense_resource<wo>
// CHECK: func.func @decode(%{{.*}}: tensor<1x2xf32>, %{{.*}}: index, %[[CACHE:.*]]: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 8, element = f32>)
// CHECK: %[[Q:.*]] = llm.linear %{{.*}}, @wq : tensor<1x2xf32> -> tensor<1x4xf32>
// CHECK: %[[K:.*]] = llm.linear %{{.*}}, @wk : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[V:.*]] = llm.linear %{{.*}}, @wv : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: %[[QR:.*]] = llm.rope %[[Q]], %{{.*}} {head_dim = 2 : i64, heads = 2 : i64, {{.*}}} : tensor<1x4xf32>
// CHECK: %[[KR:.*]] = llm.rope %[[K]], %{{.*}} {head_dim = 2 : i64, heads = 1 : i64, {{.*}}} : tensor<1x2xf32>
// CHECK: %[[O:.*]] = llm.attention %[[QR]], %[[KR]], %[[V]], %[[CACHE]][0], %{{.*}} {head_dim = 2 : i64, heads = 2 : i64, kv_heads = 1 : i64} : tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, <slots = 1, kv_heads = 1, head_dim = 2, max_seq = 8, element = f32> -> tensor<1x4xf32>
// CHECK: llm.linear %[[O]], @wo : tensor<1x4xf32> -> tensor<1x2xf32>
// CHECK: wq: "0x010000000000404000000000000000000000404000008040000000000000000000008040"
// CHECK: wk: "0x0100000000004040000000000000000000004040"
// CHECK: wo: "0x01000000000040400000404000008040000080400000A0400000A0400000C0400000C040"
// Removing no group still rewrites all four weights, every head in place.
// ZERO-LABEL: module @gqa
// ZERO: llm.weight @wq : tensor<8x2xf32> = dense_resource<wq>
// ZERO: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32>
// ZERO: llm.attention {{.*}} {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 2 : i64}
module @gqa {
  llm.weight @wq : tensor<8x2xf32> = dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 3.0], [4.0, 0.0], [0.0, 4.0]]> : tensor<8x2xf32>
  llm.weight @wk : tensor<4x2xf32> = dense<[[1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 3.0]]> : tensor<4x2xf32>
  llm.weight @wv : tensor<4x2xf32> = dense<[[1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 3.0]]> : tensor<4x2xf32>
  llm.weight @wo : tensor<2x8xf32> = dense<[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0, 5.0, 5.0, 6.0, 6.0]]> : tensor<2x8xf32>
  func.func @decode(%x: tensor<1x2xf32>, %pos: index, %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32>) -> tensor<1x2xf32> attributes {llm.entry = "decode"} {
    %q = llm.linear %x, @wq : tensor<1x2xf32> -> tensor<1x8xf32>
    %k = llm.linear %x, @wk : tensor<1x2xf32> -> tensor<1x4xf32>
    %v = llm.linear %x, @wv : tensor<1x2xf32> -> tensor<1x4xf32>
    %qr = llm.rope %q, %pos {head_dim = 2 : i64, heads = 4 : i64, style = #llm.rope_style<adjacent>, theta = 1.000000e+04 : f32} : tensor<1x8xf32>
    %kr = llm.rope %k, %pos {head_dim = 2 : i64, heads = 2 : i64, style = #llm.rope_style<adjacent>, theta = 1.000000e+04 : f32} : tensor<1x4xf32>
    %o = llm.attention %qr, %kr, %v, %cache[0], %pos {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32> -> tensor<1x8xf32>
    %y = llm.linear %o, @wo : tensor<1x8xf32> -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>
  }
}

// -----

// After llm-factorize-low-rank each projection reads its own factor's
// width (q: 3, k: 2, v: 1); the rows are sliced at those widths and the
// first factors stay as they are.
// CHECK-LABEL: module @factored
// CHECK: llm.weight @wq.B : tensor<3x2xf32> = dense<
// CHECK: llm.weight @wq : tensor<4x3xf32> = dense_resource<wq>
// CHECK: llm.weight @wk : tensor<2x2xf32> = dense_resource<wk>
// CHECK: llm.weight @wv.B : tensor<1x2xf32> = dense<
// CHECK: llm.weight @wv : tensor<2x1xf32> = dense_resource<wv>
// CHECK: llm.weight @wo : tensor<2x4xf32> = dense_resource<wo>
// CHECK: llm.linear %{{.*}}, @wq : tensor<1x3xf32> -> tensor<1x4xf32>
// CHECK: llm.linear %{{.*}}, @wv : tensor<1x1xf32> -> tensor<1x2xf32>
module @factored {
  llm.weight @wq.B : tensor<3x2xf32> = dense<1.0> : tensor<3x2xf32>
  llm.weight @wq : tensor<8x3xf32> = dense<1.0> : tensor<8x3xf32>
  llm.weight @wk : tensor<4x2xf32> = dense<1.0> : tensor<4x2xf32>
  llm.weight @wv.B : tensor<1x2xf32> = dense<1.0> : tensor<1x2xf32>
  llm.weight @wv : tensor<4x1xf32> = dense<1.0> : tensor<4x1xf32>
  llm.weight @wo : tensor<2x8xf32> = dense<1.0> : tensor<2x8xf32>
  func.func @decode(%x: tensor<1x2xf32>, %pos: index, %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32>) -> tensor<1x2xf32> attributes {llm.entry = "decode"} {
    %t = llm.linear %x, @wq.B : tensor<1x2xf32> -> tensor<1x3xf32>
    %q = llm.linear %t, @wq : tensor<1x3xf32> -> tensor<1x8xf32>
    %k = llm.linear %x, @wk : tensor<1x2xf32> -> tensor<1x4xf32>
    %s = llm.linear %x, @wv.B : tensor<1x2xf32> -> tensor<1x1xf32>
    %v = llm.linear %s, @wv : tensor<1x1xf32> -> tensor<1x4xf32>
    %o = llm.attention %q, %k, %v, %cache[0], %pos {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32> -> tensor<1x8xf32>
    %y = llm.linear %o, @wo : tensor<1x8xf32> -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>
  }
}

// -----

// GPT-2 style: no rope, biases on q/k/v/o, a given attention scale. Group 0
// (weights 1) goes, group 1 (weights 3) stays: the q bias keeps entries 2-3,
// the k and v biases entries 1; the o bias and the scale stay.
// CHECK-LABEL: module @biased
// CHECK: llm.weight @bq : tensor<2xf32> = dense_resource<bq>
// CHECK: llm.weight @bk : tensor<1xf32> = dense_resource<bk>
// CHECK: llm.weight @bv : tensor<1xf32> = dense_resource<bv>
// CHECK: llm.weight @bo : tensor<2xf32> = dense<
// CHECK: llm.linear %{{.*}}, @wq bias @bq : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: llm.linear %{{.*}}, @wk bias @bk : tensor<1x2xf32> -> tensor<1x1xf32>
// CHECK: llm.linear %{{.*}}, @wv bias @bv : tensor<1x2xf32> -> tensor<1x1xf32>
// CHECK: llm.attention {{.*}} {head_dim = 1 : i64, heads = 2 : i64, kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK: llm.linear %{{.*}}, @wo bias @bo : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK: bq: "0x010000000000404000008040"
// CHECK: bk: "0x010000000000C040"
// CHECK: bv: "0x0100000000000041"
module @biased {
  llm.weight @wq : tensor<4x2xf32> = dense<[[1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 3.0]]> : tensor<4x2xf32>
  llm.weight @bq : tensor<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  llm.weight @wk : tensor<2x2xf32> = dense<[[1.0, 0.0], [3.0, 3.0]]> : tensor<2x2xf32>
  llm.weight @bk : tensor<2xf32> = dense<[5.0, 6.0]> : tensor<2xf32>
  llm.weight @wv : tensor<2x2xf32> = dense<[[1.0, 0.0], [3.0, 3.0]]> : tensor<2x2xf32>
  llm.weight @bv : tensor<2xf32> = dense<[7.0, 8.0]> : tensor<2xf32>
  llm.weight @wo : tensor<2x4xf32> = dense<[[1.0, 1.0, 3.0, 3.0], [1.0, 1.0, 3.0, 3.0]]> : tensor<2x4xf32>
  llm.weight @bo : tensor<2xf32> = dense<[9.0, 10.0]> : tensor<2xf32>
  func.func @decode(%x: tensor<1x2xf32>, %pos: index, %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 1, max_seq = 8, element = f32>) -> tensor<1x2xf32> attributes {llm.entry = "decode"} {
    %q = llm.linear %x, @wq bias @bq : tensor<1x2xf32> -> tensor<1x4xf32>
    %k = llm.linear %x, @wk bias @bk : tensor<1x2xf32> -> tensor<1x2xf32>
    %v = llm.linear %x, @wv bias @bv : tensor<1x2xf32> -> tensor<1x2xf32>
    %o = llm.attention %q, %k, %v, %cache[0], %pos {head_dim = 1 : i64, heads = 4 : i64, kv_heads = 2 : i64, scale = 0.5 : f32} : tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 1, max_seq = 8, element = f32> -> tensor<1x4xf32>
    %y = llm.linear %o, @wo bias @bo : tensor<1x4xf32> -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>
  }
}
