// RUN: llmc-opt %s --split-input-file --verify-diagnostics

// expected-error@+1 {{logical type must have f32 elements, got 'tensor<4x8xf16>'}}
llm.weight @w : tensor<4x8xf16>

// -----

// expected-error@+1 {{must be rank 1 or 2, got 'tensor<2x4x8xf32>'}}
llm.weight @w : tensor<2x4x8xf32>

// -----

// expected-error@+1 {{innermost dimension 48 is not a multiple of the 32-element groups of format #llm.format<q4_0>}}
llm.weight @w : tensor<4x48xf32> format <q4_0>

// -----

// expected-error@+1 {{innermost dimension 96 is not a multiple of the 64-element groups of format #llm.format<int4, group = 64>}}
llm.weight @w : tensor<4x96xf32> format <int4, group = 64>

// -----

// expected-error@+1 {{innermost dimension 128 is not a multiple of the 256-element groups of format #llm.format<q4_k>}}
llm.weight @w : tensor<4x128xf32> format <q4_k>

// -----

// expected-error@+1 {{group size must be a positive multiple of 32 (or per_channel), got 48}}
llm.weight @w : tensor<4x96xf32> format <int8, group = 48>

// -----

// expected-error@+1 {{format q4_0 takes no group or asymmetric option}}
llm.weight @w : tensor<4x96xf32> format <q4_0, asymmetric>

// -----

// expected-error@+1 {{unknown weight format 'int3' (expected f32, f16, q8_0, q4_0, q4_k, int8 or int4)}}
llm.weight @w : tensor<4x96xf32> format <int3>

// -----

// expected-error@+1 {{unknown format option 'grop' (expected group = N, per_channel or asymmetric)}}
llm.weight @w : tensor<4x96xf32> format <int4, grop = 32>

// -----

// expected-error@+1 {{external data holds 100 bytes but 'tensor<2x32xf32>' in format #llm.format<q8_0> needs 68}}
llm.weight @w : tensor<2x32xf32> format <q8_0> = #llm.extern<"m.gguf", offset = 0, size = 100>

// -----

// expected-error@+1 {{data must be #llm.extern or an elements attribute, got 42 : i64}}
llm.weight @w : tensor<2x32xf32> = 42

// -----

// expected-error@+1 {{f32 values given for a weight stored as #llm.format<f16>}}
llm.weight @w : tensor<2x2xf32> format <f16> = dense<1.0> : tensor<2x2xf32>

// -----

// expected-error@+1 {{raw data holds 10 bytes but 'tensor<2x32xf32>' in format #llm.format<q4_0> needs 36}}
llm.weight @w : tensor<2x32xf32> format <q4_0> = dense<0> : tensor<10xi8>

// -----

// expected-error@+1 {{data type 'tensor<4xf32>' is neither the logical type 'tensor<2x2xf32>' nor a 1-D i8 byte tensor}}
llm.weight @w : tensor<2x2xf32> = dense<1.0> : tensor<4xf32>

// -----

// expected-error@+1 {{vocab must be positive, got 0}}
llm.tokenizer vocab = 0, bos = 1, eos = 2, data = dense<0> : tensor<4xi8>

// -----

// expected-error@+1 {{bos id 7 is outside [-1, 4)}}
llm.tokenizer vocab = 4, bos = 7, eos = 2, data = dense<0> : tensor<4xi8>

// -----

// expected-error@+1 {{data must be a 1-D i8 tensor, got 'tensor<2x2xi8>'}}
llm.tokenizer vocab = 4, bos = 1, eos = 2, data = dense<0> : tensor<2x2xi8>

// -----

llm.weight @emb : tensor<16x8xf32>
func.func @f(%t: tensor<2xi32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{result has 1 rows but there are 2 tokens}}
  %x = llm.embedding %t, @emb : tensor<2xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

func.func @f(%t: tensor<1xi32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{table @missing does not name an llm.weight}}
  %x = llm.embedding %t, @missing : tensor<1xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

llm.weight @emb : tensor<16xf32>
func.func @f(%t: tensor<1xi32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{table @emb must have rank 2, got 'tensor<16xf32>'}}
  %x = llm.embedding %t, @emb : tensor<1xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

