// Weights that cannot be stored 2:4 sparse, and bad options: diagnostics.
// RUN: not llmc-opt %s --split-input-file --llm-sparsify-weights 2>&1 | FileCheck %s
// RUN: not llmc-opt %s --split-input-file --llm-sparsify-weights="n=1 m=4" 2>&1 | FileCheck %s --check-prefix=PATTERN
// RUN: not llmc-opt %s --split-input-file --llm-sparsify-weights="only=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// PATTERN: llm-sparsify-weights: unsupported sparsity 1:4 (only 2:4 is supported)
// REGEX: llm-sparsify-weights: invalid only regular expression

// Inputs 0..3 of row 0 hold 3 nonzero quants (1, 2, 3, 0).
// CHECK: error: 'llm.weight' op is not 2:4 sparse: row 0, inputs 0..3 hold 3 nonzero values (prune it first, e.g. llm-prune-nm{n=2 m=4})
module @dense_group {
  llm.weight @w : tensor<1x64xf32> format <int8, group = 32> = dense<[0, 0, 0, 63, 1, 2, 3, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 63, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]> : tensor<72xi8>
  func.func @decode(%x: tensor<1x64xf32>) -> tensor<1x1xf32> {
    %a = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x1xf32>
    %b = llm.add %a, %a : tensor<1x1xf32>
    return %b : tensor<1x1xf32>
  }
}

// -----

// An asymmetric format has no zero quant.
// CHECK: error: 'llm.weight' op cannot be stored #llm.sparsity<2:4> sparse in format #llm.format<int8, group = 32, asymmetric>: the sparse layout needs a symmetric integer format (int8, int4, q8_0 or q4_0), where a zero weight is a zero quant
module @asymmetric {
  llm.weight @w : tensor<1x64xf32> format <int8, group = 32, asymmetric> = dense<0> : tensor<80xi8>
  func.func @decode(%x: tensor<1x64xf32>) -> tensor<1x1xf32> {
    %a = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x1xf32>
    %b = llm.add %a, %a : tensor<1x1xf32>
    return %b : tensor<1x1xf32>
  }
}

// -----

// Nothing quantized: nothing to mark.
// CHECK: error: llm-sparsify-weights: no weight was marked #llm.sparsity<2:4> sparse (it needs linear weights quantized to int8, int4, q8_0 or q4_0)
module @float {
  llm.weight @w : tensor<1x64xf32> = dense<0.0> : tensor<1x64xf32>
  func.func @decode(%x: tensor<1x64xf32>) -> tensor<1x1xf32> {
    %a = llm.linear %x, @w : tensor<1x64xf32> -> tensor<1x1xf32>
    %b = llm.add %a, %a : tensor<1x1xf32>
    return %b : tensor<1x1xf32>
  }
}
