//===- ModelImporter.cpp - ModelSource to the llm dialect -------*- C++ -*-===//
//
// Builds the llm module of a Llama-family decoder (Llama, Qwen2, GPT-2 and
// any mix of their layer variants) from a ModelSource: weights by reference
// into the model file, the tokenizer as a resource blob, and the decode
// function with explicit layer/sublayer structure.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/Importer.h"

#include "llm/IR/LLMOps.h"
#include "llm/IR/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace llmc;

namespace {
/// The longest KV cache llmc compiles for (16M positions).
constexpr int64_t kMaxSeqLimit = int64_t(1) << 24;

llm::FormatKind toFormatKind(TensorFormat format) {
  switch (format) {
  case TensorFormat::F32:
    return llm::FormatKind::f32;
  case TensorFormat::F16:
    return llm::FormatKind::f16;
  case TensorFormat::Q8_0:
    return llm::FormatKind::q8_0;
  case TensorFormat::Q4_0:
    return llm::FormatKind::q4_0;
  case TensorFormat::Int8:
    return llm::FormatKind::int8;
  case TensorFormat::Int4:
    return llm::FormatKind::int4;
  }
  llvm_unreachable("unknown tensor format");
}

llm::Activation toActivation(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::SiLU:
    return llm::Activation::silu;
  case ActivationKind::GELUTanh:
    return llm::Activation::gelu_tanh;
  case ActivationKind::GELUErf:
    return llm::Activation::gelu_erf;
  case ActivationKind::ReLU:
    return llm::Activation::relu;
  }
  llvm_unreachable("unknown activation");
}

/// Builds the decode function body, one layer at a time. Optional tensors
/// (biases) are used when the source has them.
class DecoderBuilder {
public:
  DecoderBuilder(OpBuilder &b, Location loc, const ModelSource &source,
                 Value pos, Value cache)
      : b(b), loc(loc), source(source), config(source.config), pos(pos),
        cache(cache) {}

  RankedTensorType rows(int64_t width) {
    return RankedTensorType::get({1, width}, b.getF32Type());
  }
  FlatSymbolRefAttr sym(const std::string &name) {
    return FlatSymbolRefAttr::get(b.getContext(), name);
  }
  /// The symbol of tensor `name` if the source has it, else null.
  FlatSymbolRefAttr optionalSym(const std::string &name) {
    return source.find(name) ? sym(name) : FlatSymbolRefAttr();
  }
  /// `prefix.weight` applied to `x`, plus `prefix.bias` if there is one.
  Value linear(Value x, const std::string &prefix, int64_t out) {
    return llm::LinearOp::create(b, loc, rows(out), x, sym(prefix + ".weight"),
                                 optionalSym(prefix + ".bias"));
  }
  /// The model's norm with weight `prefix.weight` (and, for LayerNorm, the
  /// bias `prefix.bias` if there is one).
  Value norm(Value x, const std::string &prefix) {
    FloatAttr eps = b.getF32FloatAttr(config.rmsNormEps);
    if (config.norm == NormKind::Layer)
      return llm::LayerNormOp::create(b, loc, x.getType(), x,
                                      sym(prefix + ".weight"),
                                      optionalSym(prefix + ".bias"), eps);
    return llm::RMSNormOp::create(b, loc, x.getType(), x,
                                  sym(prefix + ".weight"), eps);
  }
  Value rope(Value x, int64_t heads) {
    if (config.rope == RopeKind::None)
      return x;
    return llm::RopeOp::create(
        b, loc, x.getType(), x, pos, b.getI64IntegerAttr(heads),
        b.getI64IntegerAttr(config.headDim()),
        b.getF32FloatAttr(config.ropeTheta),
        llm::RopeStyleAttr::get(b.getContext(),
                                config.rope == RopeKind::Halves
                                    ? llm::RopeStyle::halves
                                    : llm::RopeStyle::adjacent));
  }