llm.weight @emb : tensor<16x4xf32>
func.func @f(%t: tensor<1xi32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{result row width 8 does not match the table's 4}}
  %x = llm.embedding %t, @emb : tensor<1xi32> -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{eps must be positive, got 0}}
  %y = llm.rms_norm %x, @n {eps = 0.0 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<4xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{weight @n has 4 elements but rows have 8}}
  %y = llm.rms_norm %x, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{eps must be positive, got -1}}
  %y = llm.layer_norm %x, @n {eps = -1.0 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<4xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{weight @n has 4 elements but rows have 8}}
  %y = llm.layer_norm %x, @n {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>
llm.weight @b : tensor<6xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{bias @b has 6 elements but rows have 8}}
  %y = llm.layer_norm %x, @n bias @b {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{bias @missing does not name an llm.weight}}
  %y = llm.layer_norm %x, @n bias @missing {eps = 1.0e-5 : f32} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @n : tensor<8xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{failed to verify that all of {input, result} have same type}}
  %y = "llm.layer_norm"(%x) {weight = @n, eps = 1.0e-5 : f32} : (tensor<1x8xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

llm.weight @pos : tensor<32x4xf32>
func.func @f(%x: tensor<1x8xf32>, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{row width 8 does not match the table's 4}}
  %y = llm.position_embedding %x, %p, @pos : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @pos : tensor<32xf32>
func.func @f(%x: tensor<1x8xf32>, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{table @pos must have rank 2, got 'tensor<32xf32>'}}
  %y = llm.position_embedding %x, %p, @pos : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+2 {{expected ::llmc::llm::Activation to be one of: silu, gelu_erf, gelu_tanh, relu}}
  // expected-error@+1 {{failed to parse LLM_ActivationAttr parameter 'value'}}
  %y = llm.act <gelu> %x : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{failed to verify that all of {input, result} have same type}}
  %y = "llm.act"(%x) {activation = #llm.activation<relu>} : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

llm.weight @w : tensor<8x8xf32>
func.func @f(%x: tensor<2x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{input has 2 rows but result has 1}}
  %y = llm.linear %x, @w : tensor<2x8xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

llm.weight @w : tensor<8x4xf32>
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{weight @w of type 'tensor<8x4xf32>' does not map 8 inputs to 4 outputs (expected [4, 8])}}
  %y = llm.linear %x, @w : tensor<1x8xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{heads (2) x head_dim (2) does not equal the row width 8}}
  %y = llm.rope %x, %p {heads = 2 : i64, head_dim = 2 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<adjacent>} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x9xf32>, %p: index) -> tensor<1x9xf32> {
  // expected-error@+1 {{head_dim must be even, got 3}}
  %y = llm.rope %x, %p {heads = 3 : i64, head_dim = 3 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<adjacent>} : tensor<1x9xf32>
  return %y : tensor<1x9xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{theta must be positive}}
  %y = llm.rope %x, %p {heads = 4 : i64, head_dim = 2 : i64, theta = -1.0 : f32, style = #llm.rope_style<adjacent>} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{attribute 'heads' failed to satisfy constraint}}
  %y = llm.rope %x, %p {heads = 0 : i64, head_dim = 2 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<adjacent>} : tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<2x4xf32>, %v: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{k has 2 rows but q has 1}}
  %o = llm.attention %q, %k, %v, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x8xf32>, tensor<2x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<1x4xf32>, %v: tensor<1x6xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{v row width 6 does not equal kv_heads (2) x head_dim (2)}}
  %o = llm.attention %q, %k, %v, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x6xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x6xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x6xf32> {
  // expected-error@+1 {{q row width 6 does not equal heads (4) x head_dim (2)}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x6xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x6xf32>
  return %o : tensor<1x6xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x6xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x6xf32> {
  // expected-error@+1 {{heads (3) is not a multiple of kv_heads (2)}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 3 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x6xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x6xf32>
  return %o : tensor<1x6xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{slot 1 is outside the cache's 1 slots}}
  %o = llm.attention %q, %k, %k, %c[1], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 4, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{does not hold 2 KV heads of dimension 2}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 2, element = f32>
func.func @f(%q: tensor<3x8xf32>, %k: tensor<3x4xf32>, %c: !cache, %p: index) -> tensor<3x8xf32> {
  // expected-error@+1 {{3 rows exceed the cache's max_seq 2}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64} : tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>, !cache -> tensor<3x8xf32>
  return %o : tensor<3x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{scale must be a positive finite number, got 0}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64, scale = 0.0 : f32} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

!cache = !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 4, element = f32>
func.func @f(%q: tensor<1x8xf32>, %k: tensor<1x4xf32>, %c: !cache, %p: index) -> tensor<1x8xf32> {
  // expected-error@+1 {{attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  %o = llm.attention %q, %k, %k, %c[0], %p {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64, scale = 2 : i64} : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !cache -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

// expected-error@+1 {{kv_cache element type must be f32, f16 or i8, got 'i16'}}
func.func private @f(!llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 2, element = i16>)

// -----

// expected-error@+1 {{kv_cache element type must be f32, f16 or i8, got 'bf16'}}
func.func private @f(!llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 2, element = bf16>)

// -----

// expected-error@+1 {{kv_cache kv_heads, head_dim and max_seq must be positive, got 0, 2, 2}}
func.func private @f(!llm.kv_cache<slots = 1, kv_heads = 0, head_dim = 2, max_seq = 2, element = f32>)

// -----

// expected-error@+1 {{kv_cache slots must be non-negative, got -1}}
func.func private @f(!llm.kv_cache<slots = -1, kv_heads = 1, head_dim = 2, max_seq = 2, element = f32>)

// -----

func.func @f(%x: tensor<1x8xf32>, %y: tensor<1x4xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{body yields 'tensor<1x4xf32>' but must yield 'tensor<1x8xf32>'}}
  %r = llm.layer 0 (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>):
    llm.yield %y : tensor<1x4xf32>
  }
  return %r : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{layer index must be non-negative, got -2}}
  %r = llm.layer -2 (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>):
    llm.yield %a : tensor<1x8xf32>
  }
  return %r : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{body must take exactly one argument of type 'tensor<1x8xf32>'}}
  %r = llm.residual <attention> (%x) : tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>, %b: tensor<1x8xf32>):
    llm.yield %a : tensor<1x8xf32>
  }
  return %r : tensor<1x8xf32>
}

// -----

func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error@+1 {{'llm.yield' op expects parent op to be one of 'llm.layer, llm.residual'}}
  llm.yield %x : tensor<1x8xf32>
}
