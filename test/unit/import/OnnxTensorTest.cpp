//===- OnnxTensorTest.cpp - ONNX tensor decoding and mask evaluation ------===//
//
// The storage forms of ONNX tensors the lit tests do not reach (python's
// onnx writes raw_data): typed fields, float16 bits in int32_data, sign
// extension of narrow integers, count mismatches; IEEE half conversion; and
// the mask interpreter on a causal sliding-window mask.
//
//===----------------------------------------------------------------------===//

#include "OnnxEvaluate.h"
#include "OnnxGraph.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace llmc::onnx_import;

namespace {

/// A parsed graph holding \p model's serialization.
std::unique_ptr<OnnxGraph> parse(const onnx::ModelProto &model) {
  std::string bytes = model.SerializeAsString();
  auto g = OnnxGraph::parse("t.onnx", bytes);
  if (!g) {
    ADD_FAILURE() << llvm::toString(g.takeError());
    return nullptr;
  }
  return std::move(*g);
}

/// A model with one Identity node (graphs need a node) and the given
/// initializers.
onnx::ModelProto modelWith(std::vector<onnx::TensorProto> inits) {
  onnx::ModelProto m;
  onnx::GraphProto *g = m.mutable_graph();
  for (onnx::TensorProto &t : inits)
    *g->add_initializer() = t;
  onnx::NodeProto *n = g->add_node();
  n->set_op_type("Identity");
  n->add_input(inits.empty() ? "" : inits[0].name());
  n->add_output("y");
  return m;
}

TEST(OnnxTensor, HalfToFloat) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x0200), std::ldexp(1.0f, -15));
  EXPECT_TRUE(std::isinf(halfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
  EXPECT_EQ(std::signbit(halfToFloat(0x8000)), true);
}

TEST(OnnxTensor, TypedFields) {
  onnx::TensorProto f;
  f.set_name("f");
  f.set_data_type(DT_FLOAT);
  f.add_dims(3);
  for (float v : {1.5f, -2.0f, 0.25f})
    f.add_float_data(v);
  onnx::TensorProto h; // float16 bits in int32_data
  h.set_name("h");
  h.set_data_type(DT_FLOAT16);
  h.add_dims(2);
  h.add_int32_data(0x3c00);
  h.add_int32_data(0xbc00);
  onnx::TensorProto i8; // narrow signed integers sign-extend
  i8.set_name("i8");
  i8.set_data_type(DT_INT8);
  i8.add_dims(2);
  i8.add_int32_data(-3);
  i8.add_int32_data(127);
  onnx::TensorProto i64;
  i64.set_name("i64");
  i64.set_data_type(DT_INT64);
  i64.add_dims(2);
  i64.add_int64_data(-5);
  i64.add_int64_data(int64_t(1) << 40);
  auto g = parse(modelWith({f, h, i8, i64}));
  ASSERT_TRUE(g);
  auto fv = g->floats(*g->constant("f"));
  ASSERT_TRUE(bool(fv));
  EXPECT_EQ(*fv, (std::vector<float>{1.5f, -2.0f, 0.25f}));
  auto hv = g->floats(*g->constant("h"));
  ASSERT_TRUE(bool(hv));
  EXPECT_EQ(*hv, (std::vector<float>{1.0f, -1.0f}));
  auto iv = g->ints(*g->constant("i8"));
  ASSERT_TRUE(bool(iv));
  EXPECT_EQ(*iv, (std::vector<int64_t>{-3, 127}));
  auto lv = g->ints(*g->constant("i64"));
  ASSERT_TRUE(bool(lv));
  EXPECT_EQ(*lv, (std::vector<int64_t>{-5, int64_t(1) << 40}));
  // Asking for the wrong kind is an error, not a reinterpretation.
  auto wrong = g->ints(*g->constant("f"));
  EXPECT_FALSE(bool(wrong));
  llvm::consumeError(wrong.takeError());
}

TEST(OnnxTensor, CountMismatchesAreErrors) {
  onnx::TensorProto few; // shape 4, two values
  few.set_name("few");
  few.set_data_type(DT_FLOAT);
  few.add_dims(4);
  few.add_float_data(1);
  few.add_float_data(2);
  onnx::TensorProto huge; // a shape no buffer should be sized from
  huge.set_name("huge");
  huge.set_data_type(DT_FLOAT);
  huge.add_dims(int64_t(1) << 38);
  onnx::TensorProto raw;
  raw.set_name("raw");
  raw.set_data_type(DT_FLOAT);
  raw.add_dims(2);
  raw.set_raw_data(std::string(7, '\0'));
  auto g = parse(modelWith({few, huge, raw}));
  ASSERT_TRUE(g);
  for (const char *name : {"few", "huge", "raw"}) {
    auto r = g->bytes(*g->constant(name));
    ASSERT_FALSE(bool(r)) << name;
    std::string msg = llvm::toString(r.takeError());
    EXPECT_NE(msg.find(std::string("tensor '") + name + "'"), std::string::npos)
        << msg;
  }
}

TEST(OnnxEvaluate, SlidingWindowMask) {
  // allowed[q][j] = j <= q && q - j < 3, from Range/Unsqueeze/Sub/And.
  onnx::ModelProto m;
  onnx::GraphProto *g = m.mutable_graph();
  auto node = [&](const char *op, std::vector<std::string> ins,
                  const char *out) {
    onnx::NodeProto *n = g->add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (auto &i : ins)
      n->add_input(i);
    n->add_output(out);
    return n;
  };
  auto scalar = [&](const char *name, int64_t v) {
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(DT_INT64);
    t->add_int64_data(v);
  };
  scalar("zero", 0);
  scalar("one", 1);
  scalar("len", 5);
  scalar("w", 3);
  onnx::TensorProto *axes = g->add_initializer();
  axes->set_name("ax1");
  axes->set_data_type(DT_INT64);
  axes->add_dims(1);
  axes->add_int64_data(1);
  node("Range", {"zero", "len", "one"}, "cols");
  node("Unsqueeze", {"cols", "ax1"}, "rows");
  node("GreaterOrEqual", {"rows", "cols"}, "causal");
  node("Sub", {"rows", "cols"}, "dist");
  node("Less", {"dist", "w"}, "near");
  node("And", {"causal", "near"}, "mask");
  auto graph = parse(m);
  ASSERT_TRUE(graph);
  llvm::StringMap<EvalTensor> inputs;
  auto r = evaluate(*graph, "mask", inputs);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->shape, (std::vector<int64_t>{5, 5}));
  for (int q = 0; q < 5; ++q)
    for (int j = 0; j < 5; ++j)
      EXPECT_EQ(r->values[q * 5 + j] != 0, j <= q && q - j < 3)
          << q << "," << j;
  // An op the interpreter does not know names the node.
  node("Softplus", {"dist"}, "odd");
  auto graph2 = parse(m);
  ASSERT_TRUE(graph2);
  auto bad = evaluate(*graph2, "odd", inputs);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError())
                .find("node 'odd' (Softplus, domain ai.onnx)"),
            std::string::npos);
}

} // namespace
