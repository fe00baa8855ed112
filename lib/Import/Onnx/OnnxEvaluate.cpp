//===- OnnxEvaluate.cpp - Evaluate small index/mask subgraphs -------------===//
//
// A memoizing recursive evaluator with NumPy broadcasting. It only needs to
// be correct, not fast: masks are evaluated for a few probe positions of a
// short cache.
//
//===----------------------------------------------------------------------===//

#include "OnnxEvaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace llvm;

namespace llmc {
namespace onnx_import {

int64_t EvalTensor::size() const {
  // Saturates (at 2^62) instead of overflowing on absurd shapes.
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return int64_t(1) << 62;
    if (d != 0 && n > (int64_t(1) << 62) / d)
      return int64_t(1) << 62;
    n *= d;
  }
  return n;
}

namespace {
/// Elements above which the interpreter refuses to materialise a tensor.
constexpr int64_t kMaxEvalElements = int64_t(1) << 22;

class Evaluator {
public:
  Evaluator(const OnnxGraph &g, const StringMap<EvalTensor> &inputs)
      : g(g), inputs(inputs) {}

  Expected<EvalTensor> eval(StringRef value, unsigned depth = 0);

private:
  Expected<EvalTensor> evalNode(const onnx::NodeProto &node, unsigned depth);
  Expected<EvalTensor> broadcast(const onnx::NodeProto &node,
                                 ArrayRef<const EvalTensor *> args,
                                 int32_t resultType,
                                 function_ref<double(ArrayRef<double>)> fn);
  Expected<EvalTensor> slice(const onnx::NodeProto &node,
                             ArrayRef<EvalTensor> args);
  Expected<EvalTensor> transpose(const onnx::NodeProto &node,
                                 ArrayRef<EvalTensor> args);
  Expected<EvalTensor> matMul(const onnx::NodeProto &node,
                              ArrayRef<EvalTensor> args);

