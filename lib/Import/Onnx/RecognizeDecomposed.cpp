//===- RecognizeDecomposed.cpp - Plain-op decoders as torch exports them --===//
//
// torch.onnx.export writes a Llama decoder as plain ops: RMSNorm as
// Pow/ReduceMean/Add/Sqrt then Div (or Reciprocal and Mul) and a Mul by the
// scale; rotary as x*cos + rotate(x)*sin with cos/sin computed from the
// positions; heads as Reshape/Transpose; the KV cache as a Concat with past
// inputs; GQA as Unsqueeze/Expand (or Tile)/Reshape; attention as
// MatMul/scale/Add(mask)/Softmax/MatMul. This file raises those subgraphs to
// the recogniser's Norm/Rope/heads descriptions. Everything computed from
// shapes and positions (reshape targets, repeat counts, cos/sin tables, the
// mask) is evaluated with OnnxEvaluate for probe inputs rather than matched
// spelling by spelling; what does not fit is an error naming the node.
//
//===----------------------------------------------------------------------===//

#include "Recognizer.h"

#include "llvm/ADT/StringSet.h"

#include <array>
#include <cmath>
#include <limits>

using namespace llvm;

namespace llmc {
namespace onnx_import {
namespace detail {

namespace {
/// Ops a scalar constant may be computed with.
bool isScalarArith(const onnx::NodeProto *n) {
  for (StringRef op : {"Constant", "Cast", "Identity", "Sqrt", "Reciprocal",
                       "Div", "Mul", "Add", "Sub", "Neg", "Pow"})
    if (is(n, op) && isStd(*n))
      return true;
  return false;
}

/// Ops that take part of a shape (torch's attention scale is
/// 1/sqrt(Shape(query)[-1])).
bool isShapeIndexing(const onnx::NodeProto *n) {
  for (StringRef op : {"Shape", "Slice", "Gather", "Squeeze", "Unsqueeze"})
    if (is(n, op) && isStd(*n))
      return true;
  return false;
}

bool hasPerm(const onnx::NodeProto *n, ArrayRef<int64_t> perm) {
  if (!is(n, "Transpose"))
    return false;
  const onnx::AttributeProto *a = OnnxGraph::attr(*n, "perm");
  return a && ArrayRef<int64_t>(a->ints().data(), a->ints_size()) == perm;
}

std::string permStr(const onnx::NodeProto &n) {
  const onnx::AttributeProto *a = OnnxGraph::attr(n, "perm");
  if (!a)
    return "(none)";
  return shapeStr(ArrayRef<int64_t>(a->ints().data(), a->ints_size()));
}

/// The shape Reshape gives an input of shape \p in for target \p target
/// (0 copies the input dimension, -1 is inferred), or empty.
std::vector<int64_t> reshaped(ArrayRef<int64_t> in, ArrayRef<double> target) {
  std::vector<int64_t> out;
  int64_t total = 1, known = 1, infer = -1;
  for (int64_t d : in)
    total *= d;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = int64_t(target[i]);
    if (d == 0 && i < in.size())
      d = in[i];
    if (d == -1) {
      if (infer >= 0)
        return {};
      infer = i;
    } else if (d <= 0) {
      return {};
    } else {
      known *= d;
    }
    out.push_back(d);
  }
  if (infer >= 0) {
    if (total % known)
      return {};
    out[infer] = total / known;
  }
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  return n == total ? out : std::vector<int64_t>{};
}
} // namespace

bool Recognizer::isConstantCone(StringRef value, bool shapes) const {
  // Only small subgraphs of constants (and with \p shapes, of Shapes of
  // any value) qualify: never the activations.
  std::vector<std::string> work = {skipIdentity(value.str())};
  for (unsigned seen = 0; !work.empty(); ++seen) {
    std::string v = work.back();
    work.pop_back();
    if (seen > 24)
      return false;
    if (g.constant(v))
      continue;
    const onnx::NodeProto *n = g.producer(v);
    if (!isScalarArith(n) && !(shapes && isShapeIndexing(n)))
      return false;
    if (is(n, "Shape"))
      continue;
    for (const std::string &i : n->input())
      if (!i.empty())
        work.push_back(i);
  }
  return true;
}

std::optional<double> Recognizer::scalar(StringRef value) const {
  if (!isConstantCone(value, /*shapes=*/false))
    return std::nullopt;
  Expected<EvalTensor> t = evaluate(g, value, bindings(0, 1));
  if (!t) {
    consumeError(t.takeError());
    return std::nullopt;
  }
  if (t->size() != 1 || t->values.size() != 1)
    return std::nullopt;
  return t->values[0];
}

std::vector<int64_t> Recognizer::ints(const onnx::NodeProto &n, int input,
                                      StringRef attr) const {
  std::vector<int64_t> out;
  if (!in(n, input).empty()) {
    Expected<EvalTensor> t = evaluate(g, in(n, input), bindings(2, 3));
    if (!t) {
      consumeError(t.takeError());
      return {};
    }
    for (double v : t->values) // saturating: ends of INT64_MAX
      out.push_back(v >= 9.2e18    ? std::numeric_limits<int64_t>::max()
                    : v <= -9.2e18 ? std::numeric_limits<int64_t>::min()
                                   : int64_t(v));
  } else if (const onnx::AttributeProto *a = OnnxGraph::attr(n, attr)) {
    out.assign(a->ints().begin(), a->ints().end());
  }
  return out;
}

//===----------------------------------------------------------------------===//
// RMSNorm
//===----------------------------------------------------------------------===//

Expected<std::optional<Norm>> Recognizer::decomposedNorm(StringRef stream) {
  const onnx::NodeProto *start = nullptr;
  for (const onnx::NodeProto *n : g.consumers(stream))
    if ((is(n, "Pow") && in(*n, 0) == stream) ||
        (is(n, "Mul") && in(*n, 0) == stream && in(*n, 1) == stream)) {
      start = n;
      break;
    }
  if (!start)
    return std::nullopt;
  auto mismatch = [&](const onnx::NodeProto &n, const Twine &why) {
    return g.nodeError(n, "does not continue the RMSNorm starting at " +
                              g.describe(*start) + ": " + why +
                              " (recognised: Pow(x, 2) -> ReduceMean(last "
                              "axis) -> Add(eps) -> Sqrt -> Div(x, .) or "
                              "Reciprocal -> Mul(x, .), then Mul by the "
                              "scale)");
  };
  // The only consumer of \p n's output, through Casts and Identities.
  auto next =
      [&](const onnx::NodeProto &n) -> Expected<const onnx::NodeProto *> {
    std::string v = n.output(0);
    for (;;) {
      ArrayRef<const onnx::NodeProto *> users = g.consumers(v);
      if (users.size() != 1)
        return g.nodeError(n, "its output feeds " + Twine(users.size()) +
                                  " nodes inside the RMSNorm starting at " +
                                  g.describe(*start) + ", expected one");
      if (!is(users[0], "Cast") && !is(users[0], "Identity"))
        return users[0];
      v = users[0]->output(0);
    }
  };
  if (is(start, "Pow")) {
    std::optional<double> e = scalar(in(*start, 1));
    if (!e || *e != 2)
      return mismatch(*start, "the exponent is not the constant 2");
  }
  Expected<const onnx::NodeProto *> mean = next(*start);
  if (!mean)
    return mean.takeError();
  if (!is(*mean, "ReduceMean"))
    return mismatch(**mean, "expected ReduceMean");
  std::vector<int64_t> axes = ints(**mean, 1, "axes");
  if (!(axes.size() == 1 && (axes[0] == -1 || axes[0] == 2)) ||
      !OnnxGraph::attrInt(**mean, "keepdims", 1))
    return mismatch(**mean, "expected a mean over the last axis with "
                            "keepdims");
  Expected<const onnx::NodeProto *> add = next(**mean);
  if (!add)
    return add.takeError();
  std::optional<double> eps;
  if (is(*add, "Add"))
    eps = scalar(in(**add, in(**add, 0) == (*mean)->output(0) ? 1 : 0));
  if (!eps)
    return mismatch(**add, "expected Add of a constant epsilon");
  Expected<const onnx::NodeProto *> root = next(**add);
  if (!root)
    return root.takeError();
  if (!is(*root, "Sqrt"))
    return mismatch(**root, "expected Sqrt");
  Expected<const onnx::NodeProto *> div = next(**root);
  if (!div)
    return div.takeError();
  const onnx::NodeProto *normed = *div;
  std::string x = stream.str();
  if (is(normed, "Div") && skipIdentity(in(*normed, 0)) == x) {
    // x / sqrt(mean + eps)
  } else if (is(normed, "Reciprocal") ||
             (is(normed, "Div") && scalar(in(*normed, 0)) == 1.0)) {
    Expected<const onnx::NodeProto *> mul = next(*normed);
    if (!mul)
      return mul.takeError();
    normed = *mul;
    if (!is(normed, "Mul") || (skipIdentity(in(*normed, 0)) != x &&
                               skipIdentity(in(*normed, 1)) != x))
      return mismatch(*normed, "expected Mul of the input by the reciprocal");
  } else {
    return mismatch(*normed, "expected Div of the input by the root, or "
                             "Reciprocal");
  }
  Expected<const onnx::NodeProto *> scale = next(*normed);
  if (!scale)
    return scale.takeError();
  if (!is(*scale, "Mul"))
    return mismatch(**scale, "expected Mul by the scale");
  int w = in(**scale, 0) == normed->output(0) ? 1 : 0;
  Expected<const onnx::TensorProto *> weight =
      constantInput(**scale, w, "scale");
  if (!weight)
    return weight.takeError();
  Norm n;
  n.node = start;
  n.kind = NormKind::RMS;
  n.eps = float(*eps);
  n.weight = *weight;
  n.output = (*scale)->output(0);
  return std::optional<Norm>(n);
}

//===----------------------------------------------------------------------===//
// Heads, KV cache and GQA repeats
//===----------------------------------------------------------------------===//

Expected<Heads> Recognizer::heads(StringRef value, StringRef input,
                                  const onnx::NodeProto &ctx,
                                  const Twine &what) {
  std::string v = skipIdentity(value.str());
  const onnx::NodeProto *t = g.producer(v);
  if (!hasPerm(t, {0, 2, 1, 3}))
    return t ? g.nodeError(*t, "expected the " + what +
                                   " heads as Transpose(perm [0, 2, 1, 3]) "
                                   "of a Reshape of the projection, found " +
                                   t->op_type() +
                                   (is(t, "Transpose") ? " perm " + permStr(*t)
                                                       : std::string()))
             : g.nodeError(ctx, "the " + what + " '" + v +
                                    "' is not computed from a projection");
  const onnx::NodeProto *r = g.producer(skipIdentity(in(*t, 0)));
  if (!is(r, "Reshape"))
    return g.nodeError(*t, "transposes a " + what +
                               " that is not a Reshape of the projection");
  Heads h;
  h.projection = in(*r, 0);
  Expected<Linear> lin = linearProducing(h.projection, input, *r, what);
  if (!lin)
    return lin.takeError();
  int64_t width = outputsOf(*lin);
  knowShape(h.projection, {1, kSeq, width});
  // Probe with 3 new positions: [1, 3, H, D].
  Expected<EvalTensor> target = evaluate(g, in(*r, 1), bindings(2, 3));
  if (!target)
    return target.takeError();
  std::vector<int64_t> dims = reshaped({1, 3, width}, target->values);
  if (dims.size() != 4 || dims[0] != 1 || dims[1] != 3)
    return g.nodeError(*r, "reshapes the " + what + " projection [1, S, " +
                               Twine(width) + "] to " + shapeStr(dims) +
                               " (for S = 3), expected [1, S, heads, "
                               "head_dim]");
  h.heads = dims[2];
  h.headDim = dims[3];
  return h;
}

Expected<KVPath> Recognizer::kvPath(StringRef value) {
  KVPath kv;
  std::string v = skipIdentity(value.str());
  // GQA repeat: Reshape(Expand|Tile(Unsqueeze(x, 2))).
  if (const onnx::NodeProto *r = g.producer(v); is(r, "Reshape")) {
    const onnx::NodeProto *e = g.producer(skipIdentity(in(*r, 0)));
    if (is(e, "Expand") || is(e, "Tile")) {
      const onnx::NodeProto *u = g.producer(skipIdentity(in(*e, 0)));
      if (!is(u, "Unsqueeze"))
        return g.nodeError(*e, "repeats KV heads without inserting a repeat "
                               "axis (Unsqueeze at axis 2 first): query head "
                               "h would read KV head h mod kv_heads; only "
                               "the repeat_kv order (head h reads KV head "
                               "h / repeats) is supported");
      kv.reshape = r;
      kv.repeat = e;
      kv.unsqueeze = u;
      v = skipIdentity(in(*u, 0));
    }
  }
  kv.cached = v;
  kv.fresh = v;
  const onnx::NodeProto *c = g.producer(v);
  if (is(c, "Concat") && c->input_size() == 2 &&
      g.isGraphInput(skipIdentity(in(*c, 0)))) {
    int64_t axis = OnnxGraph::attrInt(*c, "axis", 0);
    if (axis != 2 && axis != -2)
      return g.nodeError(*c, "concatenates the KV cache on axis " +
                                 Twine(axis) +
                                 ", expected the sequence "
                                 "axis 2 of [1, heads, seq, "
                                 "head_dim]");
    kv.past = skipIdentity(in(*c, 0));
    kv.fresh = skipIdentity(in(*c, 1));
  }
  return kv;
}

Expected<int64_t> Recognizer::repeatFactor(const KVPath &kv, int64_t kvHeads,
                                           int64_t headDim, bool past) {
  if (!kv.repeat)
    return 1;
  knowShape(kv.cached, {1, kvHeads, past ? kTotal : kSeq, headDim});
  std::vector<int64_t> axes = ints(*kv.unsqueeze, 1, "axes");
  if (axes.size() != 1 || axes[0] != 2)
    return g.nodeError(*kv.unsqueeze, "inserts axes " + shapeStr(axes) +
                                          " before repeating KV heads, "
                                          "expected [2]");
  // Probe with 2 cached and 3 new positions.
  int64_t keys = past ? 5 : 3;
  std::vector<int64_t> in5 = {1, kvHeads, 1, keys, headDim}, out5;
  Expected<EvalTensor> arg = evaluate(g, in(*kv.repeat, 1), bindings(2, 3));
  if (!arg)
    return arg.takeError();
  if (arg->values.size() != 5)
    return g.nodeError(*kv.repeat, "repeats a rank-5 tensor with " +
                                       Twine(arg->values.size()) + " values");
  for (int i = 0; i < 5; ++i) {
    int64_t a = int64_t(arg->values[i]);
    if (is(kv.repeat, "Tile"))
      out5.push_back(in5[i] * a);
    else
      out5.push_back(in5[i] == 1 ? a : (a == 1 || a == in5[i]) ? in5[i] : -1);
  }
  int64_t rep = out5[2];
  std::vector<int64_t> want = {1, kvHeads, rep, keys, headDim};
  if (rep < 1 || out5 != want)
    return g.nodeError(*kv.repeat, "gives the KV heads the shape " +
                                       shapeStr(out5) + ", expected " + "[1, " +
                                       Twine(kvHeads) + ", repeats, " +
                                       Twine(keys) + ", " + Twine(headDim) +
                                       "]");
  Expected<EvalTensor> target = evaluate(g, in(*kv.reshape, 1), bindings(2, 3));
  if (!target)
    return target.takeError();
  std::vector<int64_t> dims = reshaped(out5, target->values);
  if (dims != std::vector<int64_t>{1, kvHeads * rep, keys, headDim})
    return g.nodeError(*kv.reshape,
                       "reshapes the repeated KV heads to " + shapeStr(dims) +
                           ", expected [1, " + Twine(kvHeads * rep) + ", " +
                           Twine(keys) + ", " + Twine(headDim) + "]");
  return rep;
}

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

namespace {
/// A rotation of x's last axis: rotate_half (Concat(-x[h:], x[:h])) or the
/// adjacent-pair form (Reshape(Concat(Unsqueeze(-x[1::2]),
/// Unsqueeze(x[::2])))).
struct Rotation {
  RopeKind kind = RopeKind::Halves;
  std::string source;
  int64_t half = 0; ///< halves: the split point
};
} // namespace

Expected<std::string> Recognizer::decomposedRope(StringRef value,
                                                 std::optional<Rope> &found,
                                                 int64_t headDim, bool past) {
  std::string v = skipIdentity(value.str());
  const onnx::NodeProto *add = g.producer(v);
  if (!is(add, "Add"))
    return v;
  const onnx::NodeProto *m[2] = {g.producer(skipIdentity(in(*add, 0))),
                                 g.producer(skipIdentity(in(*add, 1)))};
  if (!is(m[0], "Mul") || !is(m[1], "Mul"))
    return v;
  // A Slice of the last axis: {start, end, step} or nullopt.
  auto sliceOf =
      [&](const onnx::NodeProto *s,
          std::string &data) -> std::optional<std::array<int64_t, 3>> {
    if (!is(s, "Slice"))
      return std::nullopt;
    std::vector<int64_t> st = ints(*s, 1, "starts"), en = ints(*s, 2, "ends"),
                         ax = ints(*s, 3, "axes"), sp = ints(*s, 4, "steps");
    if (st.size() != 1 || en.size() != 1 || ax.size() != 1 ||
        (ax[0] != -1 && ax[0] != 3) || sp.size() > 1)
      return std::nullopt;
    data = skipIdentity(in(*s, 0));
    return std::array<int64_t, 3>{st[0], en[0], sp.empty() ? 1 : sp[0]};
  };
  auto rotation = [&](StringRef rotated) -> std::optional<Rotation> {
    const onnx::NodeProto *n = g.producer(skipIdentity(rotated.str()));
    bool adjacent = false;
    if (is(n, "Reshape")) {
      adjacent = true;
      n = g.producer(skipIdentity(in(*n, 0)));
    }
    if (!is(n, "Concat") || n->input_size() != 2)
      return std::nullopt;
    int64_t axis = OnnxGraph::attrInt(*n, "axis", 0);
    const onnx::NodeProto *a = g.producer(skipIdentity(in(*n, 0)));
    const onnx::NodeProto *b = g.producer(skipIdentity(in(*n, 1)));
    if (adjacent) {
      // stack((-x[..., 1::2], x[..., ::2]), -1) as Unsqueeze + Concat.
      if (axis != -1 && axis != 4)
        return std::nullopt;
      if (!is(a, "Unsqueeze") || !is(b, "Unsqueeze"))
        return std::nullopt;
      for (const onnx::NodeProto *u : {a, b}) {
        std::vector<int64_t> ua = ints(*u, 1, "axes");
        if (ua.size() != 1 || (ua[0] != -1 && ua[0] != 4))
          return std::nullopt;
      }
      a = g.producer(skipIdentity(in(*a, 0)));
      b = g.producer(skipIdentity(in(*b, 0)));
    } else if (axis != -1 && axis != 3) {
      return std::nullopt;
    }
    if (!is(a, "Neg"))
      return std::nullopt;
    std::string x1, x2;
    auto s2 = sliceOf(g.producer(skipIdentity(in(*a, 0))), x2);
    auto s1 = sliceOf(b, x1);
    if (!s1 || !s2 || x1 != x2)
      return std::nullopt;
    Rotation r;
    r.source = x1;
    if (adjacent) {
      // x[..., ::2] and x[..., 1::2] to the end.
      if ((*s1)[0] != 0 || (*s1)[2] != 2 || (*s2)[0] != 1 || (*s2)[2] != 2 ||
          (*s1)[1] < headDim || (*s2)[1] < headDim)
        return std::nullopt;
      r.kind = RopeKind::Adjacent;
      return r;
    }
    // x[..., :h] and x[..., h:].
    int64_t h = (*s1)[1];
    if ((*s1)[0] != 0 || (*s1)[2] != 1 || (*s2)[0] != h || (*s2)[2] != 1 ||
        (*s2)[1] < 2 * h)
      return std::nullopt;
    r.half = h;
    return r;
  };
  std::string cosV, sinV;
  std::optional<Rotation> rot;
  for (int i = 0; i < 2 && !rot; ++i)
    for (int j = 0; j < 2 && !rot; ++j) {
      std::optional<Rotation> r = rotation(in(*m[1 - i], j));
      if (!r)
        continue;
      for (int k = 0; k < 2; ++k)
        if (skipIdentity(in(*m[i], k)) == r->source) {
          cosV = in(*m[i], 1 - k);
          sinV = in(*m[1 - i], 1 - j);
          rot = r;
          break;
        }
    }
  if (!rot)
    return g.nodeError(*add, "adds two products but is not a recognised "
                             "rotary embedding: expected x * cos + "
                             "rotate(x) * sin with rotate(x) = "
                             "Concat(-x[..., h:], x[..., :h]) or the "
                             "adjacent-pair stack of (-x[..., 1::2], "
                             "x[..., ::2])");
  if (rot->kind == RopeKind::Halves && 2 * rot->half != headDim)
    return g.nodeError(*add, "rotates the halves at " + Twine(rot->half) +
                                 " of a head of " + Twine(headDim) +
                                 "; partial rotary is not supported");
  // The positions feeding cos/sin: the one integer graph input they read
  // (position_ids), if any.
  std::string positions;
  {
    std::vector<std::string> work = {cosV, sinV};
    StringSet<> seen;
    while (!work.empty()) {
      std::string w = work.back();
      work.pop_back();
      if (!seen.insert(w).second || g.constant(w))
        continue;
      if (const onnx::NodeProto *n = g.producer(w)) {
        for (const std::string &i : n->input())
          if (!i.empty() && !(is(n, "Shape") && g.isGraphInput(i)))
            work.push_back(i);
        continue;
      }
      const onnx::ValueInfoProto *info = g.valueInfo(w);
      int32_t type = info ? info->type().tensor_type().elem_type() : 0;
      if (!g.isGraphInput(w) || w == tokenInput || type == DT_FLOAT ||
          type == DT_FLOAT16 || type == DT_BFLOAT16)
        continue;
      if (!positions.empty() && positions != w)
        return g.nodeError(*add, "its cos/sin are computed from two inputs, '" +
                                     positions + "' and '" + w + "'");
      positions = w;
    }
  }
  if (!positions.empty()) {
    if (!positionInput.empty() && positionInput != positions)
      return g.nodeError(*add, "uses positions '" + positions +
                                   "', another rotary embedding uses '" +
                                   positionInput + "'");
    positionInput = positions;
  }
  // The tables for positions 0..rows-1; then a later window, which must be
  // the same rows (positions are absolute, from position_ids or the cache
  // length).
  constexpr int64_t rows = 16;
  int64_t half = headDim / 2;
  auto table = [&](int64_t p, int64_t s, std::vector<float> &cf,
                   std::vector<float> &sf) -> Error {
    StringMap<EvalTensor> b = bindings(p, s);
    for (auto [name, out] : {std::pair{&cosV, &cf}, std::pair{&sinV, &sf}}) {
      Expected<EvalTensor> t = evaluate(g, *name, b);
      if (!t)
        return t.takeError();
      if (t->size() != s * headDim || t->shape.size() < 2 ||
          t->shape.back() != headDim || t->shape[t->shape.size() - 2] != s)
        return g.nodeError(*add, "its cos/sin table '" + *name +
                                     "' has shape " + shapeStr(t->shape) +
                                     " for " + Twine(s) +
                                     " positions, expected [..., " + Twine(s) +
                                     ", " + Twine(headDim) + "]");
      out->clear();
      for (int64_t q = 0; q < s; ++q)
        for (int64_t i = 0; i < half; ++i) {
          // The two lanes rotated together hold the same angle.
          int64_t a = rot->kind == RopeKind::Halves ? i : 2 * i;
          int64_t c = rot->kind == RopeKind::Halves ? i + half : 2 * i + 1;
          double x = t->values[q * headDim + a], y = t->values[q * headDim + c];
          if (std::fabs(x - y) > 1e-6)
            return g.nodeError(*add, "its cos/sin table '" + *name +
                                         "' differs between the two lanes of "
                                         "rotated pair " +
                                         Twine(i));
          out->push_back(float(x));
        }
    }
    return Error::success();
  };
  std::vector<float> cf, sf, cf2, sf2;
  if (Error err = table(0, rows, cf, sf))
    return std::move(err);
  if (past || !positionInput.empty()) {
    if (Error err = table(5, 2, cf2, sf2))
      return std::move(err);
    for (size_t i = 0; i < cf2.size(); ++i)
      if (std::fabs(cf2[i] - cf[5 * half + i]) > 1e-5 ||
          std::fabs(sf2[i] - sf[5 * half + i]) > 1e-5)
        return g.nodeError(*add, "its cos/sin do not follow the absolute "
                                 "position (2 new tokens after 5 cached "
                                 "ones should be at positions 5 and 6)");
  }
  Expected<Rope> r = ropeTable(*add, cf, sf, rows, half);
  if (!r)
    return r.takeError();
  r->kind = rot->kind;
  r->rows = 0; // computed for any position
  found = *r;
  return rot->source;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

Expected<std::string>
Recognizer::decomposedAttention(const onnx::NodeProto &softmax, StringRef input,
                                const std::string &prefix) {
  int64_t axis = OnnxGraph::attrInt(softmax, "axis", -1);
  if (axis != -1 && axis != 3)
    return g.nodeError(softmax, "normalizes over axis " + Twine(axis) +
                                    ", expected the key axis (-1) of "
                                    "attention scores");
  // Scores: MatMul(q, kT) scaled by constants (on the scores or on q/k).
  // The factors may be computed from shapes (torch's scaled_dot_product_
  // attention scales q and kT by sqrt(1/sqrt(Shape(q)[-1]))): they are
  // evaluated once the shapes are known.
  struct Factor {
    std::string value;
    bool divides;
    const onnx::NodeProto *node;
  };
  std::vector<Factor> factors;
  auto stripScale = [&](std::string v) {
    for (;;) {
      v = skipIdentity(v);
      const onnx::NodeProto *n = g.producer(v);
      if (!is(n, "Mul") && !is(n, "Div"))
        return v;
      int i = is(n, "Div") ? 1 : 0;
      for (; i < 2; ++i)
        if (isConstantCone(in(*n, i), /*shapes=*/true))
          break;
      if (i == 2)
        return v;
      factors.push_back({in(*n, i), is(n, "Div"), n});
      v = in(*n, 1 - i);
    }
  };
  auto scoresOf = [&](StringRef v) -> const onnx::NodeProto * {
    size_t saved = factors.size();
    const onnx::NodeProto *n = g.producer(stripScale(v.str()));
    if (is(n, "MatMul") && !g.constant(skipIdentity(in(*n, 0))) &&
        !g.constant(skipIdentity(in(*n, 1))))
      return n;
    factors.resize(saved);
    return nullptr;
  };
  std::string x = skipIdentity(in(softmax, 0));
  const onnx::NodeProto *maskAdd = g.producer(x);
  const onnx::NodeProto *scores = nullptr;
  std::string mask;
  if (is(maskAdd, "Add"))
    for (int i = 0; i < 2 && !scores; ++i)
      if ((scores = scoresOf(in(*maskAdd, i))))
        mask = in(*maskAdd, 1 - i);
  if (!scores) {
    if (scoresOf(x))
      return g.nodeError(softmax, "attention scores reach the Softmax "
                                  "without a mask: bidirectional attention "
                                  "is not a decoder");
    const onnx::NodeProto *n = maskAdd ? maskAdd : &softmax;
    return g.nodeError(*n, "is not a recognised attention: expected "
                           "Softmax(MatMul(q, kT) * scale + mask)");
  }
  // Keys: [scale] Transpose(0, 1, 3, 2) of the (repeated, cached) keys.
  std::string kT = stripScale(in(*scores, 1));
  const onnx::NodeProto *t = g.producer(kT);
  if (!hasPerm(t, {0, 1, 3, 2}))
    return g.nodeError(t ? *t : *scores,
                       "expected the keys transposed with perm [0, 1, 3, "
                       "2] as the right operand of the attention scores");
  Expected<KVPath> kp = kvPath(in(*t, 0));
  if (!kp)
    return kp.takeError();
  // Values: MatMul(probs, v).
  const onnx::NodeProto *pv = nullptr;
  for (const onnx::NodeProto *n : g.consumers(softmax.output(0)))
    if (is(n, "MatMul") && in(*n, 0) == softmax.output(0))
      pv = n;
  if (!pv)
    return g.nodeError(softmax, "its probabilities feed no MatMul with the "
                                "values");
  Expected<KVPath> vp = kvPath(in(*pv, 1));
  if (!vp)
    return vp.takeError();
  bool past = !kp->past.empty();
  if (past != !vp->past.empty())
    return g.nodeError(softmax, "only one of its keys and values comes "
                                "with a cache input");
  // Heads first (their widths bind the shapes the rest is evaluated with),
  // through the rotary embeddings.
  std::optional<Rope> qr, kr;
  std::string q = stripScale(in(*scores, 0));
  auto preRope = [&](StringRef v) -> std::string {
    // The value under x*cos + rotate(x)*sin: found structurally by
    // decomposedRope later; here only to reach the heads.
    std::string w = skipIdentity(v.str());
    const onnx::NodeProto *a = g.producer(w);
    if (!is(a, "Add"))
      return w;
    for (int i = 0; i < 2; ++i) {
      const onnx::NodeProto *m = g.producer(skipIdentity(in(*a, i)));
      if (!is(m, "Mul"))
        continue;
      for (int k = 0; k < 2; ++k) {
        const onnx::NodeProto *tr = g.producer(skipIdentity(in(*m, k)));
        if (hasPerm(tr, {0, 2, 1, 3}))
          return skipIdentity(in(*m, k));
      }
    }
    return w;
  };
  Expected<Heads> qh = heads(preRope(q), input, softmax, "query");
  if (!qh)
    return qh.takeError();
  Expected<Heads> kh = heads(preRope(kp->fresh), input, softmax, "key");
  if (!kh)
    return kh.takeError();
  Expected<Heads> vh = heads(vp->fresh, input, softmax, "value");
  if (!vh)
    return vh.takeError();
  int64_t hd = qh->headDim;
  if (kh->headDim != hd || vh->headDim != hd || kh->heads != vh->heads)
    return g.nodeError(softmax,
                       "query/key/value heads disagree: " + Twine(qh->heads) +
                           "x" + Twine(hd) + ", " + Twine(kh->heads) + "x" +
                           Twine(kh->headDim) + ", " + Twine(vh->heads) + "x" +
                           Twine(vh->headDim));
  int64_t kvh = kh->heads;
  knowShape(input, {1, kSeq, c.dim});
  knowShape(residual, {1, kSeq, c.dim});
  knowShape(q, {1, qh->heads, kSeq, hd});
  for (const KVPath *p : {&*kp, &*vp}) {
    knowShape(p->fresh, {1, kvh, kSeq, hd});
    knowShape(p->cached, {1, kvh, past ? kTotal : kSeq, hd});
    if (past)
      knowShape(p->past, {1, kvh, kPast, hd});
  }
  knowShape(scores->output(0), {1, qh->heads, kSeq, past ? kTotal : kSeq});
  Expected<int64_t> kRep = repeatFactor(*kp, kvh, hd, past);
  if (!kRep)
    return kRep.takeError();
  Expected<int64_t> vRep = repeatFactor(*vp, kvh, hd, past);
  if (!vRep)
    return vRep.takeError();
  if (*kRep != *vRep || kvh * *kRep != qh->heads)
    return g.nodeError(softmax, Twine(qh->heads) + " query heads attend to " +
                                    Twine(kvh) + " KV heads repeated " +
                                    Twine(*kRep) + " (keys) and " +
                                    Twine(*vRep) + " (values) times");
  if (Error err = setHeads(softmax, qh->heads, kvh))
    return std::move(err);
  if (qh->heads * hd != c.dim)
    return g.nodeError(softmax, Twine(qh->heads) + " heads of " + Twine(hd) +
                                    " are not the model width " + Twine(c.dim));
  Expected<std::string> qIn = decomposedRope(q, qr, hd, past);
  if (!qIn)
    return qIn.takeError();
  Expected<std::string> kIn = decomposedRope(kp->fresh, kr, hd, past);
  if (!kIn)
    return kIn.takeError();
  if (*qIn != skipIdentity(preRope(q)) ||
      *kIn != skipIdentity(preRope(kp->fresh)))
    return g.nodeError(softmax, "the rotary embedding does not read the "
                                "query/key heads");
  if (Error err = noteRope(softmax, qr, kr))
    return std::move(err);
  double scale = 1;
  for (const Factor &f : factors) {
    Expected<EvalTensor> t = evaluate(g, f.value, bindings(2, 3));
    if (!t)
      return t.takeError();
    if (t->size() != 1 || t->values.size() != 1 || t->values[0] == 0)
      return g.nodeError(*f.node, "scales the attention scores by '" + f.value +
                                      "', which is not a non-zero "
                                      "scalar");
    scale = f.divides ? scale / t->values[0] : scale * t->values[0];
  }
  if (Error err = setScale(softmax, float(scale)))
    return std::move(err);
  KeyLayout layout;
  layout.past = past;
  Expected<int64_t> window = maskWindow(softmax, mask, "", false, layout);
  if (!window)
    return window.takeError();
  windows.push_back(*window);
  if (Error err = addQKV(input, qh->projection, kh->projection, vh->projection,
                         softmax, prefix))
    return std::move(err);
  // Output: Transpose(0, 2, 1, 3) then Reshape to [1, S, dim].
  ArrayRef<const onnx::NodeProto *> users = g.consumers(pv->output(0));
  const onnx::NodeProto *ot = users.size() == 1 ? users[0] : nullptr;
  if (!hasPerm(ot, {0, 2, 1, 3}))
    return g.nodeError(ot ? *ot : *pv,
                       "expected the attention output [1, heads, S, "
                       "head_dim] transposed with perm [0, 2, 1, 3]");
  users = g.consumers(ot->output(0));
  const onnx::NodeProto *or_ = users.size() == 1 ? users[0] : nullptr;
  if (!is(or_, "Reshape"))
    return g.nodeError(or_ ? *or_ : *ot,
                       "expected the attention heads merged by a Reshape");
  knowShape(pv->output(0), {1, qh->heads, kSeq, hd});
  knowShape(ot->output(0), {1, kSeq, qh->heads, hd});
  Expected<EvalTensor> target = evaluate(g, in(*or_, 1), bindings(2, 3));
  if (!target)
    return target.takeError();
  std::vector<int64_t> dims = reshaped({1, 3, qh->heads, hd}, target->values);
  if (dims != std::vector<int64_t>{1, 3, c.dim})
    return g.nodeError(*or_, "merges the heads to " + shapeStr(dims) +
                                 " (for S = 3), expected [1, 3, " +
                                 Twine(c.dim) + "]");
  return or_->output(0);
}

} // namespace detail
} // namespace onnx_import
} // namespace llmc
