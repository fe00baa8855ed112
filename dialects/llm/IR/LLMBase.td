//===- LLMBase.td - The llm dialect definition -------------*- tablegen -*-===//
//
// The `llm` dialect: transformer decoders at the level compression reasons
// about.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_DIALECT_LLM_IR_LLMBASE_TD
#define LLMC_DIALECT_LLM_IR_LLMBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def LLM_Dialect : Dialect {
  let name = "llm";
  let cppNamespace = "::llmc::llm";
  let summary = "Transformer decoder graphs for compression and lowering.";
  let description = [{
    The `llm` dialect captures a Llama-family decoder as the compression
    passes see it: decoder layers and their attention and MLP sublayers are
    region ops (`llm.layer`, `llm.residual`), weights are module-level
    symbols (`llm.weight`) whose bytes live outside the textual IR, quantized
    storage is an attribute the lowering must honor, and the KV cache is a
    value with a type (`!llm.kv_cache`). Dropping a sublayer, slicing heads or
    quantizing a weight are local rewrites of this structure.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class LLM_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLM_Dialect, mnemonic, traits>;

#endif // LLMC_DIALECT_LLM_IR_LLMBASE_TD
