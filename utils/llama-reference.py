#!/usr/bin/python3
"""Reference forward pass of a Llama-family GGUF model in numpy, for tests.

Usage:
  llama-reference.py MODEL.gguf --tokens "1 72 300" --out logits.f32
      writes the logits of every position (float32, [n_tokens, vocab]).
  llama-reference.py MODEL.gguf --tokens "1 72" --greedy N
      prints the prompt followed by N greedily decoded tokens (the sequence
      to run through llmc with --logits-out and --compare: its argmax at
      each position must be the next token).
  llama-reference.py --compare A.f32 B.f32 --vocab V [--atol X]
      compares two logit files: max abs error and per-position argmax.

Block formats are dequantized exactly as ggml defines them (Q8_0: w = d*q;
Q4_0: w = d*(q-8), low nibbles hold elements 0..15 of a block). The forward
pass follows llama2.c for general.architecture "llama": RMSNorm, RoPE on
adjacent pairs, grouped-query attention with a causal KV cache, SwiGLU, tied
or separate classifier. "qwen2" adds q/k/v biases and rotates the two halves
of each head; "gpt2" (as Hugging Face's GPT2Model) uses LayerNorm with
biases, learned positions, no RoPE, biases on every linear, q/k/v split from
the fused attn_qkv rows, and a GELU (tanh) MLP without gate. It computes in
float64 so that it is a reference, not another float32 implementation with
its own rounding.
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


def split_fused_qkv(w, dim, kv_dim):
    """attn_qkv rows [q | k | v] -> attn_q/k/v, as llama.cpp's gpt2 has."""
    for name in list(w):
        if ".attn_qkv." not in name:
            continue
        fused = w.pop(name)
        parts = np.split(fused, [dim, dim + kv_dim], axis=0)
        for proj, part in zip(("attn_q", "attn_k", "attn_v"), parts):
            w[name.replace("attn_qkv", proj)] = part


def forward_all(meta, w, tokens):
    arch = meta.get("general.architecture", "llama")
    if arch not in ("llama", "qwen2", "gpt2"):
        raise SystemExit("unsupported architecture %r" % arch)
    a = arch + "."
    dim = meta[a + "embedding_length"]
    n_layers = meta[a + "block_count"]
    n_heads = meta[a + "attention.head_count"]
    n_kv = meta.get(a + "attention.head_count_kv", n_heads)
    gpt2 = arch == "gpt2"
    eps = meta.get(a + ("attention.layer_norm_epsilon" if gpt2 else
                        "attention.layer_norm_rms_epsilon"), 1e-5)
    theta = meta.get(a + "rope.freq_base", 10000.0)
    hd = dim // n_heads
    split_fused_qkv(w, dim, hd * n_kv)
    emb = w["token_embd.weight"]
    cls = w.get("output.weight", emb)
    keys = [[] for _ in range(n_layers)]
    values = [[] for _ in range(n_layers)]

    def norm(x, name):
        g = w[name + ".weight"]
        if not gpt2:
            return g * (x / np.sqrt(np.mean(x * x) + eps))
        c = x - np.mean(x)
        y = g * (c / np.sqrt(np.mean(c * c) + eps))
        return y + w.get(name + ".bias", 0.0)

    def linear(x, name):
        return w[name + ".weight"] @ x + w.get(name + ".bias", 0.0)

    def rope(x, heads, pos):
        if gpt2:
            return x
        x = x.reshape(heads, hd).copy()
        i = np.arange(0, hd, 2)
        ang = pos * (1.0 / theta ** (i / hd))
        c, s = np.cos(ang), np.sin(ang)
        if arch == "qwen2":  # (i, i + hd/2)
            a_idx, b_idx = slice(0, hd // 2), slice(hd // 2, hd)
        else:  # (2i, 2i + 1)
            a_idx, b_idx = slice(0, hd, 2), slice(1, hd, 2)
        a, b = x[:, a_idx].copy(), x[:, b_idx].copy()
        x[:, a_idx] = a * c - b * s
        x[:, b_idx] = a * s + b * c
        return x.reshape(-1)

    def mlp(h, p):
        if gpt2:
            u = linear(h, p + "ffn_up")
            act = 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) *
                                         (u + 0.044715 * u ** 3)))
            return linear(act, p + "ffn_down")
        gate = linear(h, p + "ffn_gate")
        up = linear(h, p + "ffn_up")
        return linear(gate / (1 + np.exp(-gate)) * up, p + "ffn_down")

    out = []
    for pos, tok in enumerate(tokens):
        x = emb[tok].copy()
        if gpt2:
            x += w["position_embd.weight"][pos]
        for l in range(n_layers):
            p = "blk.%d." % l
            h = norm(x, p + "attn_norm")
            q = rope(linear(h, p + "attn_q"), n_heads, pos)
            k = rope(linear(h, p + "attn_k"), n_kv, pos)
            v = linear(h, p + "attn_v")
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
            x = x + linear(o, p + "attn_output")
            x = x + mlp(norm(x, p + "ffn_norm"), p)
        x = norm(x, "output_norm")
        out.append(cls @ x + w.get("output.bias", 0.0))
    return np.array(out, np.float32)


def greedy(meta, w, tokens, steps):
    """The prompt followed by `steps` argmax continuations (float64)."""
    seq = list(tokens)
    for _ in range(steps):
        logits = forward_all(meta, dict(w), seq)
        seq.append(int(np.argmax(logits[-1])))
    return seq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--tokens")
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--atol", type=float, default=1e-3)
    ap.add_argument("--greedy", type=int, metavar="N",
                    help="print the tokens followed by N greedy ones")
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
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    meta, w = load_gguf(a.model)
    tokens = [int(t) for t in a.tokens.split()]
    if a.greedy is not None:
        print(" ".join(str(t) for t in greedy(meta, w, tokens, a.greedy)))
        return 0
    forward_all(meta, w, tokens).tofile(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
