//===- Passes.td - llm dialect transformation passes -------*- tablegen -*-===//
//
// Passes that rewrite the llm dialect: structure, compression, and the
// preparation steps of lowering.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD
#define LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LLMInlineStructurePass : Pass<"llm-inline-structure", "::mlir::ModuleOp"> {
  let summary = "Replaces llm.layer and llm.residual regions by their bodies "
                "and explicit residual adds.";
  let description = [{
    The structure ops exist for the compression passes. Lowering wants a flat
    list of compute ops, so this pass inlines every `llm.layer` body in place
    and turns every `llm.residual` into its body followed by
    `llm.add %input, %body_result`.

    Before:
    ```mlir
    %a = llm.residual <attention> (%x) : tensor<1x64xf32> {
    ^bb0(%in: tensor<1x64xf32>):
      %o = ... %in ...
      llm.yield %o : tensor<1x64xf32>
    }
    ```
    After:
    ```mlir
    %o = ... %x ...
    %a = llm.add %x, %o : tensor<1x64xf32>
    ```
  }];
  let dependentDialects = ["::llmc::llm::LLMDialect"];
  let statistics = [
    Statistic<"numLayers", "layers", "Number of llm.layer ops inlined">,
    Statistic<"numSublayers", "sublayers",
              "Number of llm.residual ops inlined">
  ];
}

#endif // LLMC_DIALECT_LLM_TRANSFORMS_PASSES_TD
