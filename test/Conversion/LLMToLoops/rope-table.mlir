// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s

// Every rope of a call rotates by the same angles (pos + t) * theta^(-2i /
// head_dim): the first one computes their cosines and sines into a table
// (libm's powf, cosf and sinf once per pair), and later ropes with the same
// head_dim and theta read it. A rope with another theta gets its own.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: %[[COS:.*]] = memref.view {{.*}} to memref<1x2xf32>
// CHECK: %[[SIN:.*]] = memref.view {{.*}} to memref<1x2xf32>
// CHECK: scf.for
// CHECK: math.powf
// CHECK: math.cos
// CHECK: memref.store {{.*}}, %[[COS]]
// CHECK: math.sin
// CHECK: memref.store {{.*}}, %[[SIN]]
// The q rope (4 heads) and the k rope (2 heads) read the table.
// CHECK: memref.load %[[COS]]
// CHECK: memref.load %[[SIN]]
// CHECK-NOT: math.cos
// CHECK: memref.load %[[COS]]
// CHECK: memref.load %[[SIN]]
// theta = 1e6: a second table.
// CHECK: %[[COS2:.*]] = memref.view {{.*}} to memref<1x2xf32>
// CHECK: math.cos
// CHECK: memref.load %[[COS2]]
// CHECK-NOT: math.cos
// CHECK: return

llm.weight @emb : tensor<16x16xf32>
llm.weight @wk : tensor<8x16xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x16xf32>
  %q = llm.rope %x, %pos {heads = 4 : i64, head_dim = 4 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<adjacent>} : tensor<1x16xf32>
  %k0 = llm.linear %x, @wk : tensor<1x16xf32> -> tensor<1x8xf32>
  %k = llm.rope %k0, %pos {heads = 2 : i64, head_dim = 4 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<halves>} : tensor<1x8xf32>
  %q2 = llm.rope %q, %pos {heads = 4 : i64, head_dim = 4 : i64, theta = 1.0e6 : f32, style = #llm.rope_style<adjacent>} : tensor<1x16xf32>
  %o = llm.attention %q2, %k, %k, %cache[0], %pos {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32> -> tensor<1x16xf32>
  %l = llm.linear %o, @emb : tensor<1x16xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
