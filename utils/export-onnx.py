#!/usr/bin/python3
"""Exports a llama2.c checkpoint as an ONNX decoder, the way real exports look.

Two graph styles, both with the Hugging Face conventions an exporter of a
`LlamaForCausalLM` produces (Q/K rows permuted so that RoPE rotates the two
halves of each head, as the Hugging Face conversion of a llama2.c or Meta
checkpoint does):

  decomposed   opset 17, plain ops as `torch.onnx.export` writes them: Gather
               embedding, MatMul linears, RMSNorm as Pow/ReduceMean/Add/Sqrt
               then Div or Reciprocal+Mul, SiLU as Sigmoid*Mul, rotary as
               Slice/Neg/Concat/Mul/Add with cos/sin computed from
               position_ids, heads by Reshape/Transpose, GQA by
               Unsqueeze/Expand/Reshape (or Tile with --gqa tile), scores
               scaled by Div or Mul by the reciprocal, a causal mask built
               from Range/Less/Where, Softmax.
  matmulnbits  the same graph with every linear whose input width is a
               multiple of --block-size replaced by com.microsoft MatMulNBits
               (4-bit, asymmetric min/max quantization with zero points, as
               onnxruntime's MatMul4BitsQuantizer does by default).

Inputs: input_ids int64 [1, S], position_ids int64 [1, S] and, unless
--no-kv-cache, past_key_values.N.key/value f32 [1, kv_heads, P, head_dim].
Outputs: logits f32 [1, S, vocab] and present.N.key/value [1, kv_heads, P+S,
head_dim].

Variations of the decomposed graph (each recognised by llmc's importer):
  --gqa expand|tile            KV heads repeated by Expand or Tile
  --no-kv-cache                no past/present inputs and outputs
  --division mixed|div|reciprocal
                               RMSNorm and the score scale by Div, by Mul
                               with a Reciprocal/reciprocal constant, or
                               alternating by layer (the default)
  --constants nodes|initializers
                               scalars and index lists as Constant nodes (as
                               torch writes them) or as initializers
  --rope halves|adjacent       rotate the two halves of each head (Hugging
                               Face, Q/K rows permuted) or adjacent pairs
                               (the llama2.c/Meta layout, rows unpermuted,
                               rotation as strided Slices and a stack)
  --rope-freqs mul|matmul      angles as position_ids * inv_freq by a
                               broadcast Mul, or as transformers computes
                               them: Expand(inv_freq) @ position_ids, then
                               Transpose
  --attention eager|sdpa       scores scaled after the MatMul (transformers'
                               eager attention) or q and kT each scaled by
                               sqrt(1/sqrt(Shape(q)[-1])) before it (torch's
                               scaled_dot_product_attention export)

Usage: export-onnx.py CHECKPOINT.bin OUT.onnx [--style decomposed|matmulnbits]
           [--gqa expand|tile] [--no-kv-cache] [--block-size 32]
           [--division mixed|div|reciprocal] [--constants nodes|initializers]
           [--rope halves|adjacent] [--rope-freqs mul|matmul]
           [--attention eager|sdpa]
Needs /usr/bin/python3 with numpy and onnx (Debian python3-onnx).
"""

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from llama2c_checkpoint import read_llama2c, to_halves


class Graph:
    def __init__(self, constant_nodes=True):
        self.nodes, self.inits, self.count = [], [], 0
        self.constant_nodes = constant_nodes

    def name(self, hint):
        self.count += 1
        return f"/{hint}_{self.count}"

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const(self, array, hint="Constant"):
        out = self.name(hint) + "_output_0"
        if not self.constant_nodes:
            return self.init(out, array)
        self.nodes.append(helper.make_node(
            "Constant", [], [out], name=self.name(hint),
            value=numpy_helper.from_array(np.asarray(array))))
        return out

    def op(self, op_type, inputs, hint=None, domain="", outputs=1, **attrs):
        node_name = self.name(hint or op_type)
        outs = [f"{node_name}_output_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs,
                                           name=node_name, domain=domain,
                                           **attrs))
        return outs[0] if outputs == 1 else outs


