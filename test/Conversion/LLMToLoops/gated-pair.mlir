// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops="dot-instruction=avx512-vnni parallel-min-work=0 prefill-chunk=4" | FileCheck %s

// Decode's gate and up linears with the llm.gated_act right after them (up
// first here, as llama.cpp's GGUF order has it; the two weights in different
// formats) run as one parallel loop: each iteration accumulates the same row
// group of both weights side by side, then stores silu(gate) * up for its 16
// rows. The gate and up outputs are never stored, and the forward function
// has no element-wise pass (no exp) between the loops.
// CHECK-LABEL: func.func private @llmc_model_forward_task0(
// CHECK: %[[ACC:.*]]:2 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.yield
// CHECK: %[[NEG:.*]] = arith.negf %[[ACC]]#0 : vector<16xf32>
// CHECK: math.exp %[[NEG]] : vector<16xf32>
// CHECK: %[[SILU:.*]] = arith.mulf %[[ACC]]#0, %{{.*}} : vector<16xf32>
// CHECK: %[[H:.*]] = arith.mulf %[[SILU]], %[[ACC]]#1 : vector<16xf32>
// CHECK: vector.store %[[H]], %{{.*}} : memref<1x64xf32>, vector<16xf32>
// CHECK-NOT: vector.store
// CHECK: func.func private @llmc_model_forward_task1(
// CHECK-LABEL: func.func @llmc_model_forward(
// The fused loop: 4 row groups, one per iteration.
// CHECK: llvm.call %arg6(%arg7, %c4_i64, {{.*}})
// CHECK-NOT: math.exp
// CHECK: llvm.call %arg6(%arg7, %c4_i64{{.*}}, {{.*}})

// Prefill (4 rows) keeps the two linears in one loop (task 1) and the gated
// activation as its own element-wise loop (task 2).
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk_task1(
// CHECK-NOT: math.exp
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk_task2(
// CHECK: math.exp {{.*}} : vector<16xf32>

// The pair is not fused when the gate's result has another use: the
// element-wise pass stays.
// CHECK-LABEL: llm.weight @wg2
// CHECK-LABEL: func.func @llmc_model_forward(
// CHECK: math.exp {{.*}} : vector<16xf32>

llm.weight @emb : tensor<8x64xf32>
llm.weight @wu : tensor<64x64xf32> format <q8_0>
llm.weight @wg : tensor<64x64xf32> format <q4_0>
llm.weight @wd : tensor<64x64xf32> format <q8_0>
llm.weight @wo : tensor<16x64xf32> format <q8_0>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %u = llm.linear %x, @wu : tensor<1x64xf32> -> tensor<1x64xf32>
  %g = llm.linear %x, @wg : tensor<1x64xf32> -> tensor<1x64xf32>
  %h = llm.gated_act <silu> %g, %u : tensor<1x64xf32>
  %d = llm.linear %h, @wd : tensor<1x64xf32> -> tensor<1x64xf32>
  %o = llm.linear %d, @wo : tensor<1x64xf32> -> tensor<1x16xf32>
  return %o : tensor<1x16xf32>
}

// -----

llm.weight @emb : tensor<8x64xf32>
llm.weight @wu : tensor<64x64xf32> format <q8_0>
llm.weight @wg2 : tensor<64x64xf32> format <q4_0>
llm.weight @wo : tensor<16x64xf32> format <q8_0>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x64xf32>
  %g = llm.linear %x, @wg2 : tensor<1x64xf32> -> tensor<1x64xf32>
  %u = llm.linear %x, @wu : tensor<1x64xf32> -> tensor<1x64xf32>
  %h = llm.gated_act <silu> %g, %u : tensor<1x64xf32>
  %s = llm.add %h, %g : tensor<1x64xf32>
  %o = llm.linear %s, @wo : tensor<1x64xf32> -> tensor<1x16xf32>
  return %o : tensor<1x16xf32>
}
