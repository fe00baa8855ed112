// RUN: llmc-opt %s --convert-llm-to-loops=prefill-chunk=3 | FileCheck %s
// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s --check-prefix=ONE
// RUN: not llmc-opt %s --convert-llm-to-loops=prefill-chunk=0 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: llmc-opt %s --convert-llm-to-loops=prefill-chunk=100 | FileCheck %s --check-prefix=CLAMP

// prefill-chunk=3: a private copy of the decode function with 3 rows reads
// 3 tokens, computes 3x16 logits in the arena (the classifier only for row
// LAST, its last argument) and copies row LAST out. llmc_model_prefill runs
// it on exactly 3 tokens; on 2 (at least max(2, 3/8) and the padded
// positions fit max_seq = 4) with the last token repeated and LAST = 1; one
// forward call per token otherwise.
// CHECK-LABEL: func.func private @llmc_model_prefill_chunk
// CHECK-SAME: (%{{.*}}: memref<2048xi8>, %{{.*}}: memref<64xi8>, %[[ARENA:.*]]: memref<{{[0-9]+}}xi8>, %[[TOKENS:.*]]: memref<3xi32>, %{{.*}}: index, %[[LOGITS:.*]]: memref<16xf32>, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[LAST:.*]]: index)
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %c3
// CHECK: memref.load %[[TOKENS]][%[[T]]] : memref<3xi32>
// CHECK: %[[ALL:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<{{[0-9]+}}xi8> to memref<3x16xf32>
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %c16
// CHECK: vector.load %{{.*}}[%[[LAST]], %{{.*}}] : memref<3x32xf32>
// CHECK: memref.store %{{.*}}, %[[ALL]][%[[LAST]], %[[N]]] : memref<3x16xf32>
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %c16
// CHECK: %[[V:.*]] = memref.load %[[ALL]][%[[LAST]], %[[J]]] : memref<3x16xf32>
// CHECK: memref.store %[[V]], %[[LOGITS]][%[[J]]] : memref<16xf32>
// CHECK-LABEL: func.func @llmc_model_prefill
// CHECK-SAME: (%[[W:arg[0-9]+]]: memref<2048xi8>, %[[KV:arg[0-9]+]]: memref<64xi8>, %[[A:arg[0-9]+]]: memref<{{[0-9]+}}xi8>, %[[TOK:arg[0-9]+]]: memref<3xi32>, %[[N64:arg[0-9]+]]: i64, %[[POS:arg[0-9]+]]: index, %[[OUT:arg[0-9]+]]: memref<16xf32>, %[[PFOR:arg[0-9]+]]: !llvm.ptr, %[[POOL:arg[0-9]+]]: !llvm.ptr)
// CHECK: %[[COUNT:.*]] = arith.index_cast %[[N64]] : i64 to index
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[COUNT]], %c3
// CHECK: scf.if %[[FULL]] {
// CHECK: func.call @llmc_model_prefill_chunk(%[[W]], %[[KV]], %[[A]], %[[TOK]], %[[POS]], %[[OUT]], %[[PFOR]], %[[POOL]], %c2)
// CHECK: } else {
// CHECK: %[[ENOUGH:.*]] = arith.cmpi sge, %[[COUNT]], %c2
// CHECK: %[[END:.*]] = arith.addi %[[POS]], %c3
// CHECK: %[[FITS:.*]] = arith.cmpi sle, %[[END]], %c4
// CHECK: %[[PAD:.*]] = arith.andi %[[ENOUGH]], %[[FITS]]
// CHECK: scf.if %[[PAD]] {
// CHECK: %[[PADDED:.*]] = memref.alloca() : memref<3xi32>
// CHECK: %[[LASTTOK:.*]] = arith.subi %[[COUNT]], %c1
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[FROM:.*]] = arith.minui %[[K]], %[[LASTTOK]]
// CHECK: %[[PT:.*]] = memref.load %[[TOK]][%[[FROM]]] : memref<3xi32>
// CHECK: memref.store %[[PT]], %[[PADDED]][%[[K]]] : memref<3xi32>
// CHECK: func.call @llmc_model_prefill_chunk(%[[W]], %[[KV]], %[[A]], %[[PADDED]], %[[POS]], %[[OUT]], %[[PFOR]], %[[POOL]], %[[LASTTOK]])
// CHECK: } else {
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[COUNT]] step
// CHECK: %[[TOKEN:.*]] = memref.load %[[TOK]][%[[I]]] : memref<3xi32>
// CHECK: %[[P:.*]] = arith.addi %[[POS]], %[[I]] : index
// CHECK: func.call @llmc_model_forward(%[[W]], %[[KV]], %[[A]], %[[TOKEN]], %[[P]], %[[OUT]], %[[PFOR]], %[[POOL]])
// CHECK-LABEL: func.func @llmc_model_info
// CHECK: %[[CHUNK:.*]] = arith.constant 3 : i64
// CHECK: memref.store %[[CHUNK]], %{{.*}}[%c9]

// The default, 1: no copy, prefill is token by token.
// ONE-NOT: llmc_model_prefill_chunk
// ONE: func.func @llmc_model_prefill(%{{.*}}: memref<1xi32>
// ONE-NOT: llmc_model_prefill_chunk

// BAD: error: prefill-chunk must be >= 1, got 0

// A chunk beyond the context (max_seq = 4) is clamped to it.
// CLAMP: func.func private @llmc_model_prefill_chunk({{.*}}memref<4xi32>
llm.weight @emb : tensor<16x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
