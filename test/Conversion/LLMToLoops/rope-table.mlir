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
// The q rope (4 heads, adjacent pairs) and the k rope (2 heads, halves)
// read the table as vectors of pairs; per head, the adjacent style loads
// the head's elements with one vector load, splits even and odd ones by
// shuffles and merges the results back; the halves style loads and stores
// each half.
// CHECK: scf.for
// CHECK: scf.for {{.*}} step %c2
// CHECK: vector.load %[[COS]]{{.*}} : memref<1x2xf32>, vector<2xf32>
// CHECK: vector.load %[[SIN]]{{.*}} : memref<1x2xf32>, vector<2xf32>
// CHECK: %[[BOTH:.*]] = vector.load {{.*}} : memref<1x16xf32>, vector<4xf32>
// CHECK: vector.shuffle %[[BOTH]], %[[BOTH]] [0, 2]
// CHECK: vector.shuffle %[[BOTH]], %[[BOTH]] [1, 3]
// CHECK: %[[MERGED:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 2, 1, 3]
// CHECK: vector.store %[[MERGED]], {{.*}} : memref<1x16xf32>, vector<4xf32>
// CHECK-NOT: math.cos
// CHECK: vector.load %[[COS]]
// CHECK: vector.load %[[SIN]]
// CHECK: vector.load {{.*}} : memref<1x8xf32>, vector<2xf32>
// CHECK: vector.load {{.*}} : memref<1x8xf32>, vector<2xf32>
// CHECK: vector.store {{.*}} : memref<1x8xf32>, vector<2xf32>
// CHECK: vector.store {{.*}} : memref<1x8xf32>, vector<2xf32>
// theta = 1e6: a second table.
// CHECK: %[[COS2:.*]] = memref.view {{.*}} to memref<1x2xf32>
// CHECK: math.cos
// CHECK: vector.load %[[COS2]]
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
