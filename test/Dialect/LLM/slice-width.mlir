// RUN: llmc-opt %s --split-input-file --llm-slice-width="dim=2" | FileCheck %s
// RUN: llmc-opt %s --split-input-file --llm-slice-width="dim=2 select=first" | FileCheck %s --check-prefix=FIRST

// A model of width 3 with one layer (attention and MLP sublayers), an
// output norm and an untied classifier. Channel scores ||E[:,c]|| *
// sum_g |g_c| over the three norms: channel 0: sqrt(12) * 3 = 10.4,
// channel 1: 0.6 * 22 = 13.2 (the output norm weighs it 20), channel 2:
// sqrt(48) * 3 = 20.8; dim=2 keeps channels 1 and 2 (the embedding
// column norms alone would keep 0 and 2). select=first keeps 0 and 1.
// New values are f32 bytes in a dense_resource blob: a 4-byte alignment
// header (01000000), then little-endian floats: 0000803F = 1,
// 00000040 = 2, 00004040 = 3, 00008040 = 4, 0000A040 = 5, 0000C040 = 6,
// 9A99993E = 0.3, 0000A041 = 20.

// Every stream activation, inside the layer and residual regions too, is
// 2 wide; q/k/v, attention and FFN widths are unchanged.
// CHECK-LABEL: module @tiny
// CHECK: llm.weight @token_embd.weight : tensor<4x2xf32> = dense_resource<token_embd.weight>
// CHECK: llm.weight @attn_norm : tensor<2xf32>
// CHECK: llm.weight @wq : tensor<4x2xf32>
// CHECK: llm.weight @wk : tensor<4x2xf32>
// CHECK: llm.weight @wv : tensor<4x2xf32>
// CHECK: llm.weight @wo : tensor<2x4xf32>
// CHECK: llm.weight @ffn_norm : tensor<2xf32>
// CHECK: llm.weight @gate : tensor<5x2xf32>
// CHECK: llm.weight @up : tensor<5x2xf32>
// CHECK: llm.weight @down : tensor<2x5xf32>
// CHECK: llm.weight @output_norm : tensor<2xf32>
// CHECK: llm.weight @output.weight : tensor<4x2xf32>
// CHECK: %[[X:.*]] = llm.embedding %{{.*}}, @token_embd.weight : tensor<1xi32> -> tensor<1x2xf32>
// CHECK: %[[L:.*]] = llm.layer 0(%[[X]]) : tensor<1x2xf32> {
// CHECK-NEXT: ^bb0(%[[LA:.*]]: tensor<1x2xf32>):
// CHECK-NEXT: %[[A:.*]] = llm.residual <attention>(%[[LA]]) : tensor<1x2xf32> {
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<1x2xf32>):
// CHECK-NEXT: %[[N:.*]] = llm.rms_norm %[[H]], @attn_norm {{.*}} : tensor<1x2xf32>
// CHECK-NEXT: llm.linear %[[N]], @wq : tensor<1x2xf32> -> tensor<1x4xf32>
// CHECK-NEXT: llm.linear %[[N]], @wk : tensor<1x2xf32> -> tensor<1x4xf32>
// CHECK-NEXT: llm.linear %[[N]], @wv : tensor<1x2xf32> -> tensor<1x4xf32>
// CHECK: llm.attention {{.*}} -> tensor<1x4xf32>
// CHECK-NEXT: %[[O:.*]] = llm.linear %{{.*}}, @wo : tensor<1x4xf32> -> tensor<1x2xf32>
// CHECK-NEXT: llm.yield %[[O]] : tensor<1x2xf32>
// CHECK: llm.residual <mlp>(%[[A]]) : tensor<1x2xf32> {
// CHECK-NEXT: ^bb0(%{{.*}}: tensor<1x2xf32>):
// CHECK-NEXT: llm.rms_norm {{.*}}, @ffn_norm {{.*}} : tensor<1x2xf32>
// CHECK-NEXT: llm.linear {{.*}}, @gate : tensor<1x2xf32> -> tensor<1x5xf32>
// CHECK-NEXT: llm.linear {{.*}}, @up : tensor<1x2xf32> -> tensor<1x5xf32>
// CHECK-NEXT: llm.gated_act <silu> {{.*}} : tensor<1x5xf32>
// CHECK-NEXT: %[[D:.*]] = llm.linear {{.*}}, @down : tensor<1x5xf32> -> tensor<1x2xf32>
// CHECK-NEXT: llm.yield %[[D]] : tensor<1x2xf32>
// CHECK: llm.yield %{{.*}} : tensor<1x2xf32>
// CHECK: llm.rms_norm %[[L]], @output_norm {{.*}} : tensor<1x2xf32>
// CHECK-NEXT: llm.linear %{{.*}}, @output.weight : tensor<1x2xf32> -> tensor<1x4xf32>
// The embedding keeps columns 1 and 2; wo rows 1 and 2 (of 2s and 3s);
// the norms entries 1 and 2.
// CHECK: token_embd.weight: "0x010000009A99993E000000409A99993E000000409A99993E0000C0409A99993E00000040"
// CHECK: wo: "0x010000000000004000000040000000400000004000004040000040400000404000004040"
// CHECK: output_norm: "0x010000000000A0410000803F"
// FIRST-LABEL: module @tiny
// FIRST: llm.weight @token_embd.weight : tensor<4x2xf32>
// FIRST: llm.weight @wo : tensor<2x4xf32>
// FIRST: llm.linear %{{.*}}, @output.weight : tensor<1x2xf32> -> tensor<1x4xf32>
// FIRST: token_embd.weight: "0x010000000000803F9A99993E0000803F9A99993E000040409A99993E0000803F9A99993E"
// FIRST: wo: "0x010000000000803F0000803F0000803F0000803F00000040000000400000004000000040"
// FIRST: output_norm: "0x010000000000803F0000A041"
module @tiny {
  llm.weight @token_embd.weight : tensor<4x3xf32> = dense<[[1.0, 0.3, 2.0], [1.0, 0.3, 2.0], [3.0, 0.3, 6.0], [1.0, 0.3, 2.0]]> : tensor<4x3xf32>
  llm.weight @attn_norm : tensor<3xf32> = dense<1.0> : tensor<3xf32>
  llm.weight @wq : tensor<4x3xf32> = dense<1.0> : tensor<4x3xf32>
  llm.weight @wk : tensor<4x3xf32> = dense<1.0> : tensor<4x3xf32>
  llm.weight @wv : tensor<4x3xf32> = dense<1.0> : tensor<4x3xf32>
  llm.weight @wo : tensor<3x4xf32> = dense<[[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0]]> : tensor<3x4xf32>
  llm.weight @ffn_norm : tensor<3xf32> = dense<1.0> : tensor<3xf32>
  llm.weight @gate : tensor<5x3xf32> = dense<1.0> : tensor<5x3xf32>
  llm.weight @up : tensor<5x3xf32> = dense<1.0> : tensor<5x3xf32>
  llm.weight @down : tensor<3x5xf32> = dense<1.0> : tensor<3x5xf32>
  llm.weight @output_norm : tensor<3xf32> = dense<[1.0, 20.0, 1.0]> : tensor<3xf32>
  llm.weight @output.weight : tensor<4x3xf32> = dense<1.0> : tensor<4x3xf32>
  func.func @decode(%tok: tensor<1xi32>, %pos: index, %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32>) -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x3xf32>
    %l = llm.layer 0(%x) : tensor<1x3xf32> {
    ^bb0(%la: tensor<1x3xf32>):
      %a = llm.residual <attention>(%la) : tensor<1x3xf32> {
      ^bb0(%h: tensor<1x3xf32>):
        %n = llm.rms_norm %h, @attn_norm {eps = 1.0e-05 : f32} : tensor<1x3xf32>
        %q = llm.linear %n, @wq : tensor<1x3xf32> -> tensor<1x4xf32>
        %k = llm.linear %n, @wk : tensor<1x3xf32> -> tensor<1x4xf32>
        %v = llm.linear %n, @wv : tensor<1x3xf32> -> tensor<1x4xf32>
        %att = llm.attention %q, %k, %v, %cache[0], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 8, element = f32> -> tensor<1x4xf32>
        %o = llm.linear %att, @wo : tensor<1x4xf32> -> tensor<1x3xf32>
        llm.yield %o : tensor<1x3xf32>
      }
      %m = llm.residual <mlp>(%a) : tensor<1x3xf32> {
      ^bb0(%h: tensor<1x3xf32>):
        %n = llm.rms_norm %h, @ffn_norm {eps = 1.0e-05 : f32} : tensor<1x3xf32>
        %g = llm.linear %n, @gate : tensor<1x3xf32> -> tensor<1x5xf32>
        %u = llm.linear %n, @up : tensor<1x3xf32> -> tensor<1x5xf32>
        %s = llm.gated_act <silu> %g, %u : tensor<1x5xf32>
        %d = llm.linear %s, @down : tensor<1x5xf32> -> tensor<1x3xf32>
        llm.yield %d : tensor<1x3xf32>
      }
      llm.yield %m : tensor<1x3xf32>
    }
    %f = llm.rms_norm %l, @output_norm {eps = 1.0e-05 : f32} : tensor<1x3xf32>
    %logits = llm.linear %f, @output.weight : tensor<1x3xf32> -> tensor<1x4xf32>
    return %logits : tensor<1x4xf32>
  }
}

