// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx2" | FileCheck %s --check-prefix=AVX2
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni" | FileCheck %s --check-prefix=VNNI

// A 2:4 sparse q8_0 linear with 320 inputs (10 blocks of 32: one chunk of 8
// blocks = 4 block pairs, and a tail of one pair). Each pair reads 32 kept
// quants and 8 bytes of 2-bit positions (broadcast, shifted by 0/2/4/6 per
// quarter, masked to 2 bits).
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>)
// CHECK: memref.load %{{.*}} : memref<4x5xi64>
// CHECK: vector.broadcast %{{.*}} : i64 to vector<4xi64>
// CHECK: arith.constant dense<[0, 2, 4, 6]> : vector<4xi64>
// CHECK: vector.bitcast %{{.*}} : vector<4xi64> to vector<32xi8>
// Portable code expands each block's dense weights in registers (static
// shuffles of values and codes, compare with the input position, select)
// and takes the dense block dot product.
// CHECK: vector.shuffle
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK: llvm.call_intrinsic "llvm.vector.partial.reduce.add"
// CHECK: math.fma %{{.*}} : vector<8xf32>
// CHECK: scf.yield
// CHECK: math.fma
// CHECK: vector.reduction <add>, %{{.*}} : vector<8xf32> into f32

// x86 gathers the inputs of the kept values with byte shuffles instead
// (one per block of the pair; bit 7 of the index zeros the other block's
// slots) and multiplies the kept values only.
// AVX2-LABEL: func.func @llmc_model_forward
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// AVX2: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// AVX2-NOT: arith.cmpi eq
// VNNI-LABEL: func.func @llmc_model_forward
// VNNI: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"

llm.weight @q8 : tensor<4x320xf32> format <q8_0> sparsity <2:4>
llm.weight @emb : tensor<8x320xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x320xf32>
  %a = llm.linear %x, @q8 : tensor<1x320xf32> -> tensor<1x4xf32>
  return %a : tensor<1x4xf32>
}
