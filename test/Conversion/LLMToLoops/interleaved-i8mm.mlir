// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=neon-i8mm prefill-chunk=3" | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=neon-dotprod prefill-chunk=3" | FileCheck %s --check-prefix=DOTPROD

// AArch64 i8mm: a q8_0 linear of 16 rows (one interleaved row group) with
// 64 inputs stores its quants in 8-byte words (4 words of 16 rows x 8
// bytes per block), marked for the weights writer.
// CHECK: llm.weight @q8 {{.*}}llm.device_interleave = 16 : i64, llm.device_interleave_word = 8 : i64
// Decode (one row): per word, the 8 inputs in both halves of a 16-byte
// vector and one sdot per pair of rows (8 per word), then the lanes added
// pairwise into 16 row sums.
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: vector.load %{{.*}} : memref<8x128xi8>, vector<128xi8>
// CHECK: vector.load %{{.*}} : memref<1x64xi8>, vector<8xi8>
// CHECK: vector.shuffle %[[X:[0-9]+]], %[[X]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xi8>, vector<8xi8>
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK-NOT: smmla
// CHECK: arith.addi %{{.*}} : vector<16xi32>
// CHECK: math.fma %{{.*}} : vector<16xf32>
// Prefill (3 rows): the first two rows go through smmla together, each
// 16-byte part of a word times the two rows' 8 inputs; the tile's lanes
// alternate between the rows (even lanes: the first). The third row takes
// sdot.
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk(
// CHECK: vector.load %{{.*}} : memref<3x64xi8>, vector<8xi8>
// CHECK: vector.load %{{.*}} : memref<3x64xi8>, vector<8xi8>
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.aarch64.neon.smmla.v4i32.v16i8"
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<32xi32>, vector<32xi32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31] : vector<32xi32>, vector<32xi32>
// CHECK: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK: math.fma %{{.*}} : vector<16xf32>

// +dotprod alone: 4-byte words, no smmla.
// DOTPROD: llm.weight @q8
// DOTPROD-NOT: llm.device_interleave_word
// DOTPROD-NOT: smmla
// DOTPROD: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// DOTPROD-NOT: smmla

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