  const OnnxGraph &g;
  const StringMap<EvalTensor> &inputs;
  StringMap<EvalTensor> memo;
};

bool isFloatType(int32_t t) {
  return t == DT_FLOAT || t == DT_FLOAT16 || t == DT_DOUBLE || t == DT_BFLOAT16;
}

/// Rounds \p v to what the element type can hold.
double convert(double v, int32_t type) {
  if (type == DT_BOOL)
    return v != 0;
  if (isFloatType(type))
    return type == DT_DOUBLE ? v : double(float(v));
  if (std::isnan(v))
    return 0;
  return std::trunc(v);
}

Expected<EvalTensor> Evaluator::eval(StringRef value, unsigned depth) {
  if (auto it = memo.find(value); it != memo.end())
    return it->second;
  if (depth > 200)
    return g.error("value '" + value + "' is computed too deeply to evaluate");
  EvalTensor result;
  if (const onnx::TensorProto *t = g.constant(value)) {
    Expected<int64_t> n = g.numElements(*t);
    if (!n)
      return n.takeError();
    if (*n > kMaxEvalElements)
      return g.error("constant '" + value + "' is too large to evaluate");
    result.shape.assign(t->dims().begin(), t->dims().end());
    result.dataType = t->data_type();
    if (isFloatType(t->data_type())) {
      Expected<std::vector<float>> f = g.floats(*t);
      if (!f)
        return f.takeError();
      result.values.assign(f->begin(), f->end());
    } else {
      Expected<std::vector<int64_t>> i = g.ints(*t);
      if (!i)
        return i.takeError();
      result.values.assign(i->begin(), i->end());
    }
  } else if (auto in = inputs.find(value); in != inputs.end()) {
    result = in->second;
  } else if (const onnx::NodeProto *node = g.producer(value)) {
    Expected<EvalTensor> r = evalNode(*node, depth);
    if (!r)
      return r.takeError();
    // Multi-output nodes are evaluated for their first output only.
    if (node->output(0) != value)
      return g.nodeError(*node, "output '" + value +
                                    "' cannot be evaluated (only the first "
                                    "output is)");
    result = std::move(*r);
  } else {
    return g.error("graph input '" + value +
                   "' has no value while evaluating a mask");
  }
  memo[value] = result;
  return result;
}

Expected<EvalTensor>
Evaluator::broadcast(const onnx::NodeProto &node,
                     ArrayRef<const EvalTensor *> args, int32_t resultType,
                     function_ref<double(ArrayRef<double>)> fn) {
  size_t rank = 0;
  for (const EvalTensor *a : args) {
    if (a->shapeOnly)
      return g.nodeError(node, "reads the values of a tensor whose values "
                               "are unknown while evaluating a mask");
    rank = std::max(rank, a->shape.size());
  }
  EvalTensor out;
  out.dataType = resultType;
  out.shape.assign(rank, 1);
  for (const EvalTensor *a : args)
    for (size_t i = 0; i < a->shape.size(); ++i) {
      int64_t d = a->shape[a->shape.size() - 1 - i];
      int64_t &o = out.shape[rank - 1 - i];
      if (o == 1)
        o = d;
      else if (d != 1 && d != o)
        return g.nodeError(node, "operands do not broadcast");
    }
  int64_t n = out.size();
  if (n > kMaxEvalElements)
    return g.nodeError(node, "result too large to evaluate");
  out.values.resize(n);
  std::vector<double> operands(args.size());
  std::vector<int64_t> index(rank);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t rem = flat;
    for (size_t i = rank; i-- > 0;) {
      index[i] = rem % out.shape[i];
      rem /= out.shape[i];
    }
    for (size_t k = 0; k < args.size(); ++k) {
      const EvalTensor &a = *args[k];
      int64_t off = 0;
      size_t lead = rank - a.shape.size();
      for (size_t i = 0; i < a.shape.size(); ++i)
        off = off * a.shape[i] + (a.shape[i] == 1 ? 0 : index[lead + i]);
      operands[k] = a.values[off];
    }
    out.values[flat] = convert(fn(operands), resultType);
  }
  return out;
}

Expected<EvalTensor> Evaluator::transpose(const onnx::NodeProto &node,
                                          ArrayRef<EvalTensor> args) {
  if (args.empty() || args[0].shapeOnly)
    return g.nodeError(node, "needs known data to be evaluated");
  const EvalTensor &a = args[0];
  int64_t rank = a.shape.size();
  std::vector<int64_t> perm;
  if (const onnx::AttributeProto *p = OnnxGraph::attr(node, "perm"))
    perm.assign(p->ints().begin(), p->ints().end());
  else
    for (int64_t i = rank; i-- > 0;)
      perm.push_back(i);
  std::vector<bool> used(rank, false);
  if (int64_t(perm.size()) != rank)
    return g.nodeError(node, "has an invalid permutation");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || used[p])
      return g.nodeError(node, "has an invalid permutation");
    used[p] = true;
  }
  EvalTensor out;
  out.dataType = a.dataType;
  for (int64_t p : perm)
    out.shape.push_back(a.shape[p]);
  std::vector<int64_t> stride(rank, 1), index(rank);
  for (int64_t i = rank - 1; i > 0; --i)
    stride[i - 1] = stride[i] * a.shape[i];
  int64_t n = out.size();
  out.values.reserve(n);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t rem = flat, off = 0;
    for (int64_t i = rank; i-- > 0;) {
      index[i] = rem % out.shape[i];
      rem /= out.shape[i];
    }
    for (int64_t i = 0; i < rank; ++i)
      off += index[i] * stride[perm[i]];
    out.values.push_back(a.values[off]);
  }
  return out;
}

