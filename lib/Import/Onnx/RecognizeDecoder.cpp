//===- RecognizeDecoder.cpp - Find the transformer in an ONNX graph -------===//
//
// The recogniser follows the residual stream. From the token embedding it
// alternates attention and feed-forward sublayers: each starts with a
// normalization reading the stream (or a Skip*Normalization that also adds
// the previous sublayer's output to it), and ends with a projection whose
// output is added back. Projections are found by walking backwards from the
// attention op and the down projection to MatMuls reading the normalized
// value, so the walk does not depend on node order or names. When a
// normalization's output reaches a graph output through a MatMul, that
// MatMul is the classifier and the walk ends. Attention masks are evaluated
// for probe positions (OnnxEvaluate) to learn whether they are causal and
// whether they limit attention to a window.
//
//===----------------------------------------------------------------------===//

#include "RecognizeDecoder.h"

#include "MatMulNBits.h"
#include "Recognizer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace llvm;

namespace llmc {
namespace onnx_import {
namespace detail {

//===----------------------------------------------------------------------===//
// Graph walking
//===----------------------------------------------------------------------===//

std::string Recognizer::skipIdentity(std::string value) const {
  while (const onnx::NodeProto *n = g.producer(value)) {
    if (!is(n, "Identity") && !(is(n, "Cast") && n->input_size() == 1))
      break;
    value = n->input(0);
  }
  return value;
}

Expected<const onnx::TensorProto *>
Recognizer::constantInput(const onnx::NodeProto &n, int i,
                          const Twine &what) const {
  std::string name = skipIdentity(in(n, i));
  if (name.empty())
    return g.nodeError(n, "has no " + what + " input");
  if (const onnx::TensorProto *t = g.constant(name))
    return t;
  if (g.isGraphInput(name))
    return g.nodeError(n, what + " '" + name +
                              "' is a graph input, not an initializer "
                              "(missing initializer?)");
  return g.nodeError(n, what + " '" + name +
                            "' is computed, expected an initializer");
}

Expected<Linear> Recognizer::matMul(const onnx::NodeProto &n, Linear l) const {
  l.node = &n;
  if (n.op_type() == "MatMulNBits") {
    // The packed weight is converted by convertMatMulNBits.
    Expected<const onnx::TensorProto *> c = constantInput(n, 1, "B");
    if (!c)
      return c.takeError();
    l.weight = *c;
    if (!in(n, 5).empty()) {
      Expected<const onnx::TensorProto *> b = constantInput(n, 5, "bias");
      if (!b)
        return b.takeError();
      l.bias = *b;
    }
    return l;
  }
  std::string w = skipIdentity(in(n, 1));
  const onnx::NodeProto *t = g.producer(w);
  if (is(t, "Transpose")) {
    const onnx::AttributeProto *perm = OnnxGraph::attr(*t, "perm");
    if (perm &&
        !(perm->ints_size() == 2 && perm->ints(0) == 1 && perm->ints(1) == 0))
      return g.nodeError(*t, "transposes a weight with a permutation other "
                             "than [1, 0]");
    Expected<const onnx::TensorProto *> c = constantInput(*t, 0, "weight");
    if (!c)
      return c.takeError();
    l.weight = *c;
    l.inOut = false;
  } else {
    Expected<const onnx::TensorProto *> c = constantInput(n, 1, "weight");
    if (!c)
      return c.takeError();
    l.weight = *c;
    l.inOut = true;
  }
  if (n.op_type() == "Gemm") {
    if (OnnxGraph::attrInt(n, "transA", 0) ||
        OnnxGraph::attrFloat(n, "alpha", 1) != 1 ||
        OnnxGraph::attrFloat(n, "beta", 1) != 1)
      return g.nodeError(n, "Gemm with transA, alpha or beta is not a "
                            "plain projection");
    if (OnnxGraph::attrInt(n, "transB", 0))
      l.inOut = !l.inOut;
    if (!in(n, 2).empty()) {
      Expected<const onnx::TensorProto *> b = constantInput(n, 2, "bias");
      if (!b)
        return b.takeError();
      l.bias = *b;
    }
  }
  if (l.weight->dims_size() != 2)
    return g.nodeError(n, "weight '" + l.weight->name() + "' has rank " +
                              Twine(l.weight->dims_size()) + ", expected 2");
  return l;
}

Expected<Linear> Recognizer::linearProducing(StringRef value, StringRef input,
                                             const onnx::NodeProto &ctx,
                                             const Twine &what) const {
  Linear l;
  l.output = value.str();
  std::string v = skipIdentity(value.str());
  const onnx::NodeProto *n = g.producer(v);
  if (is(n, "Add")) {
    for (int i = 0; i < 2; ++i)
      if (const onnx::TensorProto *b = g.constant(skipIdentity(in(*n, i)))) {
        l.bias = b;
        n = g.producer(skipIdentity(in(*n, 1 - i)));
        break;
      }
  }
  if (!isMatMulLike(n))
    return g.nodeError(ctx, "the " + what + " input '" + value +
                                "' is not computed by a MatMul projection");
  if (skipIdentity(in(*n, 0)) != skipIdentity(input.str()))
    return g.nodeError(*n, "the " + what + " projection reads '" + in(*n, 0) +
                               "', expected the normalized '" + input + "'");
  return matMul(*n, l);
}

Expected<Linear> Recognizer::linearReading(StringRef input,
                                           const onnx::NodeProto &ctx,
                                           const Twine &what) const {
  const onnx::NodeProto *found = nullptr;
  for (const onnx::NodeProto *n : g.consumers(input))
    if (isMatMulLike(n) && in(*n, 0) == input) {
      if (found)
        return g.nodeError(*n, "'" + input +
                                   "' feeds two projections; "
                                   "expected only the " +
                                   what + " projection");
      found = n;
    }
  if (!found)
    return g.nodeError(ctx, "its output '" + input + "' feeds no MatMul (the " +
                                what + " projection)");
  Linear l;
  Expected<Linear> r = matMul(*found, l);
  if (!r)
    return r.takeError();
  r->output = found->output(0);
  ArrayRef<const onnx::NodeProto *> users = g.consumers(r->output);
  if (users.size() == 1 && is(users[0], "Add"))
    for (int i = 0; i < 2; ++i)
      if (in(*users[0], 1 - i) == r->output)
        if (const onnx::TensorProto *b =
                g.constant(skipIdentity(in(*users[0], i)))) {
          if (r->bias)
            return g.nodeError(*users[0], "adds a second bias to the " + what +
                                              " projection");
          r->bias = b;
          r->output = users[0]->output(0);
        }
  return r;
}

std::optional<Linear> Recognizer::classifierReading(StringRef input) const {
  for (const onnx::NodeProto *n : g.consumers(input)) {
    if (!isMatMulLike(n) || in(*n, 0) != input)
      continue;
    std::string out = n->output(0);
    const onnx::TensorProto *bias = nullptr;
    for (int step = 0; step < 3 && !g.isGraphOutput(out); ++step) {
      ArrayRef<const onnx::NodeProto *> users = g.consumers(out);
      if (users.size() != 1)
        break;
      const onnx::NodeProto *u = users[0];
      if (is(u, "Cast") || is(u, "Identity")) {
        out = u->output(0);
      } else if (is(u, "Add") && !bias) {
        bias = g.constant(skipIdentity(in(*u, in(*u, 0) == out ? 1 : 0)));
        if (!bias)
          break;
        out = u->output(0);
      } else {
        break;
      }
    }
    if (!g.isGraphOutput(out))
      continue;
    Linear l;
    Expected<Linear> r = matMul(*n, l);
    if (!r) {
      consumeError(r.takeError());
      continue;
    }
    if (bias)
      r->bias = bias;
    r->output = out;
    return *r;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// \p v printed like %g.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string shapeStr(ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Error Recognizer::checkShape(const onnx::TensorProto &t,
                             ArrayRef<int64_t> expected,
                             const onnx::NodeProto &ctx,
                             const Twine &what) const {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (ArrayRef<int64_t>(dims) != expected)
    return g.nodeError(ctx, "shape mismatch: " + what + " '" + t.name() +
                                "' has shape " + shapeStr(dims) +
                                ", expected " + shapeStr(expected));
  return Error::success();
}

Error Recognizer::addVector(const std::string &name, const onnx::TensorProto &t,
                            int64_t size, const onnx::NodeProto &ctx) {
  if (Error err = checkShape(t, {size}, ctx, name))
    return err;
  Expected<std::vector<float>> f = g.floats(t);
  if (!f)
    return f.takeError();
  auto data = std::make_shared<std::vector<char>>(f->size() * 4);
  std::memcpy(data->data(), f->data(), data->size());
  TensorRef ref;
  ref.name = name;
  ref.shape = {size};
  ref.format = TensorFormat::F32;
  ref.size = data->size();
  ref.data = std::move(data);
  src.tensors.push_back(std::move(ref));
  return Error::success();
}

Error Recognizer::addMatrix(const std::string &name, const onnx::TensorProto &t,
                            bool inOut, int64_t out, int64_t inDim,
                            const onnx::NodeProto &ctx, int64_t colBegin,
                            int64_t totalCols) {
  if (totalCols < 0)
    totalCols = inOut ? out : inDim;
  std::vector<int64_t> want = inOut ? std::vector<int64_t>{inDim, totalCols}
                                    : std::vector<int64_t>{out, inDim};
  if (Error err = checkShape(t, want, ctx, name))
    return err;
  int32_t type = t.data_type();
  TensorRef ref;
  ref.name = name;
  ref.shape = {out, inDim};
  if (type == DT_FLOAT || type == DT_FLOAT16) {
    ref.format = type == DT_FLOAT ? TensorFormat::F32 : TensorFormat::F16;
    unsigned elt = elementBytes(type);
    ref.size = uint64_t(out) * inDim * elt;
    if (!inOut && t.data_location() == onnx::TensorProto::EXTERNAL) {
      Expected<ExternalData> ext = g.externalData(t);
      if (!ext)
        return ext.takeError();
      ref.file = ext->file;
      ref.offset = ext->offset;
      src.tensors.push_back(std::move(ref));
      return Error::success();
    }
    Expected<std::vector<char>> raw = g.bytes(t);
    if (!raw)
      return raw.takeError();
    if (!inOut) {
      ref.data = std::make_shared<std::vector<char>>(std::move(*raw));
    } else {
      auto data = std::make_shared<std::vector<char>>(ref.size);
      for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < inDim; ++i)
          std::memcpy(data->data() + (o * inDim + i) * elt,
                      raw->data() + (i * totalCols + colBegin + o) * elt, elt);
      ref.data = std::move(data);
    }
    src.tensors.push_back(std::move(ref));
    return Error::success();
  }
  if (type != DT_BFLOAT16 && type != DT_DOUBLE)
    return g.nodeError(ctx, "weight '" + t.name() + "' is " +
                                dataTypeName(type) +
                                "; float, float16, bfloat16 and double "
                                "weights are supported");
  Expected<std::vector<float>> f = g.floats(t);
  if (!f)
    return f.takeError();
  auto data = std::make_shared<std::vector<char>>(uint64_t(out) * inDim * 4);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < inDim; ++i) {
      float v =
          inOut ? (*f)[i * totalCols + colBegin + o] : (*f)[o * inDim + i];
      std::memcpy(data->data() + (o * inDim + i) * 4, &v, 4);
    }
  ref.format = TensorFormat::F32;
  ref.size = data->size();
  ref.data = std::move(data);
  src.tensors.push_back(std::move(ref));
  return Error::success();
}

Error Recognizer::addLinear(const Linear &l, const std::string &name,
                            int64_t out, int64_t inDim) {
  if (l.node->op_type() == "MatMulNBits") {
    Expected<TensorRef> t =
        convertMatMulNBits(g, *l.node, name + ".weight", out, inDim);
    if (!t)
      return t.takeError();
    src.tensors.push_back(std::move(*t));
  } else if (Error err = addMatrix(name + ".weight", *l.weight, l.inOut, out,
                                   inDim, *l.node)) {
    return err;
  }
  if (l.bias)
    return addVector(name + ".bias", *l.bias, out, *l.node);
  return Error::success();
}

Error Recognizer::addNorm(const Norm &n, const std::string &name) {
  if (!firstNorm) {
    firstNorm = n;
    c.norm = n.kind;
    c.rmsNormEps = n.eps;
  } else if (n.kind != firstNorm->kind) {
    return g.nodeError(*n.node, "mixes RMS and layer normalization in one "
                                "model (" +
                                    g.describe(*firstNorm->node) +
                                    " is the other kind)");
  } else if (std::fabs(n.eps - firstNorm->eps) >
             1e-6f * std::max(1.0f, std::fabs(firstNorm->eps))) {
    return g.nodeError(*n.node, "epsilon " + num(n.eps) +
                                    " differs from the model's first "
                                    "normalization (" +
                                    num(firstNorm->eps) + ")");
  }
  if (Error err = addVector(name + ".weight", *n.weight, c.dim, *n.node))
    return err;
  if (n.bias)
    return addVector(name + ".bias", *n.bias, c.dim, *n.node);
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Embedding and normalization
//===----------------------------------------------------------------------===//

Error Recognizer::embedding() {
  std::vector<const onnx::NodeProto *> candidates;
  for (const onnx::NodeProto &n : g.graph().node()) {
    if (is(&n, "EmbedLayerNormalization") && isMs(n)) {
      candidates.push_back(&n);
      continue;
    }
    if (!is(&n, "Gather") || OnnxGraph::attrInt(n, "axis", 0) != 0)
      continue;
    const onnx::TensorProto *table = g.constant(skipIdentity(in(n, 0)));
    if (table && table->dims_size() == 2 &&
        g.isGraphInput(skipIdentity(in(n, 1))))
      candidates.push_back(&n);
  }
  const onnx::NodeProto *emb = nullptr;
  for (const onnx::NodeProto *n : candidates)
    if (skipIdentity(in(*n, 0 + (n->op_type() == "Gather" ? 1 : 0))) ==
            "input_ids" ||
        candidates.size() == 1) {
      emb = n;
      break;
    }
  if (!emb)
    return g.error(candidates.empty()
                       ? "no token embedding found: expected a Gather from "
                         "a 2-D initializer indexed by a graph input (or "
                         "com.microsoft EmbedLayerNormalization)"
                       : "several Gathers could be the token embedding and "
                         "none reads a graph input named 'input_ids'");
  if (emb->op_type() == "Gather") {
    Expected<const onnx::TensorProto *> t = constantInput(*emb, 0, "table");
    if (!t)
      return t.takeError();
    embeddingTable = *t;
    tokenInput = skipIdentity(in(*emb, 1));
    c.vocabSize = (*t)->dims(0);
    c.dim = (*t)->dims(1);
    residual = emb->output(0);
    return addMatrix("token_embd.weight", **t, false, c.vocabSize, c.dim, *emb);
  }
  // EmbedLayerNormalization(input_ids, segment_ids, word_embedding,
  //   position_embedding, segment_embedding, gamma, beta, mask,
  //   position_ids) -> (output, mask_index, embedding_sum).
  if (!in(*emb, 1).empty() || !in(*emb, 4).empty())
    return g.nodeError(*emb, "segment embeddings are not part of a decoder");
  Expected<const onnx::TensorProto *> word =
      constantInput(*emb, 2, "word_embedding");
  if (!word)
    return word.takeError();
  Expected<const onnx::TensorProto *> pos =
      constantInput(*emb, 3, "position_embedding");
  if (!pos)
    return pos.takeError();
  if ((*word)->dims_size() != 2 || (*pos)->dims_size() != 2)
    return g.nodeError(*emb, "embedding tables must be 2-D");
  embeddingTable = *word;
  tokenInput = skipIdentity(in(*emb, 0));
  positionInput = skipIdentity(in(*emb, 8));
  if (positionInput.empty())
    return g.nodeError(*emb, "has no position_ids input; positions would "
                             "restart at 0 on every call");
  c.vocabSize = (*word)->dims(0);
  c.dim = (*word)->dims(1);
  c.learnedPositions = true;
  c.maxSeqLen = (*pos)->dims(0);
  if (Error err = addMatrix("token_embd.weight", **word, false, c.vocabSize,
                            c.dim, *emb))
    return err;
  if (Error err = addMatrix("position_embd.weight", **pos, false, c.maxSeqLen,
                            c.dim, *emb))
    return err;
  if (emb->output_size() < 3 || emb->output(2).empty())
    return g.nodeError(*emb, "its embedding_sum output (the residual "
                             "stream) is unused");
  Norm n;
  n.node = emb;
  n.kind = NormKind::Layer;
  n.eps = OnnxGraph::attrFloat(*emb, "epsilon", 1e-12f);
  Expected<const onnx::TensorProto *> gamma = constantInput(*emb, 5, "gamma");
  if (!gamma)
    return gamma.takeError();
  n.weight = *gamma;
  if (!in(*emb, 6).empty()) {
    Expected<const onnx::TensorProto *> beta = constantInput(*emb, 6, "beta");
    if (!beta)
      return beta.takeError();
    n.bias = *beta;
  }
  n.output = emb->output(0);
  n.residual = emb->output(2);
  embeddingNorm = n;
  residual = n.residual;
  return Error::success();
}

Expected<Norm> Recognizer::normOf(const onnx::NodeProto &n, const Twine &what) {
  Norm r;
  r.node = &n;
  r.output = n.output(0);
  StringRef op = n.op_type();
  auto constant = [&](int i, const Twine &role,
                      const onnx::TensorProto *&out) -> Error {
    if (in(n, i).empty())
      return Error::success();
    Expected<const onnx::TensorProto *> t = constantInput(n, i, role);
    if (!t)
      return t.takeError();
    out = *t;
    return Error::success();
  };
  int64_t axis = OnnxGraph::attrInt(n, "axis", -1);
  if (axis != -1 && axis != 2)
    return g.nodeError(n, "normalizes over axis " + Twine(axis) +
                              "; only the last axis is supported");
  Error err = Error::success();
  if (op == "RMSNormalization" || op == "SimplifiedLayerNormalization") {
    r.kind = NormKind::RMS;
    r.eps = OnnxGraph::attrFloat(n, "epsilon", 1e-5f);
    err = constant(1, "scale", r.weight);
  } else if (op == "LayerNormalization") {
    r.kind = NormKind::Layer;
    r.eps = OnnxGraph::attrFloat(n, "epsilon", 1e-5f);
    if (!(err = constant(1, "scale", r.weight)))
      err = constant(2, "bias", r.bias);
  } else if (op == "SkipLayerNormalization") {
    r.kind = NormKind::Layer;
    r.eps = OnnxGraph::attrFloat(n, "epsilon", 1e-12f);
    if (!(err = constant(2, "gamma", r.weight)))
      if (!(err = constant(3, "beta", r.bias)))
        err = constant(4, "bias", r.skipBias);
    r.residual = n.output_size() > 3 ? n.output(3) : "";
  } else { // SkipSimplifiedLayerNormalization
    r.kind = NormKind::RMS;
    r.eps = OnnxGraph::attrFloat(n, "epsilon", 1e-12f);
    if (!(err = constant(2, "gamma", r.weight)))
      err = constant(3, "bias", r.skipBias);
    r.residual = n.output_size() > 3 ? n.output(3) : "";
  }
  if (err)
    return std::move(err);
  if (!r.weight)
    return g.nodeError(n, "the " + what + " normalization has no scale");
  return r;
}

Expected<Norm> Recognizer::takeNorm(const Twine &what) {
  if (embeddingNorm) {
    Norm n = *embeddingNorm;
    embeddingNorm.reset();
    return n;
  }
  std::string stream = residual;
  if (!pending.empty()) {
    // The sublayer output joins the stream in an Add or a Skip*Norm.
    const onnx::NodeProto *join = nullptr;
    for (const onnx::NodeProto *n : g.consumers(pending)) {
      bool both = false;
      if (is(n, "Add") || isSkipNorm(n))
        both = (in(*n, 0) == pending && in(*n, 1) == residual) ||
               (in(*n, 1) == pending && in(*n, 0) == residual);
      if (both) {
        join = n;
        break;
      }
    }
    if (!join) {
      const onnx::NodeProto *p = g.producer(pending);
      return p ? g.nodeError(*p, "its output '" + pending +
                                     "' is not added to the residual stream '" +
                                     residual +
                                     "' (expected Add or "
                                     "Skip*Normalization before the " +
                                     what + " normalization)")
               : g.error("value '" + pending +
                         "' is not added to the "
                         "residual stream");
    }
    pending.clear();
    if (isSkipNorm(join)) {
      Expected<Norm> n = normOf(*join, what);
      if (!n)
        return n.takeError();
      residual = n->residual;
      return n;
    }
    stream = join->output(0);
    residual = stream;
  }
  const onnx::NodeProto *norm = nullptr;
  for (const onnx::NodeProto *n : g.consumers(stream))
    if (isPlainNorm(n) && in(*n, 0) == stream) {
      if (norm)
        return g.nodeError(*n, "is a second normalization of the residual "
                               "stream '" +
                                   stream + "'");
      norm = n;
    }
  if (!norm) {
    Expected<std::optional<Norm>> d = decomposedNorm(stream);
    if (!d)
      return d.takeError();
    if (*d)
      return **d;
    std::string readers;
    for (const onnx::NodeProto *n : g.consumers(stream))
      readers += (readers.empty() ? "" : ", ") + g.describe(*n);
    return g.error("no " + what + " normalization reads the residual stream '" +
                   stream + "' (it is read by " +
                   (readers.empty() ? std::string("nothing") : readers) + ")");
  }
  return normOf(*norm, what);
}

//===----------------------------------------------------------------------===//
// Feed-forward
//===----------------------------------------------------------------------===//

/// An activation applied to `input`, with the bias it adds first.
struct Activation {
  ActivationKind kind;
  std::string input;
  const onnx::TensorProto *bias = nullptr;
};

std::optional<Activation> matchActivation(const OnnxGraph &g, StringRef value) {
  const onnx::NodeProto *n = g.producer(value);
  if (!n)
    return std::nullopt;
  if (is(n, "Relu"))
    return Activation{ActivationKind::ReLU, in(*n, 0)};
  if (isMs(*n) && n->op_type() == "FastGelu") {
    Activation a{ActivationKind::GELUTanh, in(*n, 0)};
    if (!in(*n, 1).empty()) {
      a.bias = g.constant(in(*n, 1));
      if (!a.bias)
        return std::nullopt;
    }
    return a;
  }
  if (isMs(*n) && n->op_type() == "BiasGelu") {
    Activation a{ActivationKind::GELUErf, in(*n, 0)};
    a.bias = g.constant(in(*n, 1));
    if (!a.bias)
      return std::nullopt;
    return a;
  }
  if (is(n, "Gelu")) {
    const onnx::AttributeProto *approx = OnnxGraph::attr(*n, "approximate");
    bool tanh = approx && approx->s() == "tanh";
    return Activation{tanh ? ActivationKind::GELUTanh : ActivationKind::GELUErf,
                      in(*n, 0)};
  }
  if (is(n, "Mul")) { // x * sigmoid(x)
    for (int i = 0; i < 2; ++i) {
      const onnx::NodeProto *s = g.producer(in(*n, i));
      if (is(s, "Sigmoid") && in(*s, 0) == in(*n, 1 - i))
        return Activation{ActivationKind::SiLU, in(*n, 1 - i)};
    }
  }
  return std::nullopt;
}

Error Recognizer::mlp(StringRef input, int64_t layer, std::string &delta) {
  // The down projection is the first MatMul not reading `input` directly.
  const onnx::NodeProto *down = nullptr;
  std::vector<std::string> frontier = {input.str()};
  for (int depth = 0; depth < 8 && !down && !frontier.empty(); ++depth) {
    std::vector<std::string> next;
    for (const std::string &v : frontier)
      for (const onnx::NodeProto *n : g.consumers(v)) {
        if (isMatMulLike(n) && depth > 0) {
          down = n;
          break;
        }
        for (const std::string &o : n->output())
          next.push_back(o);
      }
    frontier = std::move(next);
  }
  if (!down)
    return g.error("layer " + Twine(layer) +
                   ": no feed-forward down "
                   "projection follows the normalized value '" +
                   input + "'");
  std::string p = "blk." + std::to_string(layer) + ".";
  std::string x = skipIdentity(in(*down, 0));
  auto unsupported = [&]() {
    const onnx::NodeProto *n = g.producer(x);
    return n ? g.nodeError(*n, "is not a recognised feed-forward activation "
                               "(Relu, Gelu, FastGelu, BiasGelu, x*Sigmoid(x), "
                               "or a gated product of them)")
             : g.nodeError(*down, "reads an unrecognised value");
  };
  Expected<Linear> up = make_error<StringError>("", inconvertibleErrorCode());
  consumeError(up.takeError());
  std::optional<Activation> act = matchActivation(g, x);
  if (act) {
    c.gatedMLP = false;
    Expected<Linear> u = linearProducing(act->input, input, *down, "up");
    if (!u)
      return u.takeError();
    if (act->bias) {
      if (u->bias)
        return g.nodeError(*g.producer(x), "adds a second bias");
      u->bias = act->bias;
    }
    c.hiddenDim = outputsOf(*u);
    if (Error err = addLinear(*u, p + "ffn_up", c.hiddenDim, c.dim))
      return err;
  } else {
    const onnx::NodeProto *mul = g.producer(x);
    if (!is(mul, "Mul"))
      return unsupported();
    for (int i = 0; i < 2 && !act; ++i) {
      std::optional<Activation> a = matchActivation(g, in(*mul, i));
      if (!a)
        continue;
      Expected<Linear> gate = linearProducing(a->input, input, *mul, "gate");
      if (!gate) {
        consumeError(gate.takeError());
        continue;
      }
      Expected<Linear> u = linearProducing(in(*mul, 1 - i), input, *mul, "up");
      if (!u)
        return u.takeError();
      if (a->bias)
        return g.nodeError(*mul, "a biased gate activation is not supported");
      act = a;
      c.gatedMLP = true;
      c.hiddenDim = outputsOf(*gate);
      if (Error err = addLinear(*gate, p + "ffn_gate", c.hiddenDim, c.dim))
        return err;
      if (Error err = addLinear(*u, p + "ffn_up", c.hiddenDim, c.dim))
        return err;
    }
    if (!act) {
      // Name the operand that is neither a projection nor an activation.
      for (int i = 0; i < 2; ++i) {
        const onnx::NodeProto *n = g.producer(skipIdentity(in(*mul, i)));
        if (n && !isMatMulLike(n) && !is(n, "Add"))
          return g.nodeError(*n, "unsupported op in the feed-forward layer: "
                                 "not a recognised activation (Relu, Gelu, "
                                 "FastGelu, BiasGelu, x*Sigmoid(x))");
      }
      return unsupported();
    }
  }
  if (layer > 0 && c.activation != act->kind)
    return g.nodeError(*down, "activation differs from the first layer's");
  c.activation = act->kind;
  Expected<Linear> d = linearReading(in(*down, 0), *down, "down");
  if (!d)
    return d.takeError();
  if (Error err = addLinear(*d, p + "ffn_down", c.dim, c.hiddenDim))
    return err;
  delta = d->output;
  return Error::success();
}

//===----------------------------------------------------------------------===//
// The walk
//===----------------------------------------------------------------------===//

/// "context_length" of an onnxruntime-genai genai_config.json next to the
/// model, or 0.
int64_t genaiContextLength(StringRef modelPath) {
  SmallString<256> path(sys::path::parent_path(modelPath));
  sys::path::append(path, "genai_config.json");
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf = MemoryBuffer::getFile(path);
  if (!buf)
    return 0;
  Expected<json::Value> v = json::parse((*buf)->getBuffer());
  if (!v) {
    consumeError(v.takeError());
    return 0;
  }
  if (const json::Object *root = v->getAsObject())
    if (const json::Object *model = root->getObject("model"))
      if (std::optional<int64_t> n = model->getInteger("context_length"))
        return *n > 0 ? *n : 0;
  return 0;
}

Error Recognizer::run() {
  if (Error err = embedding())
    return err;
  const onnx::NodeProto *lastProj = nullptr;
  std::string lastProjName;
  for (int64_t sub = 0;; ++sub) {
    int64_t layer = sub / 2;
    bool attnNext = sub % 2 == 0;
    std::string what = attnNext ? "attention" : "feed-forward";
    Expected<Norm> n = takeNorm(what);
    if (!n)
      return n.takeError();
    if (n->skipBias) {
      if (lastProjName.empty())
        return g.nodeError(*n->node, "adds a bias but no projection "
                                     "precedes it");
      if (src.find(lastProjName + ".bias"))
        return g.nodeError(*n->node,
                           "adds a second bias to '" + lastProjName + "'");
      if (Error err =
              addVector(lastProjName + ".bias", *n->skipBias, c.dim, *n->node))
        return err;
    }
    if (attnNext) {
      if (std::optional<Linear> cls = classifierReading(n->output)) {
        if (Error err = addNorm(*n, "output_norm"))
          return err;
        int64_t vocab = outputsOf(*cls);
        if (vocab != c.vocabSize)
          return g.nodeError(*cls->node, "shape mismatch: the classifier has " +
                                             Twine(vocab) +
                                             " outputs, the "
                                             "embedding " +
                                             Twine(c.vocabSize) + " rows");
        bool tied = cls->weight == embeddingTable && !cls->inOut && !cls->bias;
        if (!tied)
          if (Error err = addLinear(*cls, "output", c.vocabSize, c.dim))
            return err;
        c.numLayers = layer;
        break;
      }
    }
    if (Error err = addNorm(*n, "blk." + std::to_string(layer) +
                                    (attnNext ? ".attn_norm" : ".ffn_norm")))
      return err;
    if (attnNext) {
      if (Error err = attention(n->output, layer, pending, lastProj))
        return err;
      lastProjName = "blk." + std::to_string(layer) + ".attn_output";
    } else {
      if (Error err = mlp(n->output, layer, pending))
        return err;
      lastProjName = "blk." + std::to_string(layer) + ".ffn_down";
    }
    if (sub > 4 * 4096)
      return g.error("too many layers");
  }
  if (c.numLayers == 0)
    return g.error("the graph has no decoder layer before its classifier");
  for (int64_t w : windows)
    if (w != windows.front())
      return g.error("layers use different attention windows (" +
                     Twine(windows.front()) + " and " + Twine(w) +
                     "); mixed local/global attention is not supported");
  c.slidingWindow = windows.empty() ? 0 : windows.front();
  if (c.rope != RopeKind::None && !c.learnedPositions)
    c.maxSeqLen = ropeRows;
  if (c.maxSeqLen <= 0) {
    c.maxSeqLen = genaiContextLength(g.path());
    if (c.maxSeqLen <= 0)
      c.maxSeqLen = kDefaultContext;
  }
  if (c.slidingWindow >= c.maxSeqLen)
    c.slidingWindow = 0;
  c.architecture = g.proto().producer_name().empty()
                       ? "onnx"
                       : "onnx:" + g.proto().producer_name();
  return Error::success();
}
} // namespace detail

Error recognizeDecoder(const OnnxGraph &graph, ModelSource &source) {
  detail::Recognizer r(graph, source);
  return r.run();
}

} // namespace onnx_import
} // namespace llmc
