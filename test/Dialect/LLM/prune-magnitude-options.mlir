// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-prune-magnitude="sparsity=1.5" 2>&1 | FileCheck %s --check-prefix=HIGH
// RUN: not llmc-opt %s --llm-prune-magnitude="sparsity=1" 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not llmc-opt %s --llm-prune-magnitude="sparsity=-0.1" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-prune-magnitude="sparsity=half" 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not llmc-opt %s --llm-prune-magnitude="scope=column" 2>&1 | FileCheck %s --check-prefix=SCOPE
// RUN: not llmc-opt %s --llm-prune-magnitude="only=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not llmc-opt %s --llm-prune-magnitude="skip=[" 2>&1 | FileCheck %s --check-prefix=SKIP
// RUN: not llmc-opt %s --llm-prune-magnitude="only=attn_qq" 2>&1 | FileCheck %s --check-prefix=NAME

// HIGH: llm-prune-magnitude: sparsity must be in [0, 1), got 1.5
// ONE: llm-prune-magnitude: sparsity must be in [0, 1), got 1
// NEG: llm-prune-magnitude: sparsity must be in [0, 1), got -0.1
// PARSE: for the --sparsity option: 'half' value invalid for floating point argument
// SCOPE: llm-prune-magnitude: scope must be row or layer, got 'column'
// REGEX: llm-prune-magnitude: invalid only regular expression: parentheses not balanced
// SKIP: llm-prune-magnitude: invalid skip regular expression: brackets ([ ]) not balanced
// NAME: llm-prune-magnitude: only='attn_qq' matches no weight of the module

llm.weight @blk.0.attn_q.weight : tensor<2x4xf32> = dense<0.5> : tensor<2x4xf32>
