// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops="integer-dot=false" | FileCheck %s

// The reference kernels (integer-dot=false); integer-dot.mlir checks the
// default integer dot-product kernels of int8/int4 weights.

// A minimal decoder: embedding, norm and a tied classifier. Checks the ABI,
// the weight layout and the arena plan.

// CHECK-LABEL: module attributes {llm.device_layout = {arena_bytes = 320 : i64, kv_cache_bytes = 512 : i64, max_seq = 16 : i64, model_id = {{[0-9]+}} : i64, weights_bytes = 2176 : i64}}
// CHECK: llm.weight @emb : tensor<16x32xf32> {llm.device_offset = 0 : i64}
// CHECK: llm.weight @n : tensor<32xf32> {llm.device_offset = 2048 : i64}
llm.weight @emb : tensor<16x32xf32>
llm.weight @n : tensor<32xf32>

// CHECK: func.func @llmc_model_forward(%[[W:.*]]: memref<2176xi8>, %[[KV:.*]]: memref<512xi8>, %[[ARENA:.*]]: memref<320xi8>, %[[TOK:.*]]: i32, %[[POS:.*]]: index, %[[LOGITS:.*]]: memref<16xf32>, %[[PFOR:.*]]: !llvm.ptr, %[[POOL:.*]]: !llvm.ptr)
// The token lives in the arena; the embedding row is clamped into the vocabulary.
// CHECK: %[[TOKBUF:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<320xi8> to memref<1xi32>
// CHECK: memref.store %[[TOK]], %[[TOKBUF]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// The norm's sum of squares: 16 partial sums (lane j over the columns j
// mod 16), then added in lane order.
// CHECK: scf.for {{.*}} -> (vector<16xf32>)
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT: scf.for
// CHECK: math.sqrt
// The classifier writes straight into the caller's logits.
// CHECK: memref.expand_shape %[[LOGITS]] {{\[\[}}0, 1]] output_shape [1, 16] : memref<16xf32> into memref<1x16xf32>
// CHECK: vector.load {{.*}} : memref<1x32xf32>, vector<16xf32>
// CHECK: vector.reduction <add>
// The description the runtime checks against the weights file.
// CHECK: func.func @llmc_model_info(%[[OUT:.*]]: memref<16xi64>)
// CHECK-NEXT: %[[ABI:.*]] = arith.constant 2 : i64
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.store %[[ABI]], %[[OUT]][%[[C0]]]
// CHECK: %[[VOCAB:.*]] = arith.constant 16 : i64
// CHECK-NEXT: %[[C3:.*]] = arith.constant 3 : index
// CHECK-NEXT: memref.store %[[VOCAB]], %[[OUT]][%[[C3]]]
// CHECK-NOT: func.func @decode
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %n = llm.rms_norm %x, @n {eps = 1.0e-5 : f32} : tensor<1x32xf32>
  %l = llm.linear %n, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// Block-quantized weights are read in their packed device layout: q8_0 as
// f32 scales plus int8 quants, q4_0 as f32 scales plus nibbles.

// CHECK-LABEL: module attributes
// CHECK: llm.weight @q8 : tensor<4x64xf32> format <q8_0> {llm.device_offset = 0 : i64}
// CHECK: llm.weight @q4 : tensor<4x64xf32> format <q4_0> {llm.device_offset = 320 : i64}
llm.weight @q8 : tensor<4x64xf32> format <q8_0>
llm.weight @q4 : tensor<4x64xf32> format <q4_0>
llm.weight @emb : tensor<8x64xf32> format <f16>

// CHECK: func.func @llmc_model_forward
// q8_0: scales at +0, quants at +64.
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<4x2xf32>
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<4x64xi8>
// CHECK: vector.load {{.*}} : memref<4x64xi8>, vector<32xi8>
// CHECK: arith.sitofp {{.*}} : vector<32xi8> to vector<32xf32>
// q4_0: low and high nibbles, offset by 8.
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<4x32xi8>
// CHECK: vector.load {{.*}} : memref<4x32xi8>, vector<16xi8>
// CHECK: arith.andi
// CHECK: arith.shrui
// CHECK: arith.uitofp {{.*}} : vector<16xi8> to vector<16xf32>
// f16 classifier: widened after the load.
// CHECK: vector.load {{.*}} : memref<8x64xf16>, vector<16xf16>
// CHECK: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %a = llm.linear %x, @q8 : tensor<1x64xf32> -> tensor<1x4xf32>
  %b = llm.linear %x, @q4 : tensor<1x64xf32> -> tensor<1x4xf32>
  %c = llm.add %a, %b : tensor<1x4xf32>
  %l = llm.linear %x, @emb : tensor<1x64xf32> -> tensor<1x8xf32>
  return %l : tensor<1x8xf32>
}

// -----

// Attention stores k/v at the position, then loops over 0..pos for scores,
// softmax and the weighted sum. The score buffer is on the stack of the
// function running the loop (of each task when split over threads). The
// softmax's exp is a vector math.exp (llmc-approximate-math makes it a
// polynomial when lowering to LLVM), 16 positions per
// vector; the weighted sum keeps the head's output in vector registers.

llm.weight @emb : tensor<16x8xf32>
llm.weight @wk : tensor<4x8xf32>
// CHECK-LABEL: module attributes
// CHECK: func.func @llmc_model_forward
// CHECK-SAME: %[[KV:[^:]*]]: memref<1024xi8>
// CHECK-SAME: %[[POS:[^:]*]]: index
// The view of the op's slot (1 of 2: byte 512 of the cache).
// CHECK: memref.view %[[KV]][%c512][] : memref<1024xi8> to memref<2x2x16x2xf32>
// CHECK: arith.maximumf
// CHECK: vector.maskedload {{.*}} : memref<1x16xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: math.exp %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore
// CHECK: scf.for {{.*}} -> (vector<2xf32>)
// CHECK: math.fma {{.*}} : vector<2xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %q = llm.rope %x, %pos {heads = 4 : i64, head_dim = 2 : i64, theta = 1.0e4 : f32, style = #llm.rope_style<adjacent>} : tensor<1x8xf32>
  %k = llm.linear %q, @wk : tensor<1x8xf32> -> tensor<1x4xf32>
  %o = llm.attention %q, %k, %k, %cache[1], %pos {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64}
      : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32> -> tensor<1x8xf32>
  %l = llm.linear %o, @emb : tensor<1x8xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// A norm over 40 columns: two 16-column chunks of partial sums, then
// columns 32..39 added in order to their sum.

llm.weight @emb40 : tensor<16x40xf32>
llm.weight @n40 : tensor<40xf32>

// CHECK-LABEL: llm.weight @n40
// CHECK: %[[END:.*]] = arith.constant 32 : index
// CHECK: %[[STEP:.*]] = arith.constant 16 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[END]] step %[[STEP]] iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK: %[[PART:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[FROM:.*]] = arith.constant 32 : index
// CHECK: %[[TO:.*]] = arith.constant 40 : index
// CHECK: %[[REST:.*]] = scf.for %{{.*}} = %[[FROM]] to %[[TO]] step %{{.*}} iter_args(%{{.*}} = %[[PART]]) -> (f32)
// CHECK: arith.divf %[[REST]]
// CHECK: math.sqrt
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb40 : tensor<1xi32> -> tensor<1x40xf32>
  %n = llm.rms_norm %x, @n40 {eps = 1.0e-5 : f32} : tensor<1x40xf32>
  %l = llm.linear %n, @emb40 : tensor<1x40xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
