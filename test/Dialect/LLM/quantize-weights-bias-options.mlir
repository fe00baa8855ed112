// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 bias-correction=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: echo '{"means": ' > %t.bad.json
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 bias-correction=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: echo '{"tokens": 1}' > %t.nomeans.json
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 bias-correction=%t.nomeans.json" 2>&1 | FileCheck %s --check-prefix=NOMEANS
// RUN: echo '{"means": {"linear.w": ["x"]}}' > %t.nan.json
// RUN: not llmc-opt %s --llm-quantize-weights="format=int4 bias-correction=%t.nan.json" 2>&1 | FileCheck %s --check-prefix=NUMBER

// MISSING: llm-quantize-weights: cannot read bias-correction means '{{.*}}missing.json': No such file or directory
// BAD: llm-quantize-weights: '{{.*}}bad.json' is not valid JSON
// NOMEANS: llm-quantize-weights: '{{.*}}nomeans.json' has no "means" object
// NUMBER: llm-quantize-weights: means of 'linear.w' in '{{.*}}nan.json' has a non-number
llm.weight @w : tensor<2x32xf32> = dense<0.5> : tensor<2x32xf32>
