// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=-3" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=4" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=80" 2>&1 | FileCheck %s --check-prefix=MORE
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=2 select=random" 2>&1 | FileCheck %s --check-prefix=SELECT
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=2" 2>&1 | FileCheck %s --check-prefix=ROPE
// RUN: not llmc-opt %s --split-input-file --llm-slice-width="dim=2" 2>&1 | FileCheck %s --check-prefix=NOEMB

// ZERO: llm-slice-width: dim must be positive, got 0
// NEG: llm-slice-width: dim must be positive, got -3
// SAME: llm-slice-width: dim 4 must be smaller than the model width 4
// MORE: llm-slice-width: dim 80 must be smaller than the model width 4
// SELECT: llm-slice-width: select must be 'norm' or 'first', got 'random'

llm.weight @token_embd.weight : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
llm.weight @norm : tensor<4xf32> = dense<1.0> : tensor<4xf32>
func.func @decode(%tok: tensor<1xi32>) -> tensor<1x8xf32> {
  %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x4xf32>
  %n = llm.rms_norm %x, @norm {eps = 1.0e-05 : f32} : tensor<1x4xf32>
  %y = llm.linear %n, @token_embd.weight : tensor<1x4xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

// The residual stream must only reach ops whose model-width channels the
// pass knows how to slice.
// ROPE: error: 'llm.rope' op cannot be sliced by llm-slice-width: it reads or produces the residual stream
llm.weight @token_embd.weight : tensor<8x4xf32> = dense<1.0> : tensor<8x4xf32>
func.func @decode(%tok: tensor<1xi32>, %pos: index) -> tensor<1x4xf32> {
  %x = llm.embedding %tok, @token_embd.weight : tensor<1xi32> -> tensor<1x4xf32>
  %r = llm.rope %x, %pos {head_dim = 2 : i64, heads = 2 : i64, style = #llm.rope_style<adjacent>, theta = 1.000000e+04 : f32} : tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// NOEMB: llm-slice-width: the module has no llm.embedding, so no model width to slice
func.func @decode(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  return %x : tensor<1x4xf32>
}
