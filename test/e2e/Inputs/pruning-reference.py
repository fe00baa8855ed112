#!/usr/bin/python3
"""Numpy references for the pruning and low-rank passes, for tests.

Usage:
  pruning-reference.py logits MODEL.gguf --tokens "1 5 77" --out ref.f32 \\
      METHOD [OPTIONS]
      applies METHOD to the model's weights in numpy (an implementation of
      the passes' selection rules independent of the C++ one) and writes the
      logits of every position (float32, [n_tokens, vocab]) computed by
      utils/llama-reference.py's float64 forward pass. Structured pruning is
      modelled by zeroing the removed channels / KV groups, which computes
      the same function as removing them.
  pruning-reference.py sparsity MODEL.mlir [--group M]
      prints, for every weight the passes rewrote (f32 dense_resource blobs
      of a textual llm module), its shape, its fraction of zeros and the
      smallest and largest fraction of zeros of a row; with --group M also
      the most nonzeros in any M consecutive entries of a row.
  pruning-reference.py sizes BASE/manifest.json PRUNED/manifest.json
      compares the weights and KV-cache bytes of two compiled artifacts.

METHODs: magnitude --sparsity S [--scope row|layer]; nm --n N --m M;
ffn (--ratio R | --count C) [--round-to R]; heads --kv-groups K;
low-rank (--rank K | --ratio R | --energy E); width --dim N
[--select norm|first]; none.
The token embedding and classifier are never touched, norms neither,
except by width, which slices the model width for real (the RMSNorm means
then run over the kept channels, which zeroing would not model).
"""
import argparse
import importlib.util
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location(
    "llama_reference",
    os.path.join(HERE, "..", "..", "..", "utils", "llama-reference.py"))
ref = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(ref)

# Weights llm-prune-* / llm-factorize-low-rank select by default.
EXCLUDED = ("token_embd.weight", "output.weight")


def matrices(w):
    return [n for n, t in w.items() if t.ndim == 2 and n not in EXCLUDED]


def zero_smallest(x, count):
    """Zeros the `count` smallest |x| (earlier first among equals)."""
    flat = x.reshape(-1)
    order = np.argsort(np.abs(flat), kind="stable")
    flat[order[:count]] = 0.0


def magnitude(w, a):
    for n in matrices(w):
        t = w[n]
        if a.scope == "row":
            k = int(np.floor(a.sparsity * t.shape[1] + 1e-9))
            for row in t:
                zero_smallest(row, k)
        else:
            zero_smallest(t, int(np.floor(a.sparsity * t.size + 1e-9)))


def nm(w, a):
    for n in matrices(w):
        t = w[n]
        if t.shape[1] % a.m:
            continue
        groups = t.reshape(-1, a.m)
        order = np.argsort(np.abs(groups), axis=1, kind="stable")
        np.put_along_axis(groups, order[:, :a.m - a.n], 0.0, axis=1)


def removed_order(scores, count):
    """Indices of the `count` lowest scores (earlier first among equals)."""
    return np.argsort(scores, kind="stable")[:count]


