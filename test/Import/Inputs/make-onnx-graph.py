#!/usr/bin/env python3
"""Writes a small random Llama-style decoder as an ONNX graph of ONNX
Runtime contrib ops, and broken variants of it, for the ONNX reader tests.

    make-onnx-graph.py -o OUT.onnx [--external] [--corrupt KIND] [--seed N]

The graph: Gather embedding; per layer SimplifiedLayerNormalization (first)
or SkipSimplifiedLayerNormalization (which also adds the previous sublayer's
output), q/k/v MatMuls with {in, out} weights, com.microsoft
GroupQueryAttention with do_rotary (cos/sin caches, base 10000, halves),
output MatMul, SwiGLU as Sigmoid/Mul; a final SkipSimplified norm and an
untied classifier. Inputs input_ids, attention_mask and growing
past_key_values.N.key/value, as onnxruntime-genai exports them.
dim 64, 4 heads (of 16: ORT's rotary GQA needs multiples of 16), 2 KV
heads, hidden 96, vocab 64, 2 layers, 64 positions.

--nbits makes every layer projection a com.microsoft MatMulNBits (4-bit,
block 32, asymmetric min/max with packed zero points, as onnxruntime's
MatMul4BitsQuantizer writes them).
--local-window N sets GroupQueryAttention's local_window_size.
--external stores every initializer of 64+ elements in OUT's directory as
weights.bin (ONNX external data: location, offset, length).
--corrupt: unsupported-op (Softplus instead of SiLU), missing-initializer
(the layer-0 query weight is dropped), missing-external (external data whose
file is deleted), shape-mismatch (layer-0 key weight one column short),
truncated (the file cut in half), garbage (not a protobuf).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DIM, HEADS, KV_HEADS, HIDDEN, VOCAB, LAYERS, MAXPOS = 64, 4, 2, 96, 64, 2, 64
HEAD = DIM // HEADS


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--external", action="store_true")
    p.add_argument("--nbits", action="store_true")
    p.add_argument("--local-window", type=int, default=-1,
                   help="GroupQueryAttention local_window_size")
    p.add_argument("--corrupt", choices=["unsupported-op",
                                         "missing-initializer",
                                         "missing-external", "shape-mismatch",
                                         "truncated", "garbage"])
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    inits, nodes = [], []

    def w(name, *shape, scale=0.2):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def quantize(name, wt, block=32):
        k_dim, n_dim = wt.shape
        blocks = k_dim // block
        m = wt.T.reshape(n_dim, blocks, block).astype(np.float64)
        lo = np.minimum(m.min(axis=2), 0.0)
        hi = np.maximum(m.max(axis=2), 0.0)
        scale = (hi - lo) / 15.0
        scale[scale == 0] = 1.0
        zp = np.clip(np.round(-lo / scale), 0, 15)
        q = np.clip(np.round(m / scale[..., None] + zp[..., None]), 0, 15)
        q = q.astype(np.uint8)
        packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        zpu = zp.astype(np.uint8)
        zpp = np.zeros((n_dim, (blocks + 1) // 2), dtype=np.uint8)
        for b in range(blocks):
            zpp[:, b // 2] |= zpu[:, b] << (4 * (b % 2))
        const(name + ".q", packed)
        const(name + ".s", scale.astype(np.float32).reshape(-1))
        const(name + ".z", zpp.reshape(-1))
        return [name + ".q", name + ".s", name + ".z"], k_dim, n_dim

    def linear(x, name, k_dim, n_dim, out):
        wname = w(name, k_dim, n_dim)
        if not a.nbits:
            return node("MatMul", [x, wname], [out], out)
        wt = numpy_helper.to_array(inits.pop())
        ins, k_dim, n_dim = quantize(name, wt)
        return node("MatMulNBits", [x] + ins, [out], out,
                    domain="com.microsoft", K=k_dim, N=n_dim, bits=4,
                    block_size=32)

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, outs, name, domain="", **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=name, domain=domain,
                                      **attrs))
        return outs[0]

    kv = KV_HEADS * HEAD
    # Attention lengths from the mask, as GroupQueryAttention wants them.
    node("Cast", ["attention_mask"], ["mask_i32"], "mask_cast", to=6)
    node("ReduceSum", ["mask_i32", const("axes1", np.array([1], np.int64))],
         ["seqlen_p1"], "mask_sum", keepdims=0)
    node("Sub", ["seqlen_p1", const("one_i32", np.array([1], np.int32))],
         ["seqlens_k"], "seqlens")
    node("Shape", ["attention_mask"], ["mask_shape"], "mask_shape")
    node("Gather", ["mask_shape", const("idx1", np.array(1, np.int64))],
         ["total_i64"], "total_gather", axis=0)
    node("Cast", ["total_i64"], ["total_sl"], "total_cast", to=6)
    inv = 10000.0 ** (-np.arange(0, HEAD, 2) / HEAD)
    ang = np.arange(MAXPOS)[:, None] * inv[None, :]
    const("cos_cache", np.cos(ang).astype(np.float32))
    const("sin_cache", np.sin(ang).astype(np.float32))

    x = node("Gather", [w("embed", VOCAB, DIM, scale=1.0), "input_ids"],
             ["emb"], "embed")
    residual, delta = x, None
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                            ["batch", "seq"]),
              helper.make_tensor_value_info("attention_mask",
                                            TensorProto.INT64,
                                            ["batch", "total"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                             ["batch", "seq", VOCAB])]

    def norm(weight, name):
        nonlocal residual, delta
        ones = const(weight, (1 + 0.1 * rng.standard_normal(DIM))
                     .astype(np.float32))
        if delta is None:
            return node("SimplifiedLayerNormalization", [residual, ones],
                        [name], name, epsilon=1e-5, axis=-1)
        node("SkipSimplifiedLayerNormalization", [residual, delta, ones],
             [name, "", "", name + ".sum"], name, domain="com.microsoft",
             epsilon=1e-5)
        residual, delta = name + ".sum", None
        return name

    for l in range(LAYERS):
        n = norm(f"l{l}.attn_norm", f"l{l}.n1")
        q = linear(n, f"l{l}.q.w", DIM, DIM, f"l{l}.q")
        kw = (f"l{l}.k.w", DIM, kv - 1) if (a.corrupt == "shape-mismatch"
                                            and l == 0) else (f"l{l}.k.w",
                                                              DIM, kv)
        k = node("MatMul", [n, w(*kw)], [f"l{l}.k"], f"l{l}.k")
        v = linear(n, f"l{l}.v.w", DIM, kv, f"l{l}.v")
        past = [f"past_key_values.{l}.key", f"past_key_values.{l}.value"]
        present = [f"present.{l}.key", f"present.{l}.value"]
        for name in past:
            inputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, ["batch", KV_HEADS, "past", HEAD]))
        for name in present:
            outputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, ["batch", KV_HEADS, "total", HEAD]))
        attn = node("GroupQueryAttention",
                    [q, k, v, past[0], past[1], "seqlens_k", "total_sl",
                     "cos_cache", "sin_cache"],
                    [f"l{l}.attn"] + present, f"l{l}.gqa",
                    domain="com.microsoft", num_heads=HEADS,
                    kv_num_heads=KV_HEADS, do_rotary=1, rotary_interleaved=0,
                    local_window_size=a.local_window)
        delta = linear(attn, f"l{l}.o.w", DIM, DIM, f"l{l}.o")
        n = norm(f"l{l}.ffn_norm", f"l{l}.n2")
        g = linear(n, f"l{l}.gate.w", DIM, HIDDEN, f"l{l}.g")
        u = linear(n, f"l{l}.up.w", DIM, HIDDEN, f"l{l}.u")
        if a.corrupt == "unsupported-op":
            act = node("Softplus", [g], [f"l{l}.act"], f"l{l}.act")
        else:
            s = node("Sigmoid", [g], [f"l{l}.sig"], f"l{l}.sig")
            act = node("Mul", [g, s], [f"l{l}.act"], f"l{l}.act")
        m = node("Mul", [act, u], [f"l{l}.m"], f"l{l}.gated")
        delta = linear(m, f"l{l}.down.w", HIDDEN, DIM, f"l{l}.d")
    n = norm("final_norm", "final")
    node("MatMul", [n, w("lm_head", DIM, VOCAB)], ["logits"], "lm_head")

    if a.corrupt == "missing-initializer":
        inits = [t for t in inits if t.name != "l0.q.w"]
    graph = helper.make_graph(nodes, "tiny-llama", inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="llmc-test", opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    out_dir = os.path.dirname(os.path.abspath(a.output))
    if a.corrupt == "garbage":
        with open(a.output, "wb") as f:
            f.write(b"\x0b\xff\xff\xff not a protobuf " * 8)
        return
    if a.external or a.corrupt == "missing-external":
        onnx.save_model(model, a.output, save_as_external_data=True,
                        all_tensors_to_one_file=True, location="weights.bin",
                        size_threshold=256)
        if a.corrupt == "missing-external":
            os.remove(os.path.join(out_dir, "weights.bin"))
        return
    data = model.SerializeToString()
    if a.corrupt == "truncated":
        data = data[:len(data) // 2]
    with open(a.output, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
