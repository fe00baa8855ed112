//===- Recognizer.h - State of the ONNX decoder recogniser -----*- C++ -*-===//
//
// Internal to the ONNX reader: the recogniser's state and the helpers its
// files share. RecognizeDecoder.cpp walks the residual stream (embedding,
// norms, feed-forward, classifier); RecognizeAttention.cpp recognises the
// fused attention ops, rotary caches and masks; RecognizeDecomposed.cpp
// raises the plain-op subgraphs torch.onnx.export writes (RMSNorm, rotary,
// Softmax attention, GQA repeats) to the same descriptions.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_ONNX_RECOGNIZER_H
#define LLMC_LIB_IMPORT_ONNX_RECOGNIZER_H

#include "OnnxEvaluate.h"
#include "OnnxGraph.h"

#include "llmc/Import/ModelSource.h"

#include <optional>
#include <string>
#include <vector>

namespace llmc {
namespace onnx_import {
namespace detail {

using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringMap;
using llvm::StringRef;
using llvm::Twine;

/// Context length assumed when nothing in the graph bounds positions (no
/// RoPE cache, no learned positions) and no genai_config.json gives one.
constexpr int64_t kDefaultContext = 2048;
/// Longest fixed KV cache whose mask is evaluated position by position.
constexpr int64_t kMaxProbedCache = 1024;

inline bool isStd(const onnx::NodeProto &n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}
inline bool isMs(const onnx::NodeProto &n) {
  return n.domain() == "com.microsoft";
}
inline bool is(const onnx::NodeProto *n, StringRef op) {
  return n && n->op_type() == op && (isStd(*n) || isMs(*n));
}
inline bool isMatMulLike(const onnx::NodeProto *n) {
  return is(n, "MatMul") || is(n, "Gemm") ||
         (n && isMs(*n) && n->op_type() == "MatMulNBits");
}
inline bool isAttentionOp(const onnx::NodeProto *n) {
  return is(n, "Attention") || is(n, "GroupQueryAttention") ||
         is(n, "MultiHeadAttention");
}
inline bool isPlainNorm(const onnx::NodeProto *n) {
  return is(n, "RMSNormalization") || is(n, "SimplifiedLayerNormalization") ||
         is(n, "LayerNormalization");
}
inline bool isSkipNorm(const onnx::NodeProto *n) {
  return n && isMs(*n) &&
         (n->op_type() == "SkipLayerNormalization" ||
          n->op_type() == "SkipSimplifiedLayerNormalization");
}
inline std::string in(const onnx::NodeProto &n, int i) {
  return i < n.input_size() ? n.input(i) : std::string();
}

/// A projection x W (+ b) of the graph.
struct Linear {
  const onnx::NodeProto *node = nullptr; ///< MatMul, Gemm or MatMulNBits
  const onnx::TensorProto *weight = nullptr;
  bool inOut = false; ///< weight stored {in, out} (MatMul's right operand)
  const onnx::TensorProto *bias = nullptr;
  std::string output; ///< the value after the bias
};

/// A normalization layer.
struct Norm {
  const onnx::NodeProto *node = nullptr;
  NormKind kind = NormKind::RMS;
  float eps = 1e-5f;
  const onnx::TensorProto *weight = nullptr, *bias = nullptr;
  /// Skip*Normalization: the bias added to the sublayer output it sums in.
  const onnx::TensorProto *skipBias = nullptr;
  std::string output;   ///< normalized value
  std::string residual; ///< the residual stream after this node
};

/// Output width of a projection.
inline int64_t outputsOf(const Linear &l) {
  if (l.node && l.node->op_type() == "MatMulNBits")
    return OnnxGraph::attrInt(*l.node, "N", 0);
  return l.inOut ? l.weight->dims(1) : l.weight->dims(0);
}

/// Rotary embedding found on a projection.
struct Rope {
  const onnx::NodeProto *node = nullptr;
  RopeKind kind = RopeKind::Halves;
  float theta = 10000.0f;
  int64_t rows = 0; ///< positions in the cos/sin cache
};

/// Placeholders in a KnownShape's dimensions, resolved per probe.
constexpr int64_t kSeq = -1;   ///< the new positions S
constexpr int64_t kPast = -2;  ///< the cached positions P
constexpr int64_t kTotal = -3; ///< P + S

/// How the keys of an attention relate to its queries.
struct KeyLayout {
  int64_t fixed = 0; ///< a fixed cache of this many slots, or 0
  bool past = false; ///< a growing cache: past keys precede the new ones
};

/// A decomposed K or V operand of attention, from the matmul backwards:
/// the GQA repeat (Unsqueeze(2) -> Expand|Tile -> Reshape), the cache
/// Concat, and the value the new positions enter with.
struct KVPath {
  const onnx::NodeProto *reshape = nullptr, *repeat = nullptr,
                        *unsqueeze = nullptr;
  std::string cached; ///< past and new keys/values [1, kvh, P+S, D]
  std::string past;   ///< the past graph input, or ""
  std::string fresh;  ///< the new positions [1, kvh, S, D]
};

/// Query/key/value heads: Reshape to [1, S, H, D] then Transpose to
/// [1, H, S, D] of a projection's output.
struct Heads {
  std::string projection; ///< the projection output [1, S, H*D]
  int64_t heads = 0, headDim = 0;
};

class Recognizer {
public:
  Recognizer(const OnnxGraph &g, ModelSource &src)
      : g(g), src(src), c(src.config) {}
  Error run();

private:
  // Graph walking.
  std::string skipIdentity(std::string value) const;
  Expected<const onnx::TensorProto *>
  constantInput(const onnx::NodeProto &n, int i, const Twine &what) const;
  Expected<Linear> linearProducing(StringRef value, StringRef input,
                                   const onnx::NodeProto &ctx,
                                   const Twine &what) const;
  Expected<Linear> linearReading(StringRef input, const onnx::NodeProto &ctx,
                                 const Twine &what) const;
  std::optional<Linear> classifierReading(StringRef input) const;
  Expected<Linear> matMul(const onnx::NodeProto &n, Linear l) const;