  /// Emits `fn` inside the single-block region of a structure op whose
  /// block argument has `type`, and terminates it with llm.yield.
  template <typename OpT, typename... Args>
  Value structure(Value input, function_ref<Value(Value)> fn, Args... args) {
    auto op = OpT::create(b, loc, input.getType(), args..., input);
    Block *block = b.createBlock(&op.getBody(), {}, {input.getType()}, {loc});
    Value result = fn(block->getArgument(0));
    llm::YieldOp::create(b, loc, result);
    b.setInsertionPointAfter(op);
    return op.getResult();
  }

  /// norm, q/k/v (+ RoPE), attention, output projection.
  Value attention(Value h, const std::string &p, int64_t i) {
    Value n = norm(h, p + "attn_norm");
    Value q = linear(n, p + "attn_q", config.dim);
    Value k = linear(n, p + "attn_k", config.kvDim());
    Value v = linear(n, p + "attn_v", config.kvDim());
    q = rope(q, config.numHeads);
    k = rope(k, config.numKVHeads);
    FloatAttr scale;
    if (config.attentionScale != 0.0f)
      scale = b.getF32FloatAttr(config.attentionScale);
    Value o = llm::AttentionOp::create(
        b, loc, q.getType(), q, k, v, cache, b.getI64IntegerAttr(i), pos,
        b.getI64IntegerAttr(config.numHeads),
        b.getI64IntegerAttr(config.numKVHeads),
        b.getI64IntegerAttr(config.headDim()), scale,
        config.slidingWindow > 0 ? b.getI64IntegerAttr(config.slidingWindow)
                                 : IntegerAttr());
    return linear(o, p + "attn_output", config.dim);
  }

  /// norm, then down(act(gate(x)) * up(x)) or down(act(up(x))).
  Value mlp(Value h, const std::string &p) {
    Value n = norm(h, p + "ffn_norm");
    auto activation = llm::ActivationAttr::get(b.getContext(),
                                               toActivation(config.activation));
    Value u = linear(n, p + "ffn_up", config.hiddenDim);
    Value act;
    if (config.gatedMLP) {
      Value g = linear(n, p + "ffn_gate", config.hiddenDim);
      act = llm::GatedActOp::create(b, loc, g.getType(), activation, g, u);
    } else {
      act = llm::ActOp::create(b, loc, u.getType(), activation, u);
    }
    return linear(act, p + "ffn_down", config.dim);
  }

  Value layer(Value x, int64_t i) {
    std::string p = "blk." + std::to_string(i) + ".";
    return structure<llm::LayerOp>(
        x,
        [&](Value in) {
          Value a = structure<llm::ResidualOp>(
              in, [&](Value h) { return attention(h, p, i); },
              llm::SublayerKindAttr::get(b.getContext(),
                                         llm::SublayerKind::attention));
          return structure<llm::ResidualOp>(
              a, [&](Value h) { return mlp(h, p); },
              llm::SublayerKindAttr::get(b.getContext(),
                                         llm::SublayerKind::mlp));
        },
        b.getI64IntegerAttr(i));
  }

private:
  OpBuilder &b;
  Location loc;
  const ModelSource &source;
  const ModelConfig &config;
  Value pos, cache;
};
} // namespace

