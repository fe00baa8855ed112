//===- MatMulNBits.cpp - com.microsoft MatMulNBits to llmc int4 -----------===//
//
// MatMulNBits(A, B, scales[, zero_points][, g_idx][, bias]) with bits = 4:
// B is [N, blocks, block_size / 2] uint8, element k of a block in byte k / 2
// (low nibble first); scales [N * blocks]; zero points packed two per byte
// per row ([N * ceil(blocks / 2)] uint8), or of the scales' type, or absent
// (8). w = scale * (q - zero).
//
// llmc's asymmetric int4 (`#llm.format<int4, group = G, asymmetric>`, see
// dialects/llm/IR/WeightData.h): per group an f32 scale s and f32 offset m,
// then per 32 elements 16 bytes, byte j holding element j (low nibble) and
// element j + 16 (high); w = s * q + m. So the quants are kept and
// m = -s * zero.
//
//===----------------------------------------------------------------------===//

#include "MatMulNBits.h"

#include <cstring>

using namespace llvm;

namespace llmc {
namespace onnx_import {

Expected<TensorRef> convertMatMulNBits(const OnnxGraph &g,
                                       const onnx::NodeProto &n,
                                       const std::string &name, int64_t out,
                                       int64_t inDim) {
  int64_t bits = OnnxGraph::attrInt(n, "bits", 4);
  int64_t k = OnnxGraph::attrInt(n, "K", 0);
  int64_t nOut = OnnxGraph::attrInt(n, "N", 0);
  int64_t block = OnnxGraph::attrInt(n, "block_size", 0);
  if (bits != 4)
    return g.nodeError(n, Twine(bits) +
                              "-bit MatMulNBits is not supported (4-bit "
                              "only)");
  if (k != inDim || nOut != out)
    return g.nodeError(n, "shape mismatch: " + name + " has K = " + Twine(k) +
                              ", N = " + Twine(nOut) + ", expected K = " +
                              Twine(inDim) + ", N = " + Twine(out));
  if (block < 32 || block % 32 || k % block)
    return g.nodeError(n, "block_size " + Twine(block) +
                              " must be a multiple of 32 dividing K = " +
                              Twine(k) + " (llmc's int4 groups)");
  if (n.input_size() > 4 && !n.input(4).empty())
    return g.nodeError(n, "g_idx (act-order) is not supported");
  int64_t blocks = k / block;
  auto constant = [&](int i,
                      const char *what) -> Expected<const onnx::TensorProto *> {
    if (n.input_size() <= i || n.input(i).empty())
      return g.nodeError(n, Twine("has no ") + what + " input");
    if (const onnx::TensorProto *t = g.constant(n.input(i)))
      return t;
    return g.nodeError(n, Twine(what) + " '" + n.input(i) +
                              "' is not an initializer (missing "
                              "initializer?)");
  };
  Expected<const onnx::TensorProto *> bq = constant(1, "B");
  if (!bq)
    return bq.takeError();
  std::vector<int64_t> dims((*bq)->dims().begin(), (*bq)->dims().end());
  if (dims != std::vector<int64_t>{out, blocks, block / 2} ||
      (*bq)->data_type() != DT_UINT8)
    return g.nodeError(n, "shape mismatch: " + name + " B '" + (*bq)->name() +
                              "' must be uint8 [" + Twine(out) + ", " +
                              Twine(blocks) + ", " + Twine(block / 2) + "]");
  Expected<std::vector<char>> q = g.bytes(**bq);
  if (!q)
    return q.takeError();
  Expected<const onnx::TensorProto *> sc = constant(2, "scales");
  if (!sc)
    return sc.takeError();
  Expected<std::vector<float>> scales = g.floats(**sc);
  if (!scales)
    return scales.takeError();
  if (int64_t(scales->size()) != out * blocks)
    return g.nodeError(n, "shape mismatch: scales hold " +
                              Twine(scales->size()) + " values, expected " +
                              Twine(out * blocks));
  std::vector<float> zeros(out * blocks, 8.0f);
  if (n.input_size() > 3 && !n.input(3).empty()) {
    Expected<const onnx::TensorProto *> zt = constant(3, "zero_points");
    if (!zt)
      return zt.takeError();
    if ((*zt)->data_type() == DT_UINT8) {
      Expected<std::vector<char>> z = g.bytes(**zt);
      if (!z)
        return z.takeError();
      int64_t perRow = (blocks + 1) / 2;
      if (int64_t(z->size()) != out * perRow)
        return g.nodeError(n, "shape mismatch: packed zero points hold " +
                                  Twine(z->size()) + " bytes, expected " +
                                  Twine(out * perRow));
      for (int64_t r = 0; r < out; ++r)
        for (int64_t b = 0; b < blocks; ++b) {
          uint8_t byte = uint8_t((*z)[r * perRow + b / 2]);
          zeros[r * blocks + b] = float(b % 2 ? byte >> 4 : byte & 0xF);
        }
    } else {
      Expected<std::vector<float>> z = g.floats(**zt);
      if (!z)
        return z.takeError();
      if (z->size() != zeros.size())
        return g.nodeError(n, "shape mismatch: zero points hold " +
                                  Twine(z->size()) + " values, expected " +
                                  Twine(zeros.size()));
      zeros = *z;
    }
  }
  uint64_t groupBytes = 8 + block / 2;
  auto data = std::make_shared<std::vector<char>>(out * blocks * groupBytes);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      char *gp = data->data() + (r * blocks + b) * groupBytes;
      float s = (*scales)[r * blocks + b];
      float m = -s * zeros[r * blocks + b];
      std::memcpy(gp, &s, 4);
      std::memcpy(gp + 4, &m, 4);
      const char *src = q->data() + (r * blocks + b) * (block / 2);
      auto nibble = [&](int64_t e) {
        uint8_t byte = uint8_t(src[e / 2]);
        return uint8_t(e % 2 ? byte >> 4 : byte & 0xF);
      };
      for (int64_t c = 0; c < block / 32; ++c)
        for (int j = 0; j < 16; ++j)
          gp[8 + c * 16 + j] =
              char(nibble(c * 32 + j) | (nibble(c * 32 + j + 16) << 4));
    }
  TensorRef ref;
  ref.name = name;
  ref.shape = {out, inDim};
  ref.format = TensorFormat::Int4;
  ref.group = block;
  ref.asymmetric = true;
  ref.size = data->size();
  ref.data = std::move(data);
  return ref;
}

} // namespace onnx_import
} // namespace llmc
