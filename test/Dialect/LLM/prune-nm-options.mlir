// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-prune-nm="n=5 m=4" 2>&1 | FileCheck %s --check-prefix=N-GT-M
// RUN: not llmc-opt %s --llm-prune-nm="n=0 m=4" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not llmc-opt %s --llm-prune-nm="n=2 m=-4" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-prune-nm="n=two" 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not llmc-opt %s --llm-prune-nm="only=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not llmc-opt %s --llm-prune-nm="only=ffn_gate" 2>&1 | FileCheck %s --check-prefix=NAME

// N-GT-M: llm-prune-nm: need 1 <= n <= m, got n=5 m=4
// ZERO: llm-prune-nm: need 1 <= n <= m, got n=0 m=4
// NEG: llm-prune-nm: need 1 <= n <= m, got n=2 m=-4
// PARSE: for the -n option: 'two' value invalid for long argument
// REGEX: llm-prune-nm: invalid only regular expression: parentheses not balanced
// NAME: llm-prune-nm: only='ffn_gate' matches no weight of the module

llm.weight @blk.0.attn_q.weight : tensor<2x4xf32> = dense<0.5> : tensor<2x4xf32>
