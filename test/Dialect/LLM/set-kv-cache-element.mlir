// RUN: llmc-opt %s --split-input-file --llm-set-kv-cache-element=element=f16 | FileCheck %s --check-prefix=F16
// RUN: llmc-opt %s --split-input-file --llm-set-kv-cache-element=element=i8 | FileCheck %s --check-prefix=I8
// RUN: not llmc-opt %s --split-input-file --llm-set-kv-cache-element=element=bf16 2>&1 | FileCheck %s --check-prefix=BAD

// The KV-cache argument (in the block and the function type) gets the new
// element type; the attention ops read it through the argument.
// F16-LABEL: func.func @decode
// F16-SAME: %{{.*}}: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f16>
// F16: llm.attention {{.*}}, <slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f16>
// I8-LABEL: func.func @decode
// I8-SAME: %{{.*}}: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = i8>
// I8: llm.attention {{.*}}, <slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = i8>
// BAD: error: llm-set-kv-cache-element: element must be f32, f16 or i8, got 'bf16'
func.func @decode(%x: tensor<1x8xf32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32>)
    -> tensor<1x8xf32> {
  %o = llm.attention %x, %x, %x, %cache[0], %pos {heads = 2 : i64, kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, !llm.kv_cache<slots = 1, kv_heads = 2, head_dim = 4, max_seq = 16, element = f32> -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}