// -----

// A tied classifier reads the embedding table, which is sliced once (its
// columns) for both uses. A weight also read off the stream (@shared, as
// both a stream reader and the reader of the attention output here) keeps
// its original for the other user and gets a sliced copy.
// CHECK-LABEL: module @tied
// CHECK: llm.weight @token_embd.weight : tensor<4x2xf32>
// CHECK: llm.weight @shared : tensor<3x3xf32> = dense<
// CHECK: llm.weight @shared.sliced : tensor<3x2xf32>
// CHECK: %[[X:.*]] = llm.embedding %{{.*}}, @token_embd.weight : tensor<1xi32> -> tensor<1x2xf32>
// CHECK: %[[T:.*]] = llm.linear %[[X]], @shared.sliced : tensor<1x2xf32> -> tensor<1x3xf32>
// CHECK: llm.linear %[[T]], @shared : tensor<1x3xf32> -> tensor<1x3xf32>
// CHECK: llm.linear %[[X]], @token_embd.weight : tensor<1x2xf32> -> tensor<1x4xf32>
// CHECK-NOT: llm.weight
module @tied {
  llm.weight @token_embd.weight : tensor<4x3xf32> = dense<[[1.0, 0.3, 2.0], [1.0, 0.3, 2.0], [3.0, 0.3, 6.0], [1.0, 0.3, 2.0]]> : tensor<4x3xf32>
  llm.weight @shared : tensor<3x3xf32> = dense<1.0> : tensor<3x3xf32>
  func.func @decode(%tok: tensor<1xi32>) -> (tensor<1x4xf32>, tensor<1x3xf32>) {
    %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x3xf32>
    %t = llm.linear %x, @shared : tensor<1x3xf32> -> tensor<1x3xf32>
    %u = llm.linear %t, @shared : tensor<1x3xf32> -> tensor<1x3xf32>
    %logits = llm.linear %x, @token_embd.weight : tensor<1x3xf32> -> tensor<1x4xf32>
    return %logits, %u : tensor<1x4xf32>, tensor<1x3xf32>
  }
}