OwningOpRef<ModuleOp> llmc::importModel(MLIRContext *context,
                                        const ModelSource &source,
                                        const ImportOptions &options) {
  context->loadDialect<llm::LLMDialect, func::FuncDialect>();
  const ModelConfig &config = source.config;
  Location loc = FileLineColLoc::get(context, source.path, 0, 0);
  if (options.maxSeqLen < 0 || options.maxSeqLen > kMaxSeqLimit) {
    emitError(loc) << "--max-seq must be between 1 and " << kMaxSeqLimit
                   << ", got " << options.maxSeqLen;
    return nullptr;
  }
  int64_t maxSeq = options.maxSeqLen > 0 ? options.maxSeqLen : config.maxSeqLen;
  if (maxSeq <= 0) {
    emitError(loc) << "the model has no context length; give one "
                      "(--max-seq)";
    return nullptr;
  }
  // Learned positions exist only up to the table's length.
  if (config.learnedPositions) {
    const TensorRef *table = source.find("position_embd.weight");
    if (!table || table->shape.size() != 2) {
      emitError(loc) << "the " << config.architecture
                     << " model uses learned positions but has no "
                        "[positions, dim] position_embd.weight tensor";
      return nullptr;
    }
    if (maxSeq > table->shape[0]) {
      emitError(loc) << "--max-seq " << maxSeq << " exceeds the "
                     << table->shape[0]
                     << " learned positions of the model (position_embd."
                        "weight)";
      return nullptr;
    }
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(context);
  b.setInsertionPointToEnd(module->getBody());
  (*module)->setAttr("llm.architecture", b.getStringAttr(config.architecture));

  // Absolute path, so the module can be compiled from any directory.
  SmallString<256> absPath(source.path);
  llvm::sys::fs::make_absolute(absPath);
  llvm::sys::path::remove_dots(absPath, /*remove_dot_dot=*/true);

  if (source.hasTokenizer) {
    std::vector<char> bytes = serializeTokenizer(source.tokenizer);
    auto type = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                      b.getI8Type());
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<char>(bytes.data(), bytes.size()));
    auto data =
        DenseResourceElementsAttr::get(type, "tokenizer", std::move(blob));
    llm::TokenizerOp::create(b, loc, b.getI64IntegerAttr(config.vocabSize),
                             b.getI64IntegerAttr(source.tokenizer.bosId),
                             b.getI64IntegerAttr(source.tokenizer.eosId), data);
  }
  for (const TensorRef &t : source.tensors) {
    auto type = RankedTensorType::get(t.shape, b.getF32Type());
    Attribute data;
    if (t.data) {
      data = llm::createByteResource(context, t.name, *t.data);
    } else if (!t.file.empty()) {
      SmallString<256> file(t.file);
      llvm::sys::fs::make_absolute(file);
      llvm::sys::path::remove_dots(file, /*remove_dot_dot=*/true);
      data = llm::ExternalDataAttr::get(context, file, t.offset, t.size);
    } else {
      data = llm::ExternalDataAttr::get(context, absPath, t.offset, t.size);
    }
    llm::FormatAttr format;
    if (t.format == TensorFormat::Int8 || t.format == TensorFormat::Int4)
      format = llm::FormatAttr::get(context, toFormatKind(t.format), t.group,
                                    /*symmetric=*/!t.asymmetric);
    else if (t.format != TensorFormat::F32)
      format = llm::FormatAttr::get(context, toFormatKind(t.format));
    llm::WeightOp::create(b, loc, b.getStringAttr(t.name), TypeAttr::get(type),
                          format, data, /*sparsity=*/nullptr);
  }

  auto cacheType =
      llm::KVCacheType::get(context, config.numLayers, config.numKVHeads,
                            config.headDim(), maxSeq, b.getF32Type());
  auto tokensType = RankedTensorType::get({1}, b.getI32Type());
  auto logitsType =
      RankedTensorType::get({1, config.vocabSize}, b.getF32Type());
  auto func = func::FuncOp::create(
      b, loc, "decode",
      b.getFunctionType({tokensType, b.getIndexType(), cacheType},
                        {logitsType}));
  func->setAttr("llm.entry", b.getStringAttr("decode"));
  func->setAttr("llm.num_layers", b.getI64IntegerAttr(config.numLayers));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  DecoderBuilder decoder(b, loc, source, body->getArgument(1),
                         body->getArgument(2));
  Value x = llm::EmbeddingOp::create(b, loc, decoder.rows(config.dim),
                                     body->getArgument(0),
                                     decoder.sym("token_embd.weight"));
  if (config.learnedPositions)
    x = llm::PositionEmbeddingOp::create(b, loc, x.getType(), x,
                                         body->getArgument(1),
                                         decoder.sym("position_embd.weight"));
  for (int64_t i = 0; i < config.numLayers; ++i)
    x = decoder.layer(x, i);
  x = decoder.norm(x, "output_norm");
  Value logits = llm::LinearOp::create(
      b, loc, decoder.rows(config.vocabSize), x,
      decoder.sym(config.tiedClassifier ? "token_embd.weight"
                                        : "output.weight"),
      decoder.optionalSym("output.bias"));
  func::ReturnOp::create(b, loc, logits);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}
