// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops | FileCheck %s
// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops="emulate-f16=true" | FileCheck %s --check-prefix=EMUL

// An f16 cache: rows are narrowed when stored (arith.truncf, or integer
// arithmetic without a conversion instruction) and widened when read;
// half the bytes of f32 (2 x 2 x 16 x 4 x 2).

// CHECK-LABEL: module attributes
// CHECK-SAME: kv_cache_bytes = 512
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: memref.view {{.*}} to memref<2x2x16x4xf16>
// CHECK: arith.truncf {{.*}} : vector<4xf32> to vector<4xf16>
// CHECK: vector.store {{.*}} : memref<2x2x16x4xf16>, vector<4xf16>
// CHECK: vector.load {{.*}} : memref<2x2x16x4xf16>, vector<4xf16>
// CHECK: arith.extf {{.*}} : vector<4xf16> to vector<4xf32>
// EMUL-LABEL: func.func @llmc_model_forward
// EMUL-NOT: arith.truncf
// EMUL: arith.trunci {{.*}} : vector<4xi32> to vector<4xi16>
// EMUL: arith.bitcast {{.*}} : vector<4xi16> to vector<4xf16>
// EMUL: vector.store {{.*}} : memref<2x2x16x4xf16>, vector<4xf16>
llm.weight @emb : tensor<16x8xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f16>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %o = llm.attention %x, %x, %x, %cache[0], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f16> -> tensor<1x8xf32>
  %l = llm.linear %o, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// An i8 cache: each stored row (one position of one KV head) is quantized
// with the scale max|row| / 127, kept in f32 after the rows (from byte 256,
// the rows' 2 x 2 x 16 x 4 bytes); reading widens the quants and applies
// the scale once per score (keys) and per weight (values).

// CHECK-LABEL: module attributes
// CHECK-SAME: kv_cache_bytes = 512
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: %[[ROWS:.*]] = memref.view {{.*}} to memref<2x2x16x4xi8>
// CHECK: %[[SCALES:.*]] = memref.view {{.*}} to memref<2x2x16xf32>
// CHECK: vector.reduction <maxui>
// CHECK: arith.trunci {{.*}} : vector<4xi32> to vector<4xi8>
// CHECK: vector.store {{.*}}, %[[ROWS]]
// CHECK: memref.store {{.*}}, %[[SCALES]]
// CHECK: arith.sitofp {{.*}} : vector<4xi8> to vector<4xf32>
// CHECK: memref.load %[[SCALES]]
llm.weight @emb : tensor<16x8xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = i8>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %o = llm.attention %x, %x, %x, %cache[0], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = i8> -> tensor<1x8xf32>
  %l = llm.linear %o, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