def quantize_nbits(wt, block):
    """MatMulNBits operands for y = x @ wt, wt [K, N]: per output column n and
    block of `block` rows an f32 scale and a 4-bit zero point; element k of a
    block in byte k // 2, low nibble first."""
    k_dim, n_dim = wt.shape
    blocks = k_dim // block
    w = wt.T.reshape(n_dim, blocks, block).astype(np.float64)
    lo = np.minimum(w.min(axis=2), 0.0)
    hi = np.maximum(w.max(axis=2), 0.0)
    scale = (hi - lo) / 15.0
    scale[scale == 0] = 1.0
    zp = np.clip(np.round(-lo / scale), 0, 15)
    q = np.clip(np.round(w / scale[..., None] + zp[..., None]), 0, 15)
    q = q.astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    zp = zp.astype(np.uint8)
    zp_cols = (blocks + 1) // 2
    zp_packed = np.zeros((n_dim, zp_cols), dtype=np.uint8)
    for b in range(blocks):
        zp_packed[:, b // 2] |= zp[:, b] << (4 * (b % 2))
    return (packed, scale.astype(np.float32).reshape(-1),
            zp_packed.reshape(-1))


def export(cfg, w, style, gqa, kv_cache, block, division="mixed",
           constant_nodes=True, rope="halves", rope_freqs="mul",
           attention="eager"):
    g = Graph(constant_nodes)
    dim, heads, kvh = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hd, layers = cfg["head_dim"], cfg["layers"]
    rep = heads // kvh
    eps = 1e-5

    def use_div(layer):
        return division == "div" or (division == "mixed" and layer % 2 == 1)

    def qk_rows(wmat, n):
        return to_halves(wmat, n) if rope == "halves" else wmat

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                            [1, "sequence_length"]),
              helper.make_tensor_value_info("position_ids",
                                            TensorProto.INT64,
                                            [1, "sequence_length"])]
    outputs = [helper.make_tensor_value_info(
        "logits", TensorProto.FLOAT, [1, "sequence_length", cfg["vocab"]])]

    def linear(x, wmat, name):
        wt = np.ascontiguousarray(wmat.T.astype(np.float32))  # [in, out]
        if style == "matmulnbits" and wt.shape[0] % block == 0:
            packed, scales, zps = quantize_nbits(wt, block)
            k_dim, n_dim = wt.shape
            b = g.init(name + ".qweight", packed)
            s = g.init(name + ".scales", scales)
            z = g.init(name + ".qzeros", zps)
            return g.op("MatMulNBits", [x, b, s, z], "MatMulNBits",
                        domain="com.microsoft", K=k_dim, N=n_dim, bits=4,
                        block_size=block)
        return g.op("MatMul", [x, g.init(name + ".weight", wt)], "MatMul")

    def rms_norm(x, weight, name, use_div):
        two = g.const(np.array(2.0, dtype=np.float32))
        sq = g.op("Pow", [x, two], "Pow")
        var = g.op("ReduceMean", [sq], "ReduceMean", axes=[-1], keepdims=1)
        e = g.const(np.array(eps, dtype=np.float32))
        root = g.op("Sqrt", [g.op("Add", [var, e], "Add")], "Sqrt")
        if use_div:
            normed = g.op("Div", [x, root], "Div")
        else:
            normed = g.op("Mul", [x, g.op("Reciprocal", [root])], "Mul")
        return g.op("Mul", [g.init(name, weight.astype(np.float32)), normed],
                    "Mul")

    # Rotary tables from position_ids: freqs = pos * inv_freq, emb = [f, f].
    inv_freq = 1.0 / (10000.0 ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    pos_f = g.op("Cast", ["position_ids"], "Cast", to=TensorProto.FLOAT)
    if rope_freqs == "mul":
        pos_e = g.op("Unsqueeze", [pos_f, g.const(np.array([2], np.int64))])
        freqs = g.op("Mul", [pos_e, g.init("rotary.inv_freq",
                                           inv_freq.astype(np.float32)
                                           .reshape(1, 1, -1))])
    else:
        # inv_freq[None, :, None].expand(batch, -1, 1) @
        # position_ids[:, None, :], transposed to [batch, S, hd/2].
        inv = g.op("Unsqueeze", [g.init("rotary.inv_freq",
                                        inv_freq.astype(np.float32)),
                                 g.const(np.array([0, 2], np.int64))])
        batch = g.op("Slice", [g.op("Shape", ["position_ids"]),
                               g.const(np.array([0], np.int64)),
                               g.const(np.array([1], np.int64))])
        inv = g.op("Expand", [inv, g.op("Concat", [
            batch, g.const(np.array([hd // 2, 1], np.int64))], axis=0)])
        pos_e = g.op("Unsqueeze", [pos_f, g.const(np.array([1], np.int64))])
        freqs = g.op("Transpose", [g.op("MatMul", [inv, pos_e])],
                     perm=[0, 2, 1])
    if rope == "halves":
        emb = g.op("Concat", [freqs, freqs], axis=-1)
    else:  # each angle twice in a row: [f0, f0, f1, f1, ...]
        last1 = g.const(np.array([-1], np.int64))
        pair = g.op("Concat", [g.op("Unsqueeze", [freqs, last1]),
                               g.op("Unsqueeze", [freqs, last1])], axis=-1)
        emb = g.op("Reshape", [pair, g.const(np.array([1, -1, hd],
                                                      np.int64))])
    axis1 = g.const(np.array([1], np.int64))
    cos = g.op("Unsqueeze", [g.op("Cos", [emb]), axis1])  # [1, 1, S, hd]
    sin = g.op("Unsqueeze", [g.op("Sin", [emb]), axis1])

    half = hd // 2
    starts0 = g.const(np.array([0], np.int64))
    starts1 = g.const(np.array([half], np.int64))
    ends1 = g.const(np.array([half], np.int64))
    ends2 = g.const(np.array([np.iinfo(np.int64).max], np.int64))
    last = g.const(np.array([-1], np.int64))

    def rotary(x):
        if rope == "halves":
            x1 = g.op("Slice", [x, starts0, ends1, last])
            x2 = g.op("Slice", [x, starts1, ends2, last])
            rot = g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)
        else:  # stack((-x[..., 1::2], x[..., ::2]), -1).flatten(-2)
            two = g.const(np.array([2], np.int64))
            x1 = g.op("Slice", [x, starts0, ends2, last, two])
            x2 = g.op("Slice", [x, g.const(np.array([1], np.int64)), ends2,
                                last, two])
            stacked = g.op("Concat", [
                g.op("Unsqueeze", [g.op("Neg", [x2]), last]),
                g.op("Unsqueeze", [x1, last])], axis=-1)
            rot = g.op("Reshape", [stacked, g.op("Shape", [x])])
        return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rot, sin])])

    def heads_of(x, n):
        shape = g.const(np.array([1, -1, n, hd], np.int64))
        return g.op("Transpose", [g.op("Reshape", [x, shape])],
                    perm=[0, 2, 1, 3])

    def repeat_kv(x):
        if rep == 1:
            return x
        ex = g.op("Unsqueeze", [x, g.const(np.array([2], np.int64))])
        if gqa == "tile":
            # [1, kvh, 1, T, hd] -> [1, kvh, rep, T, hd] -> [1, heads, T, hd]
            tiled = g.op("Tile", [ex, g.const(np.array([1, 1, rep, 1, 1],
                                                       np.int64))])
            return g.op("Reshape", [tiled, g.const(
                np.array([1, heads, -1, hd], np.int64))])
        shape = g.op("Concat", [g.const(np.array([1, kvh, rep], np.int64)),
                                g.op("Slice", [g.op("Shape", [x]),
                                               g.const(np.array([2],
                                                                np.int64)),
                                               g.const(np.array([4],
                                                                np.int64))])],
                     axis=0)
        expanded = g.op("Expand", [ex, shape])
        return g.op("Reshape", [expanded, g.const(
            np.array([1, heads, -1, hd], np.int64))])

    x = g.op("Gather", [g.init("model.embed_tokens.weight",
                               w["tok"].astype(np.float32)), "input_ids"],
             "Gather", axis=0)

    # Causal mask [1, 1, S, T]: key j is visible to query i iff j <= P + i.
    mask = None
    for l in range(layers):
        p = f"model.layers.{l}."
        h = rms_norm(x, w["att_norm"][l], p + "input_layernorm.weight",
                     use_div=use_div(l))
        q = heads_of(linear(h, qk_rows(w["wq"][l], heads),
                            p + "self_attn.q_proj"), heads)
        k = heads_of(linear(h, qk_rows(w["wk"][l], kvh),
                            p + "self_attn.k_proj"), kvh)
        v = heads_of(linear(h, w["wv"][l], p + "self_attn.v_proj"), kvh)
        q, k = rotary(q), rotary(k)
        if kv_cache:
            for kind in ("key", "value"):
                inputs.append(helper.make_tensor_value_info(
                    f"past_key_values.{l}.{kind}", TensorProto.FLOAT,
                    [1, kvh, "past_sequence_length", hd]))
                outputs.append(helper.make_tensor_value_info(
                    f"present.{l}.{kind}", TensorProto.FLOAT,
                    [1, kvh, "total_sequence_length", hd]))
            k = g.op("Concat", [f"past_key_values.{l}.key", k], axis=2)
            v = g.op("Concat", [f"past_key_values.{l}.value", v], axis=2)
            g.nodes.append(helper.make_node("Identity", [k],
                                            [f"present.{l}.key"]))
            g.nodes.append(helper.make_node("Identity", [v],
                                            [f"present.{l}.value"]))
        if mask is None:
            kshape = g.op("Shape", [k])
            total = g.op("Squeeze", [g.op("Slice", [
                kshape, g.const(np.array([2], np.int64)),
                g.const(np.array([3], np.int64))]),
                g.const(np.array([0], np.int64))])
            qshape = g.op("Shape", ["input_ids"])
            seq = g.op("Squeeze", [g.op("Slice", [
                qshape, g.const(np.array([1], np.int64)),
                g.const(np.array([2], np.int64))]),
                g.const(np.array([0], np.int64))])
            zero = g.const(np.array(0, np.int64))
            one = g.const(np.array(1, np.int64))
            past = g.op("Sub", [total, seq])
            cols = g.op("Range", [zero, total, one])
            rows = g.op("Range", [past, total, one])
            rows = g.op("Unsqueeze", [rows, g.const(np.array([1], np.int64))])
            future = g.op("Less", [rows, cols])  # [S, T]: key after query
            mask = g.op("Where", [future, g.const(
                np.array(np.finfo(np.float32).min, np.float32)),
                g.const(np.array(0.0, np.float32))])
            mask = g.op("Unsqueeze", [mask, g.const(np.array([0, 1],
                                                             np.int64))])
        kt = g.op("Transpose", [repeat_kv(k)], perm=[0, 1, 3, 2])
        if attention == "sdpa":
            # torch.onnx's scaled_dot_product_attention: scale =
            # 1/sqrt(Shape(q)[-1]); q and kT each times sqrt(scale).
            width = g.op("Cast", [g.op("Slice", [
                g.op("Shape", [q]), g.const(np.array([-1], np.int64)),
                g.const(np.array([np.iinfo(np.int64).max], np.int64))])],
                to=TensorProto.FLOAT)
            scale = g.op("Div", [g.const(np.array(1.0, np.float32)),
                                 g.op("Sqrt", [width])])
            root = g.op("Sqrt", [scale])
            scores = g.op("MatMul", [g.op("Mul", [q, root]),
                                     g.op("Mul", [kt, root])])
        else:
            scores = g.op("MatMul", [q, kt])
        if attention == "sdpa":
            pass
        elif not use_div(l):
            scores = g.op("Mul", [scores, g.const(
                np.array(1.0 / np.sqrt(hd), np.float32))])
        else:
            scores = g.op("Div", [scores, g.const(
                np.array(np.sqrt(hd), np.float32))])
        probs = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
        attn = g.op("MatMul", [probs, repeat_kv(v)])
        attn = g.op("Reshape", [g.op("Transpose", [attn], perm=[0, 2, 1, 3]),
                                g.const(np.array([1, -1, dim], np.int64))])
        x = g.op("Add", [x, linear(attn, w["wo"][l], p + "self_attn.o_proj")])

        h = rms_norm(x, w["ffn_norm"][l], p + "post_attention_layernorm"
                     ".weight", use_div=use_div(l))
        gate = linear(h, w["w1"][l], p + "mlp.gate_proj")
        act = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
        up = linear(h, w["w3"][l], p + "mlp.up_proj")
        x = g.op("Add", [x, linear(g.op("Mul", [act, up]), w["w2"][l],
                                   p + "mlp.down_proj")])

    h = rms_norm(x, w["final_norm"], "model.norm.weight",
                 use_div=division == "div")
    logits = g.op("MatMul", [h, g.init("lm_head.weight",
                                       np.ascontiguousarray(
                                           w["cls"].T.astype(np.float32)))])
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"]))

    opsets = [helper.make_opsetid("", 17)]
    if style == "matmulnbits":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    graph = helper.make_graph(g.nodes, "llama", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="llmc utils/export-onnx.py")
    model.ir_version = 8
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("output")
    ap.add_argument("--style", choices=["decomposed", "matmulnbits"],
                    default="decomposed")
    ap.add_argument("--gqa", choices=["expand", "tile"], default="expand")
    ap.add_argument("--no-kv-cache", action="store_true")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--division", choices=["mixed", "div", "reciprocal"],
                    default="mixed")
    ap.add_argument("--constants", choices=["nodes", "initializers"],
                    default="nodes")
    ap.add_argument("--rope", choices=["halves", "adjacent"],
                    default="halves")
    ap.add_argument("--rope-freqs", choices=["mul", "matmul"], default="mul")
    ap.add_argument("--attention", choices=["eager", "sdpa"],
                    default="eager")
    args = ap.parse_args()
    cfg, w = read_llama2c(args.checkpoint)
    if w["cls"] is None:  # tied classifier
        w["cls"] = w["tok"]
    model = export(cfg, w, args.style, args.gqa, not args.no_kv_cache,
                   args.block_size, args.division,
                   args.constants == "nodes", args.rope, args.rope_freqs,
                   args.attention)
    if args.style == "decomposed":
        onnx.checker.check_model(model)
    onnx.save(model, args.output)


if __name__ == "__main__":
    main()
