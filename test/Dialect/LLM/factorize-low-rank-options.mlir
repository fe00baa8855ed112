// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-factorize-low-rank 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not llmc-opt %s --llm-factorize-low-rank="rank=2 energy=0.9" 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: not llmc-opt %s --llm-factorize-low-rank="rank=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-factorize-low-rank="rank=5" 2>&1 | FileCheck %s --check-prefix=LARGE
// RUN: not llmc-opt %s --llm-factorize-low-rank="ratio=1.5" 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not llmc-opt %s --llm-factorize-low-rank="energy=-0.5" 2>&1 | FileCheck %s --check-prefix=ENERGY
// RUN: not llmc-opt %s --llm-factorize-low-rank="rank=1 skip=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not llmc-opt %s --llm-factorize-low-rank="rank=1 only=wq" 2>&1 | FileCheck %s --check-prefix=NAME

// NONE: llm-factorize-low-rank: give exactly one of rank, ratio and energy
// TWO: llm-factorize-low-rank: give exactly one of rank, ratio and energy
// NEG: llm-factorize-low-rank: rank must be positive, got -1
// LARGE: llm-factorize-low-rank: rank 5 is larger than the rank of @w (4x4 has at most 4)
// RATIO: llm-factorize-low-rank: ratio must be in (0, 1], got 1.5
// ENERGY: llm-factorize-low-rank: energy must be in (0, 1], got -0.5
// REGEX: llm-factorize-low-rank: invalid skip regular expression: parentheses not balanced
// NAME: llm-factorize-low-rank: only='wq' matches no weight of the module

llm.weight @w : tensor<4x4xf32> = dense<1.0> : tensor<4x4xf32>
