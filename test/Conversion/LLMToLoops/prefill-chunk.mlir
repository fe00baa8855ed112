// RUN: llmc-opt %s --convert-llm-to-loops=prefill-chunk=6 | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops=prefill-chunk=4 | FileCheck %s --check-prefix=FOUR
// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s --check-prefix=ONE
// RUN: not llmc-opt %s --convert-llm-to-loops=prefill-chunk=0 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: llmc-opt %s --convert-llm-to-loops=prefill-chunk=100 | FileCheck %s --check-prefix=CLAMP

// prefill-chunk=6: a private copy of the decode function with 6 rows reads
// 6 tokens, computes 6x16 logits in the arena (the classifier only for row
// LAST, its last argument) and copies row LAST out. llmc_model_prefill runs
// it on exactly 6 tokens; on 4 or 5 (at least one token tile, and the padded
// positions fit max_seq = 16) with the last token repeated and LAST = n-1;
// one forward call per token otherwise.
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk
// CHECK-SAME: (%{{.*}}: memref<2048xi8>, %{{.*}}: memref<256xi8>, %[[ARENA:.*]]: memref<{{[0-9]+}}xi8>, %[[TOKENS:.*]]: memref<6xi32>, %{{.*}}: index, %[[LOGITS:.*]]: memref<16xf32>, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[LAST:.*]]: index)
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %c6
// CHECK: memref.load %[[TOKENS]][%[[T]]] : memref<6xi32>
// CHECK: %[[ALL:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<6x16xf32>
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %c16
// CHECK: vector.load %{{.*}}[%[[LAST]], %{{.*}}] : memref<6x32xf32>
// CHECK: memref.store %{{.*}}, %[[ALL]][%[[LAST]], %[[N]]] : memref<6x16xf32>
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c16
// CHECK: %[[V:.*]] = memref.load %[[ALL]][%[[LAST]], %[[J]]] : memref<6x16xf32>
// CHECK: memref.store %[[V]], %[[LOGITS]][%[[J]]] : memref<16xf32>
// CHECK-LABEL: func.func @llmc_model_prefill
// CHECK-SAME: (%[[W:arg[0-9]+]]: memref<2048xi8>, %[[KV:arg[0-9]+]]: memref<256xi8>, %[[A:arg[0-9]+]]: memref<{{[0-9]+}}xi8>, %[[TOK:arg[0-9]+]]: memref<6xi32>, %[[N64:arg[0-9]+]]: i64, %[[POS:arg[0-9]+]]: index, %[[OUT:arg[0-9]+]]: memref<16xf32>, %[[PFOR:arg[0-9]+]]: !llvm.ptr, %[[POOL:arg[0-9]+]]: !llvm.ptr)
// CHECK: %[[COUNT:.*]] = arith.index_cast %[[N64]] : i64 to index
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[COUNT]], %c6
// CHECK: scf.if %[[FULL]] {
// CHECK: func.call @llmc_model_prefill_chunk(%[[W]], %[[KV]], %[[A]], %[[TOK]], %[[POS]], %[[OUT]], %[[PFOR]], %[[POOL]], %c5)
// CHECK: } else {
// CHECK: %[[ENOUGH:.*]] = arith.cmpi sge, %[[COUNT]], %c4
// CHECK: %[[END:.*]] = arith.addi %[[POS]], %c6
// CHECK: %[[FITS:.*]] = arith.cmpi sle, %[[END]], %c16
// CHECK: %[[PAD:.*]] = arith.andi %[[ENOUGH]], %[[FITS]]
// CHECK: scf.if %[[PAD]] {
// CHECK: %[[PADDED:.*]] = memref.alloca() : memref<6xi32>
// CHECK: %[[LASTTOK:.*]] = arith.subi %[[COUNT]], %c1
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[FROM:.*]] = arith.minui %[[K]], %[[LASTTOK]]
// CHECK: %[[PT:.*]] = memref.load %[[TOK]][%[[FROM]]] : memref<6xi32>
// CHECK: memref.store %[[PT]], %[[PADDED]][%[[K]]] : memref<6xi32>
// CHECK: func.call @llmc_model_prefill_chunk(%[[W]], %[[KV]], %[[A]], %[[PADDED]], %[[POS]], %[[OUT]], %[[PFOR]], %[[POOL]], %[[LASTTOK]])
// CHECK: } else {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[COUNT]] step
// CHECK: %[[TOKEN:.*]] = memref.load %[[TOK]][%[[I]]] : memref<6xi32>
// CHECK: %[[P:.*]] = arith.addi %[[POS]], %[[I]] : index
// CHECK: func.call @llmc_model_forward(%[[W]], %[[KV]], %[[A]], %[[TOKEN]], %[[P]], %[[OUT]], %[[PFOR]], %[[POOL]])
// CHECK-LABEL: func.func @llmc_model_info
// CHECK: %[[CHUNK:.*]] = arith.constant 6 : i64
// CHECK: memref.store %[[CHUNK]], %{{.*}}[%c9]

// The default, 1: no copy, prefill is token by token.
// ONE-NOT: llmc_model_prefill_chunk
// ONE: func.func @llmc_model_prefill(%{{.*}}: memref<1xi32>
// ONE-NOT: llmc_model_prefill_chunk

// BAD: error: prefill-chunk must be >= 1, got 0

// A chunk of one token tile or less has no padded path: fewer tokens run
// token by token.
// FOUR-LABEL: func.func @llmc_model_prefill
// FOUR: scf.if
// FOUR: func.call @llmc_model_prefill_chunk
// FOUR: } else {
// FOUR-NOT: memref.alloca
// FOUR: func.call @llmc_model_forward
// FOUR: return

// A chunk beyond the context (max_seq = 16) is clamped to it.
// CLAMP: func.func private @llmc_model_prefill_chunk({{.*}}memref<16xi32>
llm.weight @emb : tensor<16x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