Expected<EvalTensor> Evaluator::matMul(const onnx::NodeProto &node,
                                       ArrayRef<EvalTensor> args) {
  // Batched [..., M, K] x [..., K, N] with broadcast batch dimensions; a
  // 1-D operand is a row (left) or a column (right).
  if (args.size() < 2 || args[0].shapeOnly || args[1].shapeOnly)
    return g.nodeError(node, "needs known operands to be evaluated");
  EvalTensor a = args[0], b = args[1];
  bool rowVec = a.shape.size() == 1, colVec = b.shape.size() == 1;
  if (rowVec)
    a.shape.insert(a.shape.begin(), 1);
  if (colVec)
    b.shape.push_back(1);
  if (a.shape.size() < 2 || b.shape.size() < 2)
    return g.nodeError(node, "multiplies scalars");
  int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back();
  int64_t n = b.shape.back();
  if (b.shape[b.shape.size() - 2] != k)
    return g.nodeError(node, "has mismatched inner dimensions");
  // Broadcast the batch dimensions through an index tensor per operand.
  EvalTensor ia, ib;
  ia.shape.assign(a.shape.begin(), a.shape.end() - 2);
  ib.shape.assign(b.shape.begin(), b.shape.end() - 2);
  ia.values.resize(ia.size());
  ib.values.resize(ib.size());
  for (size_t i = 0; i < ia.values.size(); ++i)
    ia.values[i] = double(i);
  for (size_t i = 0; i < ib.values.size(); ++i)
    ib.values[i] = double(i);
  Expected<EvalTensor> pairs =
      broadcast(node, {&ia, &ib}, DT_DOUBLE, [](ArrayRef<double> v) {
        return v[0] * double(1 << 26) + v[1];
      });
  if (!pairs)
    return pairs.takeError();
  EvalTensor out;
  out.dataType = a.dataType;
  out.shape = pairs->shape;
  if (!rowVec)
    out.shape.push_back(m);
  if (!colVec)
    out.shape.push_back(n);
  if (out.size() > kMaxEvalElements ||
      out.size() > kMaxEvalElements / std::max<int64_t>(k, 1))
    return g.nodeError(node, "result too large to evaluate");
  for (double pair : pairs->values) {
    int64_t pa = int64_t(pair) >> 26, pb = int64_t(pair) & ((1 << 26) - 1);
    const double *x = a.values.data() + pa * m * k;
    const double *y = b.values.data() + pb * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t t = 0; t < k; ++t)
          sum += x[i * k + t] * y[t * n + j];
        out.values.push_back(convert(sum, out.dataType));
      }
  }
  return out;
}

/// Normalizes axis \p a of a rank-\p rank tensor.
bool normAxis(int64_t &a, int64_t rank) {
  if (a < 0)
    a += rank;
  return a >= 0 && a < rank;
}

/// \p v as an index, saturating at the int64 range (ends of INT64_MAX).
int64_t toIndex(double v) {
  if (v >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9.2e18)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

Expected<EvalTensor> Evaluator::slice(const onnx::NodeProto &node,
                                      ArrayRef<EvalTensor> args) {
  // Slice (10+): data, starts, ends[, axes[, steps]].
  auto given = [&](size_t i) { return i < args.size() && !args[i].shapeOnly; };
  if (!given(0) || !given(1) || !given(2))
    return g.nodeError(node, "needs known data, starts and ends to be "
                             "evaluated");
  const EvalTensor &data = args[0];
  int64_t rank = data.shape.size();
  size_t n = args[1].values.size();
  if (args[2].values.size() != n || (given(3) && args[3].values.size() != n) ||
      (given(4) && args[4].values.size() != n))
    return g.nodeError(node, "starts, ends, axes and steps differ in length");
  std::vector<int64_t> begin(rank, 0), step(rank, 1), shape = data.shape;
  for (size_t k = 0; k < n; ++k) {
    int64_t axis = given(3) ? toIndex(args[3].values[k]) : int64_t(k);
    if (!normAxis(axis, rank))
      return g.nodeError(node, "has an invalid axis");
    int64_t dim = data.shape[axis];
    int64_t st = given(4) ? toIndex(args[4].values[k]) : 1;
    if (st == 0)
      return g.nodeError(node, "has a zero step");
    int64_t s = toIndex(args[1].values[k]), e = toIndex(args[2].values[k]);
    if (s < 0)
      s = s < -dim ? 0 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    int64_t count;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = s > e ? (s - e - st - 1) / -st : 0;
    }
    begin[axis] = s;
    step[axis] = st;
    shape[axis] = count;
  }
  EvalTensor out;
  out.dataType = data.dataType;
  out.shape = shape;
  int64_t total = out.size();
  out.values.reserve(total);
  std::vector<int64_t> index(rank);
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rem = flat, off = 0;
    for (int64_t i = rank; i-- > 0;) {
      index[i] = rem % shape[i];
      rem /= shape[i];
    }
    for (int64_t i = 0; i < rank; ++i)
      off = off * data.shape[i] + begin[i] + index[i] * step[i];
    out.values.push_back(data.values[off]);
  }
  return out;
}

