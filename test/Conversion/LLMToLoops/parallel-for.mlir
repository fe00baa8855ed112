// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops=parallel-min-work=0 | FileCheck %s
// RUN: llmc-opt %s --split-input-file --convert-llm-to-loops | FileCheck %s --check-prefix=SERIAL

// The output-feature loop of a linear becomes a private task over a range
// [begin, end); what it uses from the entry function crosses in an i64
// context array as pointers (rebuilt as memrefs): the bytes of its weights
// (a view from the first weight it reads) and the arena buffers it reads
// and writes.
// CHECK-LABEL: func.func private @llmc_model_forward_task0
// CHECK-SAME: (%[[CTX:.*]]: memref<3xi64>, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK: %[[WBITS:.*]] = memref.load %[[CTX]][%{{.*}}] : memref<3xi64>
// CHECK: %[[WPTR:.*]] = llvm.inttoptr %[[WBITS]] : i64 to !llvm.ptr
// CHECK: %[[W:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<2048xi8>
// CHECK: builtin.unrealized_conversion_cast %{{.*}} to memref<1x32xf32>
// CHECK: builtin.unrealized_conversion_cast %{{.*}} to memref<16xf32>
// CHECK: %[[B:.*]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK: %[[E:.*]] = arith.index_cast %[[END]] : i64 to index
// CHECK: scf.for %[[N:.*]] = %[[B]] to %[[E]]
// CHECK: memref.view %[[W]]
// CHECK: vector.reduction <add>
// The entry function stores the captures and calls the task through the
// parallel-for callback, or directly over [0, 16) when it is null.
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK-SAME: %[[PFOR:arg[0-9]+]]: !llvm.ptr, %[[POOL:arg[0-9]+]]: !llvm.ptr)
// CHECK: %[[CTXBUF:.*]] = memref.alloca() : memref<3xi64>
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: memref.store %{{.*}}, %[[CTXBUF]]
// CHECK: %[[COUNT:.*]] = arith.constant 16 : i64
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[ISNULL:.*]] = llvm.icmp "eq" %[[PFOR]], %[[NULL]] : !llvm.ptr
// CHECK: scf.if %[[ISNULL]] {
// CHECK: func.call @llmc_model_forward_task0(%[[CTXBUF]], %{{.*}}, %[[COUNT]])
// CHECK: } else {
// CHECK: %[[TASK:.*]] = func.constant @llmc_model_forward_task0
// CHECK: %[[TASKPTR:.*]] = builtin.unrealized_conversion_cast %[[TASK]] {{.*}} to !llvm.ptr
// CHECK: llvm.call %[[PFOR]](%[[POOL]], %[[COUNT]], %[[TASKPTR]], %{{.*}}) : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()

// With the default threshold (32768 multiply-adds) this 16x32 linear is too
// small to split: a plain loop, no task.
// SERIAL-NOT: _task
// SERIAL-LABEL: func.func @llmc_model_forward
// SERIAL-NOT: llvm.call
// SERIAL: scf.for
llm.weight @emb : tensor<16x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}

// -----

// Attention: the keys and values of every row are stored first (a serial
// loop in the entry function), then one task iteration per (row, KV head,
// query head of its group; attention-heads=1), i = (t * kv_heads + g) *
// group + h, with the score buffer of its task (a row per head it
// computes): allocated once at the task's entry, not inside the loop
// (threads never share it, and the stack does not grow per iteration).
// CHECK-LABEL: func.func private @llmc_model_forward_task0
// CHECK: %[[ATT:.*]] = memref.alloca() : memref<1x16xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK: arith.divui %[[I]], %{{.*}} : index
// CHECK: arith.remui %[[I]], %{{.*}} : index
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.*}}, %[[ATT]]
// CHECK: vector.maskedload %[[ATT]]
// CHECK: vector.maskedstore %[[ATT]]
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK: scf.for
// CHECK: vector.store %{{.*}} : memref<2x2x16x2xf32>, vector<2xf32>
// CHECK: %[[COUNT:.*]] = arith.constant 4 : i64
// CHECK: func.call @llmc_model_forward_task0(%{{.*}}, %{{.*}}, %[[COUNT]])
llm.weight @emb : tensor<16x8xf32>
llm.weight @kv : tensor<16x4xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32>)
    -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x8xf32>
  %k = llm.embedding %tok, @kv : tensor<1xi32> -> tensor<1x4xf32>
  %o = llm.attention %x, %k, %k, %cache[1], %pos {heads = 4 : i64, kv_heads = 2 : i64, head_dim = 2 : i64}
      : tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>, !llm.kv_cache<slots = 2, kv_heads = 2, head_dim = 2, max_seq = 16, element = f32> -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

// Two linears of the same shape and format (say two layers' projections)
// share one task: their weights and buffers differ only in the pointers in
// their context arrays. (The last linear writes the result argument, not
// the arena, so it has a task of its own.)
// CHECK-LABEL: func.func private @llmc_model_forward_task0
// CHECK-LABEL: func.func private @llmc_model_forward_task1
// CHECK-NOT: func.func private @llmc_model_forward_task2
// CHECK-LABEL: func.func @llmc_model_forward
// CHECK-COUNT-3: memref.alloca() : memref<3xi64>
// CHECK: func.call @llmc_model_forward_task0(
// CHECK: func.call @llmc_model_forward_task0(
// CHECK: func.call @llmc_model_forward_task1(
llm.weight @emb : tensor<16x32xf32>
llm.weight @w1 : tensor<32x32xf32>
llm.weight @w2 : tensor<32x32xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x16xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %a = llm.linear %x, @w1 : tensor<1x32xf32> -> tensor<1x32xf32>
  %b = llm.linear %a, @w2 : tensor<1x32xf32> -> tensor<1x32xf32>
  %l = llm.linear %b, @emb : tensor<1x32xf32> -> tensor<1x16xf32>
  return %l : tensor<1x16xf32>
}
