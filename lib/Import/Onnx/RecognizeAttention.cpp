//===- RecognizeAttention.cpp - Fused attention ops, RoPE and masks -------===//
//
// The attention sublayer when the graph computes it with one op (ai.onnx
// Attention, com.microsoft GroupQueryAttention or Attention), the rotary
// embeddings on its inputs, and the analysis of attention masks by
// evaluating them for probe positions (OnnxEvaluate).
//
//===----------------------------------------------------------------------===//

#include "Recognizer.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace llvm;

namespace llmc {
namespace onnx_import {
namespace detail {

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

Expected<Rope> Recognizer::rope(const onnx::NodeProto &n,
                                const onnx::TensorProto *cos,
                                const onnx::TensorProto *sin,
                                int64_t rotaryDim) {
  if (cos->dims_size() != 2 || sin->dims_size() != 2 ||
      cos->dims(0) != sin->dims(0) || cos->dims(1) != sin->dims(1))
    return g.nodeError(n, "cos/sin caches '" + cos->name() + "', '" +
                              sin->name() + "' must be 2-D and alike");
  int64_t rows = cos->dims(0), half = cos->dims(1);
  if (rotaryDim != 0 && rotaryDim != 2 * half)
    return g.nodeError(n, "rotary_embedding_dim " + Twine(rotaryDim) +
                              " disagrees with the cos cache width " +
                              Twine(half));
  Expected<std::vector<float>> cf = g.floats(*cos), sf = g.floats(*sin);
  if (!cf)
    return cf.takeError();
  if (!sf)
    return sf.takeError();
  return ropeTable(n, *cf, *sf, rows, half);
}

Expected<Rope> Recognizer::ropeTable(const onnx::NodeProto &n,
                                     ArrayRef<float> cf, ArrayRef<float> sf,
                                     int64_t rows, int64_t half) const {
  Rope r;
  r.node = &n;
  if (rows < 2)
    return g.nodeError(n, "the cos/sin cache has fewer than two positions");
  // inv_freq[i] = theta^(-i/half): read it at position 1, solve for theta
  // from the last frequency, then check every entry.
  double theta = 10000.0;
  if (half > 1) {
    double f = std::atan2(sf[half + half - 1], cf[half + half - 1]);
    if (!(f > 0 && f < 1))
      return g.nodeError(n, "the cos/sin cache is not a rotary embedding "
                            "table (position 1 has angle " +
                                num(f) + ")");
    theta = std::pow(f, -double(half) / double(half - 1));
  }
  for (int64_t p = 0; p < rows; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = double(p) * std::pow(theta, -double(i) / double(half));
      double ec = std::fabs(cf[p * half + i] - std::cos(angle));
      double es = std::fabs(sf[p * half + i] - std::sin(angle));
      if (ec > 2e-3 || es > 2e-3)
        return g.nodeError(n, "the cos/sin cache is not standard RoPE for "
                              "any base (position " +
                                  Twine(p) + ", pair " + Twine(i) +
                                  " differs by " + num(std::max(ec, es)) +
                                  " from base " + num(theta) +
                                  "); scaled RoPE is not supported");
    }
  // Exported caches are computed in float: snap a base within 0.01% of an
  // integer to it (9999.998 -> 10000).
  if (std::fabs(theta - std::round(theta)) <= 1e-4 * theta)
    theta = std::round(theta);
  r.theta = float(theta);
  r.rows = rows;
  return r;
}

Expected<std::string> Recognizer::stripRope(StringRef value,
                                            std::optional<Rope> &found) {
  std::string v = skipIdentity(value.str());
  const onnx::NodeProto *n = g.producer(v);
  if (!is(n, "RotaryEmbedding"))
    return v;
  // ai.onnx (23): X, cos, sin[, position_ids]; com.microsoft: X,
  // position_ids, cos_cache, sin_cache.
  bool ms = isMs(*n);
  std::string cosName = skipIdentity(in(*n, ms ? 2 : 1));
  std::string sinName = skipIdentity(in(*n, ms ? 3 : 2));
  std::string positions = ms ? in(*n, 1) : in(*n, 3);
  // ai.onnx without position_ids takes cos/sin already gathered.
  bool gathered = !ms && positions.empty();
  auto table = [&](std::string name) -> const onnx::TensorProto * {
    if (const onnx::TensorProto *t = g.constant(name))
      return t;
    const onnx::NodeProto *gather = g.producer(name);
    if (gathered && is(gather, "Gather") &&
        OnnxGraph::attrInt(*gather, "axis", 0) == 0) {
      if (!positions.empty() && positions != in(*gather, 1))
        return nullptr;
      positions = in(*gather, 1);
      return g.constant(skipIdentity(in(*gather, 0)));
    }
    return nullptr;
  };
  const onnx::TensorProto *cos = table(cosName), *sin = table(sinName);
  if (!cos || !sin)
    return g.nodeError(*n, "cos/sin caches must be initializers (or "
                           "Gathers of initializers by position)");
  positions = skipIdentity(positions);
  if (!g.isGraphInput(positions))
    return g.nodeError(*n, "positions '" + positions +
                               "' are not a graph input; llmc feeds the "
                               "absolute position of each token");
  if (!positionInput.empty() && positionInput != positions)
    return g.nodeError(*n, "uses positions '" + positions +
                               "', another rotary embedding uses '" +
                               positionInput + "'");
  positionInput = positions;
  if (OnnxGraph::attrFloat(*n, "scale", 1.0f) != 1.0f)
    return g.nodeError(*n, "scaled rotary embedding is not supported");
  Expected<Rope> r =
      rope(*n, cos, sin, OnnxGraph::attrInt(*n, "rotary_embedding_dim", 0));
  if (!r)
    return r.takeError();
  r->kind = OnnxGraph::attrInt(*n, "interleaved", 0) ? RopeKind::Adjacent
                                                     : RopeKind::Halves;
  found = *r;
  return skipIdentity(in(*n, 0));
}

/// Probe inputs of an attention mask: token at positions p .. p+s-1.
StringMap<EvalTensor> probeInputs(const OnnxGraph &g, StringRef tokens,
                                  StringRef positions, int64_t p, int64_t s) {
  StringMap<EvalTensor> b;
  for (const onnx::ValueInfoProto &v : g.graph().input()) {
    EvalTensor t;
    t.shapeOnly = true;
    for (const onnx::TensorShapeProto::Dimension &d :
         v.type().tensor_type().shape().dim())
      t.shape.push_back(d.has_dim_value() ? d.dim_value() : 1);
    StringRef name = v.name();
    if (name == tokens || name == positions) {
      t = EvalTensor();
      t.shape = {1, s};
      for (int64_t i = 0; i < s; ++i)
        t.values.push_back(name == tokens ? 0.0 : double(p + i));
    } else if (name.contains("attention_mask")) {
      t = EvalTensor();
      t.shape = {1, p + s};
      t.values.assign(p + s, 1.0);
    } else if (name.contains("write_indices") || name.contains("past_seq")) {
      t = EvalTensor();
      t.shape = {1};
      t.values = {double(p)};
    } else if (name.contains("seqlen") || name.contains("total_seq")) {
      t = EvalTensor();
      t.shape = {1};
      t.values = {double(p + s)};
    }
    t.dataType = v.type().tensor_type().elem_type();
    b[name] = t;
  }
  return b;
}

StringMap<EvalTensor> Recognizer::bindings(int64_t p, int64_t s) const {
  StringMap<EvalTensor> b = probeInputs(g, tokenInput, positionInput, p, s);
  for (const auto &k : knownShapes) {
    EvalTensor t;
    t.shapeOnly = true;
    t.dataType = DT_FLOAT;
    for (int64_t d : k.second)
      t.shape.push_back(d == kSeq     ? s
                        : d == kPast  ? p
                        : d == kTotal ? p + s
                                      : d);
    b[k.first()] = std::move(t);
  }
  return b;
}

void Recognizer::knowShape(StringRef value, ArrayRef<int64_t> dims) {
  knownShapes[value] = std::vector<int64_t>(dims);
}

Error Recognizer::attentionMask(const onnx::NodeProto &attn, int64_t cacheLen) {
  std::string mask = in(attn, 3), nonpad = in(attn, 6);
  bool causal = OnnxGraph::attrInt(attn, "is_causal", 0);
  if (mask.empty() && nonpad.empty()) {
    if (!causal)
      return g.nodeError(attn, "attention is neither causal nor masked");
    windows.push_back(0);
    return Error::success();
  }
  if (cacheLen <= 0 || cacheLen > kMaxProbedCache)
    return g.nodeError(attn, "a mask over a KV cache of unknown length or "
                             "longer than " +
                                 Twine(kMaxProbedCache) +
                                 " positions cannot be analysed");
  KeyLayout keys;
  keys.fixed = cacheLen;
  Expected<int64_t> window = maskWindow(attn, mask, nonpad, causal, keys);
  if (!window)
    return window.takeError();
  windows.push_back(*window);
  return Error::success();
}

Expected<int64_t> Recognizer::maskWindow(const onnx::NodeProto &ctx,
                                         StringRef mask, StringRef nonpad,
                                         bool causal, KeyLayout layout) const {
  // Probes (first position p, queries s): every slot of a fixed cache; the
  // first positions of a growing cache; prompts of 1..8 tokens without one.
  std::vector<std::pair<int64_t, int64_t>> probes;
  if (layout.fixed > 0) {
    for (int64_t p = 0; p < layout.fixed; ++p)
      for (int64_t s : {int64_t(1), std::min<int64_t>(3, layout.fixed - p)})
        if (s >= 1)
          probes.push_back({p, s});
  } else if (layout.past) {
    for (int64_t p = 0; p < 8; ++p)
      for (int64_t s : {1, 3})
        probes.push_back({p, s});
  } else {
    for (int64_t s = 1; s <= 8; ++s)
      probes.push_back({0, s});
  }
  // Allowed keys of the last query of each probe: [p - w + 1, p].
  int64_t window = 0;
  for (auto [p, s] : probes) {
    int64_t keys = layout.fixed > 0 ? layout.fixed : p + s;
    StringMap<EvalTensor> b = bindings(p, s);
    std::optional<EvalTensor> m, np;
    if (!mask.empty()) {
      Expected<EvalTensor> r = evaluate(g, mask, b);
      if (!r)
        return r.takeError();
      m = std::move(*r);
    }
    if (!nonpad.empty()) {
      Expected<EvalTensor> r = evaluate(g, nonpad, b);
      if (!r)
        return r.takeError();
      np = std::move(*r);
    }
    if (m && (m->shape.size() < 2 || m->shape.back() != keys ||
              m->shape[m->shape.size() - 2] != s || m->size() != s * keys))
      return g.nodeError(ctx, "mask has shape " + shapeStr(m->shape) + " for " +
                                  Twine(s) + " queries over " + Twine(keys) +
                                  " keys");
    for (int64_t t = 0; t < s; ++t) {
      int64_t q = p + t, first = -1, last = -1;
      for (int64_t j = 0; j < keys; ++j) {
        bool ok = true;
        if (m) {
          double v = m->values[t * keys + j];
          if (m->dataType == DT_BOOL)
            ok = v != 0;
          else if (v <= -1e30)
            ok = false;
          else if (v != 0)
            return g.nodeError(ctx, "additive mask value " + num(v) +
                                        " is neither 0 nor -inf (biased "
                                        "attention is not supported)");
        }
        if (np && !np->values.empty() && j >= int64_t(np->values[0]))
          ok = false;
        if (causal && j > q)
          ok = false;
        if (ok) {
          if (first < 0)
            first = j;
          else if (last != j - 1)
            return g.nodeError(ctx, "mask lets position " + Twine(q) +
                                        " attend to a non-contiguous set "
                                        "of keys");
          last = j;
        }
      }
      if (last != q || first < 0)
        return g.nodeError(ctx, "mask is not causal: position " + Twine(q) +
                                    " attends to keys " + Twine(first) + ".." +
                                    Twine(last));
      int64_t w = q - first + 1;
      if (first > 0) {
        if (window && window != w)
          return g.nodeError(ctx, "mask's attention window varies (" +
                                      Twine(window) + " and " + Twine(w) + ")");
        window = w;
      } else if (window && w > window) {
        return g.nodeError(ctx, "mask's attention window varies");
      }
    }
  }
  return window;
}

Error Recognizer::setHeads(const onnx::NodeProto &ctx, int64_t heads,
                           int64_t kvHeads) {
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads)
    return g.nodeError(ctx, "invalid head counts " + Twine(heads) +
                                " query / " + Twine(kvHeads) + " kv");
  if (c.numHeads && (c.numHeads != heads || c.numKVHeads != kvHeads))
    return g.nodeError(ctx, "head counts differ from the first layer");
  if (c.dim % heads)
    return g.nodeError(ctx, "model width " + Twine(c.dim) +
                                " is not a multiple of " + Twine(heads) +
                                " heads");
  c.numHeads = heads;
  c.numKVHeads = kvHeads;
  return Error::success();
}

Error Recognizer::setScale(const onnx::NodeProto &ctx, float scale) {
  float def = 1.0f / std::sqrt(float(c.dim / c.numHeads));
  float s = (scale == 0 || std::fabs(scale - def) <= 1e-6f * def) ? 0 : scale;
  if (attnScaleSet && c.attentionScale != s)
    return g.nodeError(ctx, "attention scale differs between layers");
  attnScaleSet = 1;
  c.attentionScale = s;
  return Error::success();
}

Error Recognizer::noteRope(const onnx::NodeProto &ctx,
                           const std::optional<Rope> &q,
                           const std::optional<Rope> &k) {
  if (q.has_value() != k.has_value())
    return g.nodeError(ctx, "rotary embedding is applied to only one of "
                            "the query and the key");
  if (!q) {
    if (firstRope)
      return g.nodeError(ctx, "layer has no rotary embedding, others do");
    if (sawAttention && c.rope != RopeKind::None)
      return g.nodeError(ctx, "layer has no rotary embedding, others do");
    c.rope = RopeKind::None;
    return Error::success();
  }
  if (sawAttention && c.rope == RopeKind::None)
    return g.nodeError(ctx, "layer has a rotary embedding, others don't");
  for (const Rope *r : {&*q, &*k}) {
    if (firstRope &&
        (r->kind != firstRope->kind ||
         std::fabs(r->theta - firstRope->theta) > 1e-3f * firstRope->theta))
      return g.nodeError(*r->node, "rotary embedding differs from the "
                                   "first layer's");
    if (!firstRope)
      firstRope = *r;
  }
  c.rope = q->kind;
  c.ropeTheta = firstRope->theta;
  ropeRows = firstRope->rows;
  return Error::success();
}

Error Recognizer::addQKV(StringRef input, StringRef q, StringRef k, StringRef v,
                         const onnx::NodeProto &ctx,
                         const std::string &prefix) {
  int64_t kvDim = c.dim / c.numHeads * c.numKVHeads;
  Expected<Linear> lq = linearProducing(q, input, ctx, "query");
  if (!lq)
    return lq.takeError();
  Expected<Linear> lk = linearProducing(k, input, ctx, "key");
  if (!lk)
    return lk.takeError();
  Expected<Linear> lv = linearProducing(v, input, ctx, "value");
  if (!lv)
    return lv.takeError();
  if (Error err = addLinear(*lq, prefix + "attn_q", c.dim, c.dim))
    return err;
  if (Error err = addLinear(*lk, prefix + "attn_k", kvDim, c.dim))
    return err;
  return addLinear(*lv, prefix + "attn_v", kvDim, c.dim);
}

Error Recognizer::attention(StringRef input, int64_t layer, std::string &delta,
                            const onnx::NodeProto *&outProj) {
  // The attention op (or the Softmax of a decomposed attention) is the first
  // one reachable from the normalized input. A path may pass one MatMul of
  // two computed values (the attention scores), not a second (the
  // probabilities times the values, on the way to the next layer).
  // Shapes (the keys' length, read by a mask shared by all layers) are not
  // followed.
  const onnx::NodeProto *attn = nullptr, *scores = nullptr;
  auto product = [&](const onnx::NodeProto *n) {
    if (!is(n, "MatMul"))
      return false;
    for (int i = 0; i < 2; ++i) {
      std::string v = skipIdentity(in(*n, i));
      const onnx::NodeProto *t = g.producer(v);
      if (g.constant(v) ||
          (is(t, "Transpose") && g.constant(skipIdentity(in(*t, 0)))))
        return false;
    }
    return true;
  };
  std::vector<std::pair<std::string, int>> frontier = {{input.str(), 0}};
  llvm::StringSet<> seen;
  for (int depth = 0; depth < 32 && !attn && !frontier.empty(); ++depth) {
    std::vector<std::pair<std::string, int>> next;
    for (const auto &[v, products] : frontier)
      for (const onnx::NodeProto *n : g.consumers(v)) {
        if (isAttentionOp(n) || is(n, "Softmax")) {
          attn = n;
          break;
        }
        bool isProduct = product(n);
        if ((isProduct && products > 0) || is(n, "Shape") || is(n, "Size"))
          continue;
        if (isProduct && !scores)
          scores = n;
        for (const std::string &o : n->output())
          if (seen.insert(o).second)
            next.push_back({o, products + isProduct});
      }
    frontier = std::move(next);
  }
  std::string p = "blk." + std::to_string(layer) + ".";
  if (!attn && scores)
    return g.nodeError(*scores, "multiplies two computed values (attention "
                                "scores?) but reaches no Softmax: layer " +
                                    Twine(layer) +
                                    " has no recognised attention");
  if (!attn)
    return g.error("layer " + Twine(layer) +
                   ": no attention op (Attention, "
                   "GroupQueryAttention) or Softmax reads the normalized "
                   "value '" +
                   input + "'");
  // What the output projection reads.
  std::string attnOut = attn->output(0);
  if (is(attn, "Softmax")) {
    Expected<std::string> out = decomposedAttention(*attn, input, p);
    if (!out)
      return out.takeError();
    attnOut = *out;
  } else if (isStd(*attn) && attn->op_type() == "Attention") {
    // ai.onnx Attention (23+): Q, K, V, attn_mask, past_key, past_value,
    // nonpad_kv_seqlen.
    int64_t qh = OnnxGraph::attrInt(*attn, "q_num_heads", 0);
    int64_t kvh = OnnxGraph::attrInt(*attn, "kv_num_heads", 0);
    if (!qh || !kvh)
      return g.nodeError(*attn, "4-D (batch, heads, seq, head) inputs are not "
                                "supported; expected 3-D with q_num_heads "
                                "and kv_num_heads");
    if (OnnxGraph::attrFloat(*attn, "softcap", 0) != 0)
      return g.nodeError(*attn, "soft-capped attention is not supported");
    if (!in(*attn, 4).empty() || !in(*attn, 5).empty())
      return g.nodeError(*attn, "past_key/past_value inputs are not "
                                "supported; expected the cache through "
                                "TensorScatter");
    if (Error err = setHeads(*attn, qh, kvh))
      return err;
    if (Error err = setScale(*attn, OnnxGraph::attrFloat(*attn, "scale", 0)))
      return err;
    std::optional<Rope> qr, kr;
    Expected<std::string> q = stripRope(in(*attn, 0), qr);
    if (!q)
      return q.takeError();
    int64_t cacheLen = -1;
    auto kvSource = [&](std::string v) -> std::string {
      v = skipIdentity(v);
      const onnx::NodeProto *n = g.producer(v);
      if (is(n, "TensorScatter")) {
        if (const onnx::ValueInfoProto *info = g.valueInfo(in(*n, 0))) {
          const auto &shape = info->type().tensor_type().shape();
          if (shape.dim_size() >= 2 && shape.dim(1).has_dim_value())
            cacheLen = shape.dim(1).dim_value();
        }
        return in(*n, 1);
      }
      return v;
    };
    std::string kIn = kvSource(in(*attn, 1)), vIn = kvSource(in(*attn, 2));
    Expected<std::string> k = stripRope(kIn, kr);
    if (!k)
      return k.takeError();
    if (Error err = noteRope(*attn, qr, kr))
      return err;
    if (Error err = addQKV(input, *q, *k, vIn, *attn, p))
      return err;
    if (Error err = attentionMask(*attn, cacheLen))
      return err;
  } else if (attn->op_type() == "GroupQueryAttention" && isMs(*attn)) {
    // query, key, value, past_key, past_value, seqlens_k,
    // total_sequence_length, cos_cache, sin_cache, position_ids,
    // attention_bias, head_sink.
    int64_t qh = OnnxGraph::attrInt(*attn, "num_heads", 0);
    int64_t kvh = OnnxGraph::attrInt(*attn, "kv_num_heads", 0);
    if (Error err = setHeads(*attn, qh, kvh))
      return err;
    if (Error err = setScale(*attn, OnnxGraph::attrFloat(*attn, "scale", 0)))
      return err;
    if (OnnxGraph::attrFloat(*attn, "softcap", 0) != 0 ||
        OnnxGraph::attrInt(*attn, "smooth_softmax", 0) > 0 ||
        !in(*attn, 10).empty() || !in(*attn, 11).empty())
      return g.nodeError(*attn, "softcap, smooth softmax, attention bias and "
                                "head sinks are not supported");
    std::optional<Rope> qr, kr;
    if (OnnxGraph::attrInt(*attn, "do_rotary", 0)) {
      Expected<const onnx::TensorProto *> cos =
          constantInput(*attn, 7, "cos_cache");
      if (!cos)
        return cos.takeError();
      Expected<const onnx::TensorProto *> sin =
          constantInput(*attn, 8, "sin_cache");
      if (!sin)
        return sin.takeError();
      Expected<Rope> r = rope(*attn, *cos, *sin, 0);
      if (!r)
        return r.takeError();
      r->kind = OnnxGraph::attrInt(*attn, "rotary_interleaved", 0)
                    ? RopeKind::Adjacent
                    : RopeKind::Halves;
      qr = kr = *r;
    }
    if (in(*attn, 1).empty())
      return g.nodeError(*attn, "packed QKV (no key input) is not supported");
    Expected<std::string> q = stripRope(in(*attn, 0), qr);
    if (!q)
      return q.takeError();
    Expected<std::string> k = stripRope(in(*attn, 1), kr);
    if (!k)
      return k.takeError();
    if (Error err = noteRope(*attn, qr, kr))
      return err;
    if (Error err = addQKV(input, *q, *k, in(*attn, 2), *attn, p))
      return err;
    // ORT attends to the last local_window_size positions, the query's own
    // included (checked against ONNX Runtime in
    // e2e/onnx-contrib-llama-vs-ort.test).
    int64_t local = OnnxGraph::attrInt(*attn, "local_window_size", -1);
    windows.push_back(local > 0 ? local : 0);
  } else if (attn->op_type() == "Attention" && isMs(*attn)) {
    // com.microsoft Attention: input, weights {in, 3 out}, bias, mask_index,
    // past, attention_bias, past_sequence_length.
    if (skipIdentity(in(*attn, 0)) != skipIdentity(input.str()))
      return g.nodeError(*attn, "reads '" + in(*attn, 0) +
                                    "', expected the normalized '" + input +
                                    "'");
    if (!OnnxGraph::attrInt(*attn, "unidirectional", 0))
      return g.nodeError(*attn, "bidirectional attention (unidirectional = "
                                "0) is not a decoder");
    if (OnnxGraph::attrInt(*attn, "do_rotary", 0) || !in(*attn, 5).empty())
      return g.nodeError(*attn, "rotary or biased com.microsoft Attention is "
                                "not supported");
    int64_t heads = OnnxGraph::attrInt(*attn, "num_heads", 0);
    if (Error err = setHeads(*attn, heads, heads))
      return err;
    if (Error err = setScale(*attn, OnnxGraph::attrFloat(*attn, "scale", 0)))
      return err;
    if (const onnx::AttributeProto *sizes =
            OnnxGraph::attr(*attn, "qkv_hidden_sizes"))
      for (int64_t s : sizes->ints())
        if (s != c.dim)
          return g.nodeError(*attn, "unequal qkv_hidden_sizes are not "
                                    "supported");
    if (Error err = noteRope(*attn, std::nullopt, std::nullopt))
      return err;
    Expected<const onnx::TensorProto *> w = constantInput(*attn, 1, "weights");
    if (!w)
      return w.takeError();
    const char *names[] = {"attn_q", "attn_k", "attn_v"};
    for (int i = 0; i < 3; ++i)
      if (Error err = addMatrix(p + names[i] + ".weight", **w, true, c.dim,
                                c.dim, *attn, i * c.dim, 3 * c.dim))
        return err;
    if (!in(*attn, 2).empty()) {
      Expected<const onnx::TensorProto *> b = constantInput(*attn, 2, "bias");
      if (!b)
        return b.takeError();
      if (Error err = checkShape(**b, {3 * c.dim}, *attn, "qkv bias"))
        return err;
      Expected<std::vector<float>> f = g.floats(**b);
      if (!f)
        return f.takeError();
      for (int i = 0; i < 3; ++i) {
        auto data = std::make_shared<std::vector<char>>(c.dim * 4);
        std::memcpy(data->data(), f->data() + i * c.dim, c.dim * 4);
        TensorRef ref;
        ref.name = p + names[i] + ".bias";
        ref.shape = {c.dim};
        ref.size = data->size();
        ref.data = std::move(data);
        src.tensors.push_back(std::move(ref));
      }
    }
    windows.push_back(0);
  } else {
    return g.nodeError(*attn, "is not a supported attention op (supported: "
                              "ai.onnx Attention, com.microsoft "
                              "GroupQueryAttention and Attention)");
  }
  sawAttention = true;
  Expected<Linear> o = linearReading(attnOut, *attn, "attention output");
  if (!o)
    return o.takeError();
  if (Error err = addLinear(*o, p + "attn_output", c.dim, c.dim))
    return err;
  outProj = o->node;
  delta = o->output;
  return Error::success();
}

} // namespace detail
} // namespace onnx_import
} // namespace llmc
