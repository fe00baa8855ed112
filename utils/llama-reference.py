#!/usr/bin/python3
"""Reference forward pass of a Llama GGUF model in numpy, for tests.

Usage:
  llama-reference.py MODEL.gguf --tokens "1 72 300" --out logits.f32
      writes the logits of every position (float32, [n_tokens, vocab]).
  llama-reference.py --compare A.f32 B.f32 --vocab V [--atol X] [--max-kl K]
      compares two logit files: max abs error, per-position argmax and (with
      --max-kl) the mean KL divergence KL(softmax B || softmax A) in nats.

Block formats are dequantized exactly as ggml defines them (Q8_0: w = d*q;
Q4_0: w = d*(q-8), low nibbles hold elements 0..15 of a block). The forward
pass follows llama2.c: RMSNorm, RoPE on adjacent pairs, grouped-query
attention with a causal KV cache, SwiGLU, tied or separate classifier. It
computes in float64 so that it is a reference, not another float32
implementation with its own rounding.
"""
import argparse
import struct
import sys

import numpy as np

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0 = 0, 1, 2, 8
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
           7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def unpack(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.unpack("<Q")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s.decode("utf-8", errors="replace")

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.unpack("<I"), self.unpack("<Q")
            return [self.value(et) for _ in range(n)]
        return self.unpack(SCALARS[t])


def load_gguf(path):
    data = open(path, "rb").read()
    r = Reader(data)
    assert data[:4] == b"GGUF", "not a GGUF file"
    r.pos = 8
    n_tensors, n_kv = r.unpack("<Q"), r.unpack("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.unpack("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        ne = [r.unpack("<Q") for _ in range(r.unpack("<I"))]
        infos.append((name, ne, r.unpack("<I"), r.unpack("<Q")))
    align = meta.get("general.alignment", 32)
    base = (r.pos + align - 1) // align * align
    tensors = {}
    for name, ne, t, off in infos:
        n = int(np.prod(ne))
        shape = list(reversed(ne))
        start = base + off
        if t == GGML_F32:
            w = np.frombuffer(data, np.float32, n, start)
        elif t == GGML_F16:
            w = np.frombuffer(data, np.float16, n, start).astype(np.float32)
        elif t in (GGML_Q8_0, GGML_Q4_0):
            bb = 34 if t == GGML_Q8_0 else 18
            blocks = np.frombuffer(data, np.uint8, n // 32 * bb, start)
            blocks = blocks.reshape(-1, bb)
            d = blocks[:, :2].copy().view(np.float16).astype(np.float64)
            if t == GGML_Q8_0:
                q = blocks[:, 2:].copy().view(np.int8).astype(np.float64)
            else:
                b = blocks[:, 2:]
                q = np.concatenate([b & 15, b >> 4], axis=1).astype(
                    np.float64) - 8
            w = (d * q).reshape(-1)
        else:
            raise SystemExit("%s: unsupported type %d" % (name, t))
        tensors[name] = np.asarray(w, np.float64).reshape(shape)
    return meta, tensors


def forward_all(meta, w, tokens):
    dim = meta["llama.embedding_length"]
    n_layers = meta["llama.block_count"]
    n_heads = meta["llama.attention.head_count"]
    n_kv = meta.get("llama.attention.head_count_kv", n_heads)
    eps = meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5)
    theta = meta.get("llama.rope.freq_base", 10000.0)
    hd = dim // n_heads
    emb = w["token_embd.weight"]
    cls = w.get("output.weight", emb)
    keys = [[] for _ in range(n_layers)]
    values = [[] for _ in range(n_layers)]

    def rms(x, g):
        return g * (x / np.sqrt(np.mean(x * x) + eps))

    def rope(x, heads, pos):
        x = x.reshape(heads, hd).copy()
        i = np.arange(0, hd, 2)
        ang = pos * (1.0 / theta ** (i / hd))
        c, s = np.cos(ang), np.sin(ang)
        a, b = x[:, 0::2].copy(), x[:, 1::2].copy()
        x[:, 0::2] = a * c - b * s
        x[:, 1::2] = a * s + b * c
        return x.reshape(-1)

    out = []
    for pos, tok in enumerate(tokens):
        x = emb[tok].copy()
        for l in range(n_layers):
            p = "blk.%d." % l
            h = rms(x, w[p + "attn_norm.weight"])
            q = rope(w[p + "attn_q.weight"] @ h, n_heads, pos)
            k = rope(w[p + "attn_k.weight"] @ h, n_kv, pos)
            v = w[p + "attn_v.weight"] @ h
            keys[l].append(k.reshape(n_kv, hd))
            values[l].append(v.reshape(n_kv, hd))
            K, V = np.stack(keys[l]), np.stack(values[l])
            o = np.zeros(dim)
            for hh in range(n_heads):
                g = hh // (n_heads // n_kv)
                s = K[:, g, :] @ q[hh * hd:(hh + 1) * hd] / np.sqrt(hd)
                s = np.exp(s - s.max())
                s /= s.sum()
                o[hh * hd:(hh + 1) * hd] = s @ V[:, g, :]
            x = x + w[p + "attn_output.weight"] @ o
            h = rms(x, w[p + "ffn_norm.weight"])
            gate = w[p + "ffn_gate.weight"] @ h
            up = w[p + "ffn_up.weight"] @ h
            x = x + w[p + "ffn_down.weight"] @ (gate / (1 + np.exp(-gate)) * up)
        x = rms(x, w["output_norm.weight"])
        out.append(cls @ x)
    return np.array(out, np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--tokens")
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--atol", type=float, default=1e-3)
    ap.add_argument("--max-kl", type=float)
    a = ap.parse_args()
    if a.compare:
        x = np.fromfile(a.compare[0], np.float32).reshape(-1, a.vocab)
        y = np.fromfile(a.compare[1], np.float32).reshape(-1, a.vocab)
        if x.shape != y.shape:
            print("FAIL: shapes differ %s vs %s" % (x.shape, y.shape))
            return 1
        err = float(np.abs(x - y).max())
        same = int((x.argmax(1) == y.argmax(1)).sum())
        print("positions %d max-abs-error %.3g argmax-agree %d/%d"
              % (x.shape[0], err, same, x.shape[0]))
        ok = err <= a.atol and same == x.shape[0]
        if a.max_kl is not None:
            def log_softmax(v):
                v = v.astype(np.float64)
                v = v - v.max(1, keepdims=True)
                return v - np.log(np.exp(v).sum(1, keepdims=True))
            lx, ly = log_softmax(x), log_softmax(y)
            kl = float((np.exp(ly) * (ly - lx)).sum(1).mean())
            print("mean-kl %.3g" % kl)
            ok = ok and kl <= a.max_kl
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    meta, w = load_gguf(a.model)
    tokens = [int(t) for t in a.tokens.split()]
    forward_all(meta, w, tokens).tofile(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
