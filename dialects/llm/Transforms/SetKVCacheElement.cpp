//===- SetKVCacheElement.cpp - Choose the KV cache storage type -*- C++ -*-===//
//
// Implements llm-set-kv-cache-element: the KV-cache arguments of the
// functions get the requested storage element type (f32, f16 or i8).
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/Passes.h"

#include "llm/IR/LLMDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace llmc::llm {
#define GEN_PASS_DEF_LLMSETKVCACHEELEMENTPASS
#include "llm/Transforms/Passes.h.inc"
} // namespace llmc::llm

using namespace mlir;
using namespace llmc::llm;

namespace {
struct LLMSetKVCacheElementPass
    : public llmc::llm::impl::LLMSetKVCacheElementPassBase<
          LLMSetKVCacheElementPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    Type newElement = llvm::StringSwitch<Type>(element)
                          .Case("f32", Float32Type::get(context))
                          .Case("f16", Float16Type::get(context))
                          .Case("i8", IntegerType::get(context, 8))
                          .Default(Type());
    if (!newElement) {
      module.emitError() << "llm-set-kv-cache-element: element must be f32, "
                            "f16 or i8, got '"
                         << element << "'";
      return signalPassFailure();
    }
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      for (BlockArgument arg : func.getArguments()) {
        auto type = dyn_cast<KVCacheType>(arg.getType());
        if (!type || type.getElement() == newElement)
          continue;
        auto newType =
            KVCacheType::get(context, type.getSlots(), type.getKvHeads(),
                             type.getHeadDim(), type.getMaxSeq(), newElement);
        arg.setType(newType);
        SmallVector<Type> inputs(func.getFunctionType().getInputs());
        inputs[arg.getArgNumber()] = newType;
        func.setFunctionType(FunctionType::get(
            context, inputs, func.getFunctionType().getResults()));
        ++numCaches;
      }
    }
  }
};
} // namespace
