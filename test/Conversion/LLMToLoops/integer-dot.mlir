// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx512-vnni" | FileCheck %s --check-prefix=VNNI
// RUN: llmc-opt %s --convert-llm-to-loops="dot-instruction=avx-vnni" | FileCheck %s --check-prefix=AVXVNNI
// RUN: not llmc-opt %s --convert-llm-to-loops="dot-instruction=sse" 2>&1 | FileCheck %s --check-prefix=BAD

// The integer dot-product kernels of int8/int4 weights (the default). A
// q8_0 linear with 320 inputs: 10 blocks of 32, one chunk of 8 and a tail of
// 2.

// First the input row is rounded to int8 per block: max|x| (the largest
// |x| bit pattern as an unsigned integer, a tree reduction on every
// target), the 1.5 * 2^23 rounding trick (bitcast, subtract 0x4B400000 =
// 1262485504), truncation, and each block's quant sum.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: scf.for
// CHECK: %[[ABS:.*]] = math.absf %{{.*}} : vector<32xf32>
// CHECK: %[[BITS:.*]] = arith.bitcast %[[ABS]] : vector<32xf32> to vector<32xi32>
// CHECK: %[[MAX:.*]] = vector.reduction <maxui>, %[[BITS]] : vector<32xi32> into i32
// CHECK: arith.bitcast %[[MAX]] : i32 to f32
// CHECK: arith.constant 0x4B400000 : f32
// CHECK: arith.addf %{{.*}} : vector<32xf32>
// CHECK: arith.bitcast %{{.*}} : vector<32xf32> to vector<32xi32>
// CHECK: arith.constant dense<1262485504> : vector<32xi32>
// CHECK: arith.trunci %{{.*}} : vector<32xi32> to vector<32xi8>
// CHECK: vector.reduction <add>, %{{.*}} : vector<32xi32> into i32
// Then, per output, the full chunk: 8 exact block dot products, summed
// lane-wise, scaled and accumulated with one fma.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>)
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.vector.partial.reduce.add"(%{{.*}}) : (vector<8xi32>, vector<32xi32>) -> vector<8xi32>
// CHECK: arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: math.fma %{{.*}} : vector<8xf32>
// CHECK: scf.yield
// The 2-block tail, then the ordered reduction.
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.vector.partial.reduce.add"
// CHECK: math.fma
// CHECK: vector.reduction <add>, %{{.*}} : vector<8xf32> into f32

// On x86 with VNNI, vpdpbusd takes unsigned bytes first, so signed q8_0
// weights enter as |w| and their signs move onto the inputs (vpsignb).
// VNNI: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// VNNI-NOT: llvm.vector.partial.reduce.add
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVXVNNI-NOT: llvm.vector.partial.reduce.add

// BAD: dot-instruction

llm.weight @q8 : tensor<4x320xf32> format <q8_0>
llm.weight @emb : tensor<8x320xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x4xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x320xf32>
  %a = llm.linear %x, @q8 : tensor<1x320xf32> -> tensor<1x4xf32>
  return %a : tensor<1x4xf32>
}