  // Sublayers.
  Error embedding();
  Expected<Norm> takeNorm(const Twine &what);
  Expected<Norm> normOf(const onnx::NodeProto &n, const Twine &what);
  Error attention(StringRef input, int64_t layer, std::string &delta,
                  const onnx::NodeProto *&outProj);
  Error attentionMask(const onnx::NodeProto &attn, int64_t cacheLen);
  /// The attention window a mask (additive or boolean; and/or a nonpad
  /// length, or causal by attribute) allows, evaluated for probe positions;
  /// an error unless every query sees a contiguous range ending at itself.
  Expected<int64_t> maskWindow(const onnx::NodeProto &ctx, StringRef mask,
                               StringRef nonpad, bool causal,
                               KeyLayout layout) const;
  /// Graph inputs and known intermediate shapes for p cached and s new
  /// positions.
  StringMap<EvalTensor> bindings(int64_t p, int64_t s) const;
  void knowShape(StringRef value, ArrayRef<int64_t> dims);
  Error setHeads(const onnx::NodeProto &ctx, int64_t heads, int64_t kvHeads);
  Error setScale(const onnx::NodeProto &ctx, float scale);
  Error noteRope(const onnx::NodeProto &ctx, const std::optional<Rope> &q,
                 const std::optional<Rope> &k);
  /// Adds the query/key/value projections computing \p q, \p k, \p v
  /// from \p input.
  Error addQKV(StringRef input, StringRef q, StringRef k, StringRef v,
               const onnx::NodeProto &ctx, const std::string &prefix);
  Expected<Rope> rope(const onnx::NodeProto &n, const onnx::TensorProto *cos,
                      const onnx::TensorProto *sin, int64_t rotaryDim);
  /// Solves and checks the RoPE base of a table of \p rows positions by
  /// \p half frequencies.
  Expected<Rope> ropeTable(const onnx::NodeProto &n, ArrayRef<float> cosines,
                           ArrayRef<float> sines, int64_t rows,
                           int64_t half) const;
  Expected<std::string> stripRope(StringRef value, std::optional<Rope> &rope);
  Error mlp(StringRef input, int64_t layer, std::string &delta);

  // Decomposed subgraphs (RecognizeDecomposed.cpp).
  /// The RMSNorm spelled Pow/ReduceMean/Add/Sqrt/(Div | Reciprocal, Mul)/Mul
  /// reading \p stream, or nullopt when no Pow(stream, 2) reads it.
  Expected<std::optional<Norm>> decomposedNorm(StringRef stream);
  /// The Softmax attention ending at \p softmax; returns the value the
  /// output projection reads.
  Expected<std::string> decomposedAttention(const onnx::NodeProto &softmax,
                                            StringRef input,
                                            const std::string &prefix);
  Expected<KVPath> kvPath(StringRef value);
  Expected<int64_t> repeatFactor(const KVPath &kv, int64_t kvHeads,
                                 int64_t headDim, bool past);
  Expected<Heads> heads(StringRef value, StringRef input,
                        const onnx::NodeProto &ctx, const Twine &what);
  Expected<std::string> decomposedRope(StringRef value,
                                       std::optional<Rope> &found,
                                       int64_t headDim, bool past);
  /// Whether \p value is computed from constants only (with \p shapes,
  /// also from Shape of any value) by a small subgraph.
  bool isConstantCone(StringRef value, bool shapes) const;
  /// The value of a scalar computed from constants only, or nullopt.
  std::optional<double> scalar(StringRef value) const;
  std::vector<int64_t> ints(const onnx::NodeProto &n, int input,
                            StringRef attr) const;

  // Tensors.
  Error addNorm(const Norm &n, const std::string &name);
  Error addVector(const std::string &name, const onnx::TensorProto &t,
                  int64_t size, const onnx::NodeProto &ctx);
  Error addMatrix(const std::string &name, const onnx::TensorProto &t,
                  bool inOut, int64_t out, int64_t in,
                  const onnx::NodeProto &ctx, int64_t colBegin = 0,
                  int64_t totalCols = -1);
  Error addLinear(const Linear &l, const std::string &name, int64_t out,
                  int64_t in);
  Error checkShape(const onnx::TensorProto &t, ArrayRef<int64_t> expected,
                   const onnx::NodeProto &ctx, const Twine &what) const;

  const OnnxGraph &g;
  ModelSource &src;
  ModelConfig &c;
  /// Residual stream and the sublayer output still to be added to it.
  std::string residual, pending;
  /// The first normalized value when the embedding op normalizes too.
  std::optional<Norm> embeddingNorm;
  const onnx::TensorProto *embeddingTable = nullptr;
  std::string tokenInput, positionInput;
  std::optional<Norm> firstNorm;
  std::optional<Rope> firstRope;
  bool sawAttention = false;
  int64_t attnScaleSet = 0;
  int64_t ropeRows = 0;
  std::vector<int64_t> windows;
  /// Shapes of intermediate values the mask/shape evaluation may take.
  llvm::StringMap<std::vector<int64_t>> knownShapes;
};

/// \p v printed like %g.
std::string num(double v);
/// "[a, b, c]".
std::string shapeStr(llvm::ArrayRef<int64_t> dims);

} // namespace detail
} // namespace onnx_import
} // namespace llmc

#endif // LLMC_LIB_IMPORT_ONNX_RECOGNIZER_H
