// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=int4 group=32" | FileCheck %s --check-prefix=INT4
// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=int8 group=0 symmetric=false" | FileCheck %s --check-prefix=INT8
// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=q4_0" | FileCheck %s --check-prefix=Q40
// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=int8:pc:asym" | FileCheck %s --check-prefix=INT8
// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=q8_0 skip=emb" | FileCheck %s --check-prefix=SKIP
// RUN: llmc-opt %s --split-input-file --llm-quantize-weights="format=int8 only=^emb$" --llm-quantize-weights="format=int4 group=64" | FileCheck %s --check-prefix=MIXED

// Matrices are quantized (2 x 64 at 4 bits with a 32-group: 4 groups of an
// f32 scale and 16 bytes); the norm vector and the 48-wide matrix whose rows
// do not split into groups stay f32.
// INT4-LABEL: module
// INT4: llm.weight @emb : tensor<2x64xf32> format <int4, group = 32> = dense_resource<emb> : tensor<80xi8>
// INT4: llm.weight @norm : tensor<64xf32> = dense
// INT4: llm.weight @odd : tensor<2x48xf32> = dense
// INT8: llm.weight @emb : tensor<2x64xf32> format <int8, per_channel, asymmetric> = dense_resource<emb> : tensor<144xi8>
// INT8: llm.weight @odd : tensor<2x48xf32> = dense
// Q40: llm.weight @emb : tensor<2x64xf32> format <q4_0> = dense_resource<emb> : tensor<72xi8>
// SKIP: llm.weight @emb : tensor<2x64xf32> = dense
// SKIP: llm.weight @w : tensor<2x64xf32> format <q8_0> = dense_resource<w> : tensor<136xi8>
// MIXED: llm.weight @emb : tensor<2x64xf32> format <int8, group = 32>
// MIXED: llm.weight @w : tensor<2x64xf32> format <int4, group = 64>
llm.weight @emb : tensor<2x64xf32> = dense<0.25> : tensor<2x64xf32>
llm.weight @w : tensor<2x64xf32> = dense<-0.5> : tensor<2x64xf32>
llm.weight @norm : tensor<64xf32> = dense<1.0> : tensor<64xf32>
llm.weight @odd : tensor<2x48xf32> = dense<1.0> : tensor<2x48xf32>
