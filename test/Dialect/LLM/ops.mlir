// RUN: llmc-opt %s --split-input-file | FileCheck %s
// Round trip: print, parse again, print the same.
// RUN: llmc-opt %s --split-input-file | llmc-opt --split-input-file | FileCheck %s

// CHECK-LABEL: llm.weight @dense : tensor<4x8xf32> = dense<5.000000e-01> : tensor<4x8xf32>
llm.weight @dense : tensor<4x8xf32> = dense<0.5> : tensor<4x8xf32>
// CHECK: llm.weight @q8 : tensor<2x32xf32> format <q8_0> = #llm.extern<"m.gguf", offset = 64, size = 68>
llm.weight @q8 : tensor<2x32xf32> format <q8_0> = #llm.extern<"m.gguf", offset = 64, size = 68>
// CHECK: llm.weight @q4 : tensor<2x64xf32> format <q4_0>{{$}}
llm.weight @q4 : tensor<2x64xf32> format <q4_0>
// CHECK: llm.weight @raw : tensor<32xf32> format <f16> = dense<0> : tensor<64xi8>
llm.weight @raw : tensor<32xf32> format <f16> = dense<0> : tensor<64xi8>
// CHECK: llm.weight @norm : tensor<8xf32>{{$}}
llm.weight @norm : tensor<8xf32>
// CHECK: llm.weight @explicit : tensor<8xf32> format <f32>{{$}}
llm.weight @explicit : tensor<8xf32> format <f32>
// CHECK: llm.weight @k : tensor<2x256xf32> format <q4_k>{{$}}
llm.weight @k : tensor<2x256xf32> format <q4_k>
// CHECK: llm.weight @g : tensor<2x256xf32> format <int4, group = 128>{{$}}
llm.weight @g : tensor<2x256xf32> format <int4, group = 128>
// CHECK: llm.weight @a : tensor<2x256xf32> format <int4, group = 32, asymmetric> = dense<0> : tensor<384xi8>
llm.weight @a : tensor<2x256xf32> format <int4, group = 32, asymmetric> = dense<0> : tensor<384xi8>
// CHECK: llm.weight @c : tensor<2x64xf32> format <int8, per_channel>{{$}}
llm.weight @c : tensor<2x64xf32> format <int8, per_channel>

// -----

// CHECK-LABEL: llm.tokenizer vocab = 4, bos = 1, eos = -1, data = dense<0> : tensor<16xi8>
llm.tokenizer vocab = 4, bos = 1, eos = -1, data = dense<0> : tensor<16xi8>

// -----

llm.weight @emb : tensor<16x8xf32>
llm.weight @n : tensor<8xf32>
llm.weight @wq : tensor<8x8xf32>
llm.weight @wk : tensor<4x8xf32>
llm.weight @w1 : tensor<32x8xf32>

