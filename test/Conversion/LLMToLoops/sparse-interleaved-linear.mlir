// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni" | FileCheck %s --check-prefix=VNNI
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx-vnni" | FileCheck %s --check-prefix=AVXVNNI
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx2" | FileCheck %s --check-prefix=AVX2

// A 2:4 sparse q8_0 linear of 32 rows (two row groups of 16) and 64 inputs
// (2 blocks). With a VNNI dot instruction it gets the interleaved sparse
// layout: per row group and block, one i32 index word per row expanded to
// 4 words of byte-shuffle indices (shift by 2j, 2-bit mask, window base),
// the i16 (negated) sums of the kept quants times 128, and 4 words of 16
// rows' kept quants; per input row the two 16-input halves of the block
// (quantized inputs + 128, stored once per linear) are broadcast, gathered
// per row (vpshufb) and multiplied (vpdpbusd), then scaled with the f16
// scales as the dense interleaved kernel does.
// VNNI: llm.weight @q8 {{.*}}llm.device_interleave = 16
// VNNI-LABEL: func.func @llmc_model_forward
// VNNI: scf.for {{.*}} -> (vector<16xf32>)
// VNNI: vector.load %{{.*}} : memref<4x16xf16>, vector<16xf16>
// VNNI: vector.load %{{.*}} : memref<4x16xi32>, vector<16xi32>
// VNNI: arith.andi %{{.*}}, %{{.*}} : vector<16xi32>
// VNNI: vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// VNNI: vector.load %{{.*}} : memref<4x16xi16>, vector<16xi16>
// VNNI: arith.shli %{{.*}} : vector<16xi32>
// VNNI: vector.load %{{.*}} : memref<16x64xi8>, vector<64xi8>
// VNNI: vector.shuffle
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.addi %{{.*}} : vector<16xi32>
// VNNI: math.fma %{{.*}} : vector<16xf32>

// 256-bit AVX-VNNI: the same layout, two halves per instruction.
// AVXVNNI: llm.weight @q8 {{.*}}llm.device_interleave = 16
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"

// Without VNNI the weight keeps the per-row sparse layout and kernel.
// AVX2-NOT: llm.device_interleave
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// AVX2-NOT: pshuf.b.512

llm.weight @q8 : tensor<32x64xf32> format <q8_0> sparsity <2:4>
llm.weight @emb : tensor<8x64xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x32xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %a = llm.linear %x, @q8 : tensor<1x64xf32> -> tensor<1x32xf32>
  return %a : tensor<1x32xf32>
}
