// RUN: llmc-opt %s --convert-llm-to-loops | FileCheck %s --check-prefix=NATIVE
// RUN: llmc-opt %s --convert-llm-to-loops="emulate-f16=true" | FileCheck %s --check-prefix=EMUL

// f16 weights widen with arith.extf where the target converts in hardware,
// and with integer arithmetic where it does not (RISC-V without Zvfhmin).

// NATIVE-LABEL: func.func @llmc_model_forward
// NATIVE: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
// EMUL-LABEL: func.func @llmc_model_forward
// EMUL-NOT: arith.extf
// EMUL: arith.bitcast {{.*}} : vector<16xf16> to vector<16xi16>
// EMUL: arith.extui {{.*}} : vector<16xi16> to vector<16xi32>
// EMUL: arith.select
// EMUL: arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
llm.weight @emb : tensor<8x32xf32> format <f16>
func.func @decode(%tok: tensor<1xi32>, %pos: index,
    %cache: !llm.kv_cache<slots = 1, kv_heads = 1, head_dim = 2, max_seq = 4, element = f32>)
    -> tensor<1x8xf32> attributes {llm.entry = "decode"} {
  %x = llm.embedding %tok, @emb : tensor<1xi32> -> tensor<1x32xf32>
  %l = llm.linear %x, @emb : tensor<1x32xf32> -> tensor<1x8xf32>
  return %l : tensor<1x8xf32>
}