// CHECK-LABEL: func.func @compute
func.func @compute(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>) -> tensor<1x16xf32> {
  // CHECK: %[[X:.*]] = llm.embedding %{{.*}}, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  // CHECK: %[[N:.*]] = llm.rms_norm %[[X]], @n {eps = 9.99999974E-6 : f32} : tensor<1x8xf32>
  %n = llm.rms_norm %x, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  // CHECK: %[[Q:.*]] = llm.linear %[[N]], @wq : tensor<1x8xf32> -> tensor<1x8xf32>
  %q = llm.linear %n, @wq : tensor<1x8xf32> -> tensor<1x8xf32>
  %k = llm.linear %n, @wk : tensor<1x8xf32> -> tensor<1x4xf32>
  // CHECK: llm.rope %[[Q]], %{{.*}} {head_dim = 2 : i64, heads = 4 : i64, style = #llm.rope_style<halves>, theta = 5.000000e+05 : f32} : tensor<1x8xf32>
  %qr = llm.rope %q, %pos {heads = 4 : i64, head_dim = 2 : i64, theta = 5.0e5 : f32, style = #llm.rope_style<halves>} : tensor<1x8xf32>
  // CHECK: llm.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}[1], %{{.*}} {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 2 : i64}
  // CHECK-SAME: -> tensor<1x8xf32>
  %o = llm.attention %qr, %k, %k, %cache[1], %pos {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64}
      : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32> -> tensor<1x8xf32>
  %g = llm.linear %o, @w1 : tensor<1x8xf32> -> tensor<1x32xf32>
  // CHECK: llm.gated_act <silu> %{{.*}}, %{{.*}} : tensor<1x32xf32>
  %h = llm.gated_act <silu> %g, %g : tensor<1x32xf32>
  // CHECK: llm.gated_act <gelu_erf>
  %h2 = llm.gated_act <gelu_erf> %h, %g : tensor<1x32xf32>
  // CHECK: llm.add %[[X]], %[[N]] : tensor<1x8xf32>
  %s = llm.add %x, %n : tensor<1x8xf32>
  %l = llm.linear %s, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// The GPT-2 layer variants: learned positions, LayerNorm with and without a
// bias, plain activations, attention without RoPE and with its own scale.
llm.weight @emb : tensor<16x8xf32>
llm.weight @pos : tensor<32x8xf32>
llm.weight @n : tensor<8xf32>
llm.weight @nb : tensor<8xf32>
llm.weight @wq : tensor<8x8xf32>
llm.weight @bq : tensor<8xf32>

// CHECK-LABEL: func.func @gpt2_variants
func.func @gpt2_variants(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 4, head_dim = 2, max_seq = 16, element = f32>) -> tensor<1x8xf32> {
  // CHECK: %[[X:.*]] = llm.embedding
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  // CHECK: %[[XP:.*]] = llm.position_embedding %[[X]], %{{.*}}, @pos : tensor<1x8xf32>
  %xp = llm.position_embedding %x, %pos, @pos : tensor<1x8xf32>
  // CHECK: %[[N:.*]] = llm.layer_norm %[[XP]], @n bias @nb {eps = 9.99999974E-6 : f32} : tensor<1x8xf32>
  %n = llm.layer_norm %xp, @n bias @nb {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  // CHECK: llm.layer_norm %[[N]], @n {eps = 9.99999974E-6 : f32} : tensor<1x8xf32>
  %n2 = llm.layer_norm %n, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  // CHECK: %[[Q:.*]] = llm.linear %{{.*}}, @wq bias @bq
  %q = llm.linear %n2, @wq bias @bq : tensor<1x8xf32> -> tensor<1x8xf32>
  // CHECK: llm.attention %[[Q]], %[[Q]], %[[Q]], %{{.*}}[0], %{{.*}} {head_dim = 2 : i64, heads = 4 : i64, kv_heads = 4 : i64, scale = 1.250000e-01 : f32}
  %o = llm.attention %q, %q, %q, %cache[0], %pos {heads = 4 : i64, kv_heads = 4 : i64, head_dim = 2 : i64, scale = 0.125 : f32}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 4, head_dim = 2, max_seq = 16, element = f32> -> tensor<1x8xf32>
  // CHECK: %[[A:.*]] = llm.act <gelu_tanh> %{{.*}} : tensor<1x8xf32>
  %a = llm.act <gelu_tanh> %o : tensor<1x8xf32>
  // CHECK: %[[B:.*]] = llm.act <relu> %[[A]] : tensor<1x8xf32>
  %b = llm.act <relu> %a : tensor<1x8xf32>
  // CHECK: %[[C:.*]] = llm.act <gelu_erf> %[[B]] : tensor<1x8xf32>
  %c = llm.act <gelu_erf> %b : tensor<1x8xf32>
  // CHECK: %[[D:.*]] = llm.act <silu> %[[C]] : tensor<1x8xf32>
  %d = llm.act <silu> %c : tensor<1x8xf32>
  // CHECK: llm.gated_act <relu> %[[D]], %[[A]] : tensor<1x8xf32>
  %e = llm.gated_act <relu> %d, %a : tensor<1x8xf32>
  // CHECK: llm.gated_act <gelu_tanh>
  %f = llm.gated_act <gelu_tanh> %e, %a : tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>

// CHECK-LABEL: func.func @structure
func.func @structure(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // CHECK: %[[L:.*]] = llm.layer 3(%{{.*}}) : tensor<1x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<1x8xf32>):
  // CHECK-NEXT: %[[R:.*]] = llm.residual <mlp>(%[[A]]) : tensor<1x8xf32> {
  // CHECK: llm.yield %{{.*}} : tensor<1x8xf32>
  // CHECK: llm.yield %[[R]] : tensor<1x8xf32>
  %y = llm.layer 3 (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>):
    %r = llm.residual <mlp> (%a) : tensor<1x8xf32> {
    ^bb0(%in: tensor<1x8xf32>):
      %n = llm.rms_norm %in, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
      llm.yield %n : tensor<1x8xf32>
    }
    llm.yield %r : tensor<1x8xf32>
  }
  return %y : tensor<1x8xf32>
}

// -----

// The KV cache may be stored as f16 or i8 (with f32 scales).
// CHECK-LABEL: func.func private @half_cache
// CHECK-SAME: !llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 8, max_seq = 16, element = f16>
func.func private @half_cache(!llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 8, max_seq = 16, element = f16>)
// CHECK-LABEL: func.func private @int8_cache
// CHECK-SAME: !llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 8, max_seq = 16, element = i8>
func.func private @int8_cache(!llm.kv_cache<slots = 2, kv_heads = 4, head_dim = 8, max_seq = 16, element = i8>)
