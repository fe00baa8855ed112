// Nonsense options are rejected with a diagnostic.
// RUN: not llmc-opt %s --llm-quantize-weights="format=int3" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 group=0x" 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 group=48" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 group=-32" 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 only=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not llmc-opt %s --llm-quantize-weights="format=f32" 2>&1 | FileCheck %s --check-prefix=F32

// FORMAT: llm-quantize-weights: unknown format 'int3' (expected int8, int4, q8_0, q4_0, q4_k or f16, optionally with :gN, :pc, :sym or :asym)
// PARSE: for the --group option: '0x' value invalid for long argument
// GROUP: llm-quantize-weights: group must be a positive multiple of 32, or 0 for one scale per row; got 48
// NEG: llm-quantize-weights: group must be a positive multiple of 32, or 0 for one scale per row; got -32
// REGEX: llm-quantize-weights: invalid only regular expression: parentheses not balanced
// F32: llm-quantize-weights: unknown format 'f32'

llm.weight @w : tensor<2x64xf32> = dense<0.5> : tensor<2x64xf32>

// RUN: not llmc-opt %s --llm-quantize-weights="format=int4:g3x" 2>&1 | FileCheck %s --check-prefix=SUFFIX
// RUN: not llmc-opt %s --llm-quantize-weights="format=q4_0:g32" 2>&1 | FileCheck %s --check-prefix=SUFFIX
// SUFFIX: llm-quantize-weights: bad format suffix in
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4:g48" 2>&1 | FileCheck %s --check-prefix=GROUP