def ffn(w, a):
    layer = 0
    while "blk.%d.ffn_gate.weight" % layer in w:
        p = "blk.%d." % layer
        g, u, d = w[p + "ffn_gate.weight"], w[p + "ffn_up.weight"], \
            w[p + "ffn_down.weight"]
        hidden = g.shape[0]
        count = a.count if a.count else int(np.floor(a.ratio * hidden + 1e-9))
        kept = min(hidden, -(-(hidden - count) // a.round_to) * a.round_to)
        score = (np.linalg.norm(g, axis=1) * np.linalg.norm(u, axis=1) *
                 np.linalg.norm(d, axis=0))
        gone = removed_order(score, hidden - kept)
        g[gone, :] = 0.0
        u[gone, :] = 0.0
        d[:, gone] = 0.0
        layer += 1


def heads(w, meta, a):
    n_heads = meta["llama.attention.head_count"]
    n_kv = meta.get("llama.attention.head_count_kv", n_heads)
    hd = meta["llama.embedding_length"] // n_heads
    per = n_heads // n_kv
    layer = 0
    while "blk.%d.attn_q.weight" % layer in w:
        p = "blk.%d." % layer
        q, k, v, o = (w[p + s + ".weight"] for s in
                      ("attn_q", "attn_k", "attn_v", "attn_output"))
        qs = [slice(g * per * hd, (g + 1) * per * hd) for g in range(n_kv)]
        ks = [slice(g * hd, (g + 1) * hd) for g in range(n_kv)]
        score = np.array([np.linalg.norm(q[qs[g]]) * np.linalg.norm(k[ks[g]]) *
                          np.linalg.norm(v[ks[g]]) *
                          np.linalg.norm(o[:, qs[g]]) for g in range(n_kv)])
        for g in removed_order(score, a.kv_groups):
            q[qs[g]] = 0.0
            k[ks[g]] = 0.0
            v[ks[g]] = 0.0
            o[:, qs[g]] = 0.0
        layer += 1


def low_rank(w, a):
    for n in matrices(w):
        t = w[n]
        m, k_in = t.shape
        full = min(m, k_in)
        U, S, Vt = np.linalg.svd(t, full_matrices=False)
        if a.rank:
            k = a.rank
        elif a.ratio:
            k = min(full, max(1, int(np.floor(a.ratio * full + 0.5))))
        else:
            energy = np.cumsum(S * S)
            k = int(np.argmax(energy >= a.energy * energy[-1] *
                              (1 - 1e-12))) + 1
        if k * (m + k_in) >= m * k_in:
            continue
        w[n] = (U[:, :k] * S[:k]) @ Vt[:k]


def width(w, a):
    """llm-slice-width: keeps a.dim channels of the residual stream."""
    emb = w["token_embd.weight"]
    norms = [t for n, t in w.items() if n.endswith("norm.weight")]
    if a.select == "first":
        keep = np.arange(a.dim)
    else:
        score = np.sqrt((emb * emb).sum(0))
        if norms:
            score = score * np.sum([np.abs(g) for g in norms], axis=0)
        # Highest first, the earlier channel first among equal scores.
        keep = np.sort(np.argsort(-score, kind="stable")[:a.dim])
    readers = ("attn_q.weight", "attn_k.weight", "attn_v.weight",
               "ffn_gate.weight", "ffn_up.weight")
    for n, t in list(w.items()):
        if n.endswith("norm.weight"):
            w[n] = t[keep]
        elif n in EXCLUDED or n.endswith(readers):
            w[n] = t[:, keep]
        elif n.endswith(("attn_output.weight", "ffn_down.weight")):
            w[n] = t[keep, :]


def logits(a):
    meta, w = ref.load_gguf(a.model)
    w = {n: t.copy() for n, t in w.items()}
    if a.method == "magnitude":
        magnitude(w, a)
    elif a.method == "nm":
        nm(w, a)
    elif a.method == "ffn":
        ffn(w, a)
    elif a.method == "heads":
        heads(w, meta, a)
    elif a.method == "low-rank":
        low_rank(w, a)
    elif a.method == "width":
        width(w, a)
    tokens = [int(t) for t in a.tokens.split()]
    ref.forward_all(meta, w, tokens).tofile(a.out)


WEIGHT = re.compile(r"llm\.weight @(\S+) : tensor<(\d+)x(\d+)xf32> = "
                    r"dense_resource<([^>]+)>")
BLOB = re.compile(r'^\s*"?([^":\s]+)"?: "0x([0-9A-Fa-f]+)"', re.M)


def sparsity(a):
    text = open(a.model).read()
    blobs = {k: v for k, v in BLOB.findall(text)}
    for name, rows, cols, key in WEIGHT.findall(text):
        rows, cols = int(rows), int(cols)
        # A blob is a 4-byte alignment followed by the bytes.
        data = bytes.fromhex(blobs[key])[4:]
        t = np.frombuffer(data, np.float32).reshape(rows, cols)
        rows_zero = (t == 0).mean(1)
        line = "%s %dx%d zero-fraction %.3f row-min %.3f row-max %.3f" % (
            name, rows, cols, (t == 0).mean(), rows_zero.min(),
            rows_zero.max())
        if a.group:
            nonzero = (t.reshape(-1, a.group) != 0).sum(1).max()
            line += " group-max-nonzeros %d" % nonzero
        print(line)


def sizes(a):
    base, pruned = (json.load(open(p)) for p in (a.base, a.pruned))
    for key in ("weights_data_bytes", "kv_cache_bytes"):
        print("%s %s" % (key, "smaller" if pruned[key] < base[key] else
                         "same" if pruned[key] == base[key] else "larger"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    lg = sub.add_parser("logits")
    lg.add_argument("model")
    lg.add_argument("--tokens", required=True)
    lg.add_argument("--out", required=True)
    lg.add_argument("method", choices=["none", "magnitude", "nm", "ffn",
                                       "heads", "low-rank", "width"])
    lg.add_argument("--sparsity", type=float, default=0.5)
    lg.add_argument("--scope", default="row")
    lg.add_argument("--n", type=int, default=2)
    lg.add_argument("--m", type=int, default=4)
    lg.add_argument("--ratio", type=float, default=0.0)
    lg.add_argument("--count", type=int, default=0)
    lg.add_argument("--round-to", type=int, default=1)
    lg.add_argument("--kv-groups", type=int, default=1)
    lg.add_argument("--rank", type=int, default=0)
    lg.add_argument("--energy", type=float, default=0.0)
    lg.add_argument("--dim", type=int, default=0)
    lg.add_argument("--select", default="norm")
    sp = sub.add_parser("sparsity")
    sp.add_argument("model")
    sp.add_argument("--group", type=int, default=0)
    sz = sub.add_parser("sizes")
    sz.add_argument("base")
    sz.add_argument("pruned")
    a = ap.parse_args()
    {"logits": logits, "sparsity": sparsity, "sizes": sizes}[a.command](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
