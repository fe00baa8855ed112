"""Reading llama2.c checkpoints for the exporters (export-hf.py,
export-onnx.py): the legacy (version 0) format, 7 int32 header fields then
f32 weights; and the Q/K row permutation Hugging Face's llama conversion
applies."""
import struct
import sys

import numpy as np


def read_llama2c(path):
    """The checkpoint as (config dict, named arrays). w["cls"] is None when
    the classifier shares the token embedding."""
    with open(path, "rb") as f:
        header = struct.unpack("<7i", f.read(28))
        data = np.frombuffer(f.read(), dtype="<f4")
    dim, hidden, layers, heads, kv_heads, vocab, seq = header
    shared = vocab > 0
    vocab = abs(vocab)
    head_dim = dim // heads
    kv_dim = head_dim * kv_heads
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        if off + n > data.size:
            sys.exit(f"{path}: truncated checkpoint")
        a = data[off:off + n].reshape(shape)
        off += n
        return a

    w = {"tok": take(vocab, dim), "att_norm": take(layers, dim),
         "wq": take(layers, dim, dim), "wk": take(layers, kv_dim, dim),
         "wv": take(layers, kv_dim, dim), "wo": take(layers, dim, dim),
         "ffn_norm": take(layers, dim), "w1": take(layers, hidden, dim),
         "w2": take(layers, dim, hidden), "w3": take(layers, hidden, dim),
         "final_norm": take(dim)}
    take(seq, head_dim // 2)  # freq_cis_real (unused)
    take(seq, head_dim // 2)  # freq_cis_imag (unused)
    w["cls"] = None if shared else take(vocab, dim)
    cfg = dict(dim=dim, hidden=hidden, layers=layers, heads=heads,
               kv_heads=kv_heads, vocab=vocab, seq=seq, head_dim=head_dim)
    return cfg, w


def to_halves(w, heads):
    """convert_llama_weights_to_hf.py's permute(): the adjacent-pair RoPE
    rows (2i, 2i+1) of each head of a Q/K projection become rotate-halves
    rows (i, i + head_dim/2)."""
    out_dim, in_dim = w.shape
    return (w.reshape(heads, out_dim // heads // 2, 2, in_dim)
            .transpose(0, 2, 1, 3).reshape(out_dim, in_dim))