Expected<EvalTensor> Evaluator::evalNode(const onnx::NodeProto &node,
                                         unsigned depth) {
  StringRef op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return g.nodeError(node, "is not an op the mask interpreter knows");
  std::vector<EvalTensor> args;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      args.emplace_back();
      args.back().shapeOnly = true;
      continue;
    }
    Expected<EvalTensor> a = eval(in, depth + 1);
    if (!a)
      return a.takeError();
    args.push_back(std::move(*a));
  }
  auto need = [&](size_t n) -> Error {
    if (args.size() < n)
      return g.nodeError(node, "has " + Twine(args.size()) +
                                   " inputs, expected " + Twine(n));
    for (size_t i = 0; i < n; ++i)
      if (args[i].shapeOnly && op != "Shape")
        return g.nodeError(node, "reads the values of a tensor whose values "
                                 "are unknown while evaluating a mask");
    return Error::success();
  };
  auto axesOf = [&](std::vector<int64_t> &axes) -> Error {
    if (args.size() > 1 && !args[1].shapeOnly) {
      for (double v : args[1].values)
        axes.push_back(int64_t(v));
    } else if (const onnx::AttributeProto *a = OnnxGraph::attr(node, "axes")) {
      axes.assign(a->ints().begin(), a->ints().end());
    }
    return Error::success();
  };

  using Fn = function_ref<double(ArrayRef<double>)>;
  auto binary = [&](int32_t type, Fn fn) -> Expected<EvalTensor> {
    if (Error err = need(2))
      return std::move(err);
    return broadcast(node, {&args[0], &args[1]}, type, fn);
  };
  auto unary = [&](int32_t type, Fn fn) -> Expected<EvalTensor> {
    if (Error err = need(1))
      return std::move(err);
    return broadcast(node, {&args[0]}, type, fn);
  };
  auto t0 = [&] { return args.empty() ? DT_INT64 : args[0].dataType; };

  if (op == "Identity") {
    if (Error err = need(1))
      return std::move(err);
    return args[0];
  }
  if (op == "Add")
    return binary(t0(), [](ArrayRef<double> v) { return v[0] + v[1]; });
  if (op == "Sub")
    return binary(t0(), [](ArrayRef<double> v) { return v[0] - v[1]; });
  if (op == "Mul")
    return binary(t0(), [](ArrayRef<double> v) { return v[0] * v[1]; });
  if (op == "Div") {
    bool isInt = !isFloatType(t0());
    return binary(t0(), [isInt](ArrayRef<double> v) {
      if (isInt)
        return v[1] == 0 ? 0.0 : std::trunc(v[0] / v[1]);
      return v[0] / v[1];
    });
  }
  if (op == "Min")
    return binary(t0(),
                  [](ArrayRef<double> v) { return std::min(v[0], v[1]); });
  if (op == "Max")
    return binary(t0(),
                  [](ArrayRef<double> v) { return std::max(v[0], v[1]); });
  if (op == "Less")
    return binary(DT_BOOL, [](ArrayRef<double> v) { return v[0] < v[1]; });
  if (op == "LessOrEqual")
    return binary(DT_BOOL, [](ArrayRef<double> v) { return v[0] <= v[1]; });
  if (op == "Greater")
    return binary(DT_BOOL, [](ArrayRef<double> v) { return v[0] > v[1]; });
  if (op == "GreaterOrEqual")
    return binary(DT_BOOL, [](ArrayRef<double> v) { return v[0] >= v[1]; });
  if (op == "Equal")
    return binary(DT_BOOL, [](ArrayRef<double> v) { return v[0] == v[1]; });
  if (op == "And")
    return binary(DT_BOOL,
                  [](ArrayRef<double> v) { return double(v[0] && v[1]); });
  if (op == "Or")
    return binary(DT_BOOL,
                  [](ArrayRef<double> v) { return double(v[0] || v[1]); });
  if (op == "Xor")
    return binary(DT_BOOL, [](ArrayRef<double> v) {
      return double((v[0] != 0) != (v[1] != 0));
    });
  if (op == "Not")
    return unary(DT_BOOL, [](ArrayRef<double> v) { return double(!v[0]); });
  if (op == "Neg")
    return unary(t0(), [](ArrayRef<double> v) { return -v[0]; });
  if (op == "Pow")
    return binary(t0(),
                  [](ArrayRef<double> v) { return std::pow(v[0], v[1]); });
  if (op == "Sqrt")
    return unary(t0(), [](ArrayRef<double> v) { return std::sqrt(v[0]); });
  if (op == "Reciprocal")
    return unary(t0(), [](ArrayRef<double> v) { return 1.0 / v[0]; });
  if (op == "Cos")
    return unary(t0(), [](ArrayRef<double> v) { return std::cos(v[0]); });
  if (op == "Sin")
    return unary(t0(), [](ArrayRef<double> v) { return std::sin(v[0]); });
  if (op == "Slice")
    return slice(node, args);
  if (op == "Transpose")
    return transpose(node, args);
  if (op == "MatMul")
    return matMul(node, args);
  if (op == "Cast") {
    int32_t to = int32_t(OnnxGraph::attrInt(node, "to", DT_FLOAT));
    return unary(to, [](ArrayRef<double> v) { return v[0]; });
  }
  if (op == "Where") {
    if (Error err = need(3))
      return std::move(err);
    return broadcast(node, {&args[0], &args[1], &args[2]}, args[1].dataType,
                     [](ArrayRef<double> v) { return v[0] ? v[1] : v[2]; });
  }
  if (op == "Shape") {
    if (Error err = need(1))
      return std::move(err);
    int64_t rank = args[0].shape.size();
    int64_t start = OnnxGraph::attrInt(node, "start", 0);
    int64_t end = OnnxGraph::attrInt(node, "end", rank);
    if (start < 0)
      start += rank;
    if (end < 0)
      end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    EvalTensor out;
    out.shape = {end - start};
    for (int64_t i = start; i < end; ++i)
      out.values.push_back(double(args[0].shape[i]));
    return out;
  }
  if (op == "Constant") {
    const onnx::AttributeProto *a = nullptr;
    EvalTensor out;
    if ((a = OnnxGraph::attr(node, "value_int"))) {
      out.values = {double(a->i())};
    } else if ((a = OnnxGraph::attr(node, "value_ints"))) {
      out.shape = {int64_t(a->ints_size())};
      out.values.assign(a->ints().begin(), a->ints().end());
    } else if ((a = OnnxGraph::attr(node, "value_float"))) {
      out.dataType = DT_FLOAT;
      out.values = {double(a->f())};
    } else if ((a = OnnxGraph::attr(node, "value_floats"))) {
      out.dataType = DT_FLOAT;
      out.shape = {int64_t(a->floats_size())};
      out.values.assign(a->floats().begin(), a->floats().end());
    } else {
      // A tensor value is indexed as a constant and never reaches here.
      return g.nodeError(node, "has no value the interpreter can read");
    }
    return out;
  }
  if (op == "Range") {
    if (Error err = need(3))
      return std::move(err);
    if (args[0].size() != 1 || args[1].size() != 1 || args[2].size() != 1)
      return g.nodeError(node, "start, limit and delta must be scalars");
    double start = args[0].values[0], limit = args[1].values[0],
           delta = args[2].values[0];
    if (delta == 0)
      return g.nodeError(node, "delta is zero");
    double count = std::max(0.0, std::ceil((limit - start) / delta));
    if (count > kMaxEvalElements)
      return g.nodeError(node, "result too large to evaluate");
    EvalTensor out;
    out.dataType = args[0].dataType;
    out.shape = {int64_t(count)};
    for (int64_t i = 0; i < int64_t(count); ++i)
      out.values.push_back(start + i * delta);
    return out;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    if (Error err = need(1))
      return std::move(err);
    std::vector<int64_t> axes;
    if (Error err = axesOf(axes))
      return std::move(err);
    EvalTensor out = args[0];
    if (op == "Unsqueeze") {
      int64_t rank = out.shape.size() + axes.size();
      std::vector<bool> inserted(rank, false);
      for (int64_t a : axes) {
        if (!normAxis(a, rank) || inserted[a])
          return g.nodeError(node, "has an invalid axis");
        inserted[a] = true;
      }
      std::vector<int64_t> shape;
      size_t k = 0;
      for (int64_t i = 0; i < rank; ++i)
        shape.push_back(inserted[i] ? 1 : out.shape[k++]);
      out.shape = shape;
    } else {
      int64_t rank = out.shape.size();
      std::vector<bool> removed(rank, axes.empty());
      for (int64_t a : axes) {
        if (!normAxis(a, rank) || out.shape[a] != 1)
          return g.nodeError(node, "has an invalid axis");
        removed[a] = true;
      }
      std::vector<int64_t> shape;
      for (int64_t i = 0; i < rank; ++i)
        if (!(removed[i] && out.shape[i] == 1))
          shape.push_back(out.shape[i]);
      out.shape = shape;
    }
    return out;
  }
  if (op == "Reshape") {
    if (Error err = need(2))
      return std::move(err);
    EvalTensor out = args[0];
    std::vector<int64_t> shape;
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < args[1].values.size(); ++i) {
      int64_t d = int64_t(args[1].values[i]);
      if (d == 0 && i < args[0].shape.size())
        d = args[0].shape[i];
      if (d == -1) {
        if (infer >= 0)
          return g.nodeError(node, "has two inferred dimensions");
        infer = i;
      } else if (d < 0) {
        return g.nodeError(node, "has an invalid dimension");
      } else {
        known *= d;
      }
      shape.push_back(d);
    }
    if (infer >= 0 && known > 0)
      shape[infer] = args[0].size() / known;
    EvalTensor tmp;
    tmp.shape = shape;
    if (tmp.size() != args[0].size())
      return g.nodeError(node, "changes the element count");
    out.shape = shape;
    return out;
  }
  if (op == "Expand") {
    if (Error err = need(2))
      return std::move(err);
    EvalTensor shape;
    for (double d : args[1].values)
      shape.shape.push_back(int64_t(d));
    shape.values.assign(shape.size() > 0 ? 1 : 0, 0.0);
    if (shape.size() > kMaxEvalElements)
      return g.nodeError(node, "result too large to evaluate");
    shape.values.assign(shape.size(), 0.0);
    return broadcast(node, {&args[0], &shape}, args[0].dataType,
                     [](ArrayRef<double> v) { return v[0]; });
  }
  if (op == "ConstantOfShape") {
    if (Error err = need(1))
      return std::move(err);
    EvalTensor out;
    for (double d : args[0].values)
      out.shape.push_back(int64_t(d));
    if (out.size() > kMaxEvalElements)
      return g.nodeError(node, "result too large to evaluate");
    double fill = 0;
    out.dataType = DT_FLOAT;
    if (const onnx::AttributeProto *a = OnnxGraph::attr(node, "value")) {
      Expected<EvalTensor> v = [&]() -> Expected<EvalTensor> {
        EvalTensor t;
        t.dataType = a->t().data_type();
        if (isFloatType(t.dataType)) {
          Expected<std::vector<float>> f = g.floats(a->t());
          if (!f)
            return f.takeError();
          t.values.assign(f->begin(), f->end());
        } else {
          Expected<std::vector<int64_t>> i = g.ints(a->t());
          if (!i)
            return i.takeError();
          t.values.assign(i->begin(), i->end());
        }
        return t;
      }();
      if (!v)
        return v.takeError();
      if (v->values.size() != 1)
        return g.nodeError(node, "value is not a single element");
      fill = v->values[0];
      out.dataType = v->dataType;
    }
    out.values.assign(out.size(), fill);
    return out;
  }
  if (op == "Concat") {
    if (Error err = need(args.size()))
      return std::move(err);
    if (args.empty())
      return g.nodeError(node, "has no inputs");
    int64_t rank = args[0].shape.size();
    int64_t axis = OnnxGraph::attrInt(node, "axis", 0);
    if (!normAxis(axis, rank))
      return g.nodeError(node, "has an invalid axis");
    EvalTensor out;
    out.dataType = args[0].dataType;
    out.shape = args[0].shape;
    out.shape[axis] = 0;
    for (const EvalTensor &a : args) {
      if (int64_t(a.shape.size()) != rank)
        return g.nodeError(node, "concatenates tensors of different ranks");
      for (int64_t i = 0; i < rank; ++i)
        if (i != axis && a.shape[i] != args[0].shape[i])
          return g.nodeError(node, "concatenates mismatched shapes");
      out.shape[axis] += a.shape[axis];
    }
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= out.shape[i];
    for (int64_t i = axis + 1; i < rank; ++i)
      inner *= out.shape[i];
    for (int64_t o = 0; o < outer; ++o)
      for (const EvalTensor &a : args) {
        int64_t chunk = a.shape[axis] * inner;
        out.values.insert(out.values.end(), a.values.begin() + o * chunk,
                          a.values.begin() + (o + 1) * chunk);
      }
    return out;
  }
  if (op == "Gather") {
    if (Error err = need(2))
      return std::move(err);
    int64_t axis = OnnxGraph::attrInt(node, "axis", 0);
    if (args[0].shape.size() != 1 || axis != 0)
      return g.nodeError(node, "only gathers from 1-D tensors are evaluated");
    EvalTensor out = args[1];
    out.dataType = args[0].dataType;
    int64_t n = args[0].shape[0];
    for (double &v : out.values) {
      int64_t i = int64_t(v) < 0 ? int64_t(v) + n : int64_t(v);
      if (i < 0 || i >= n)
        return g.nodeError(node, "index out of range");
      v = args[0].values[i];
    }
    return out;
  }
  if (op == "ReduceSum") {
    if (Error err = need(1))
      return std::move(err);
    EvalTensor out;
    out.dataType = args[0].dataType;
    double sum = 0;
    for (double v : args[0].values)
      sum += v;
    std::vector<int64_t> axes;
    if (Error err = axesOf(axes))
      return std::move(err);
    bool keep = OnnxGraph::attrInt(node, "keepdims", 1);
    int64_t rank = args[0].shape.size();
    // Only reductions that leave at most one non-unit dimension summed whole.
    for (int64_t i = 0; i < rank; ++i) {
      bool reduced = axes.empty();
      for (int64_t a : axes)
        reduced |= (a < 0 ? a + rank : a) == i;
      if (!reduced && args[0].shape[i] != 1)
        return g.nodeError(node, "only whole-tensor sums are evaluated");
      if (!reduced || keep)
        out.shape.push_back(reduced ? 1 : args[0].shape[i]);
    }
    out.values = {sum};
    return out;
  }
  return g.nodeError(node, "is not an op the mask interpreter knows");
}
} // namespace

Expected<EvalTensor> evaluate(const OnnxGraph &graph, StringRef value,
                              const StringMap<EvalTensor> &inputs) {
  Evaluator e(graph, inputs);
  return e.eval(value);
}

} // namespace onnx_import
} // namespace llmc
