// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops="dot-instruction=widening" | FileCheck %s

// RISC-V V (dot-instruction=widening): interleaved weights in 1-byte
// words, k-major (word j: input j's quant of the 16 rows), one 16-byte
// load per word. A q8_0 linear of 16 rows and 64 inputs: per block, a
// loop over its 32 words, 4 per iteration; each word times its input as
// 16-bit products, two of them summed in 16 bits (vwmul.vx + vwmacc.vx),
// then widened into the 32-bit lanes (vwadd.wv); no shuffles.
// CHECK: llm.weight @q8 {{.*}}llm.device_interleave = 16 : i64, llm.device_interleave_word = 1 : i64
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %c32{{.*}} step %c4{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi32>)
// CHECK-COUNT-4: vector.load %{{.*}} : memref<64x16xi8>, vector<16xi8>
// CHECK-NOT: vector.shuffle
// CHECK: %[[W:.*]] = arith.extsi %{{.*}} : vector<16xi8> to vector<16xi16>
// CHECK: %[[P0:.*]] = arith.muli %[[W]], %{{.*}} : vector<16xi16>
// CHECK: %[[P1:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<16xi16>
// CHECK: %[[S:.*]] = arith.addi %[[P0]], %[[P1]] : vector<16xi16>
// CHECK: %[[S32:.*]] = arith.extsi %[[S]] : vector<16xi16> to vector<16xi32>
// CHECK: arith.addi %{{.*}}, %[[S32]] : vector<16xi32>
// CHECK: scf.yield %{{.*}} : vector<16xi32>
// CHECK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: math.fma %{{.*}} : vector<16xf32>

llm.weight @q8 : tensor<16x64xf32> format <q8_0>
llm.weight @out : tensor<4x16xf32>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %h = llm.linear %x, @q8 : tensor<1x64xf32> -> tensor<1x16xf32>
  %a = llm.linear %h, @out : tensor<1x16xf32> -> tensor<1x4xf32>
  return %a : tensor<1x4xf32>
}

// -----

// q4_0: 16 packed words per block, 2 per iteration, each giving inputs j
// (low nibbles) and 16 + j (high), as q - 8 in signed bytes; all 32
// products of a block are summed in 16 bits (|(q - 8) x| <= 8 * 127),
// widened once per block.
// CHECK: llm.weight @q4 {{.*}}llm.device_interleave_word = 1 : i64
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: scf.for %{{.*}} = %{{.*}} to %c16{{.*}} step %c2{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi16>)
// CHECK: %[[P:.*]] = vector.load %{{.*}} : memref<32x16xi8>, vector<16xi8>
// CHECK: arith.andi %[[P]], %{{.*}} : vector<16xi8>
// CHECK: arith.subi
// CHECK: arith.shrui %[[P]], %{{.*}} : vector<16xi8>
// CHECK: arith.subi
// CHECK-COUNT-4: arith.muli %{{.*}}, %{{.*}} : vector<16xi16>
// CHECK: scf.yield %{{.*}} : vector<16xi16>
// CHECK: arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// CHECK: math.fma %{{.*}} : vector<16xf32>

llm.weight @q4 : tensor<16x64xf32> format <q4_0>
llm.weight @out : tensor<4x16xf32>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %h = llm.linear %x, @q4 : tensor<1x64xf32> -> tensor<1x16xf32>
  %a = llm.linear %h, @out : tensor<1x16xf32> -> tensor<1x4xf32>
  return %a : tensor<1x4xf32>
}
