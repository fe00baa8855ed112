#!/usr/bin/python3
"""Tiny random Hugging Face checkpoints (qwen2, gpt2) and their reference.

  make-hf-model.py write qwen2|gpt2 OUT_DIR [--dtype f32|bf16] [--seed S]
      writes config.json, model.safetensors and a byte-level tokenizer.json
      (256 byte tokens, merges learned on a fixed text, <|endoftext|>) of a
      2-layer model with random weights, named and laid out as transformers
      saves Qwen2ForCausalLM (q/k/v biases, rotate-halves RoPE) and
      GPT2LMHeadModel (Conv1D weights {in, out}, fused c_attn, learned
      positions, LayerNorm with biases, the causal-mask buffers).
  make-hf-model.py logits DIR --tokens "1 2 3" --out logits.f32
      the reference logits of every position (float32 [n, vocab]) computed
      in float64 from the checkpoint files with Hugging Face's semantics
      (compare with `llama-reference.py --compare`).
  make-hf-model.py generate DIR --prompt TEXT --steps N
      prints what `llmc-run --temperature 0` prints: BOS, the prompt
      encoded by hf-bpe-reference.py, greedy continuation, stopping at
      BOS/EOS; fails if two logits of a greedy step are too close to call.

Needs /usr/bin/python3 with numpy (and python3-regex for `generate`).
"""
import argparse
import importlib.util
import json
import math
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = ("Once upon a time there was a little robot. The robot liked to "
        "read, write and count: 1, 2, 3, 42, 2024! It's small, isn't it? "
        "Yes, it is.\nThe end.\n")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
VOCAB = 300


def load(name):
    spec = importlib.util.spec_from_file_location(
        name.replace("-", "_"), os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def byte_level_tokenizer(model_type):
    """A byte-level BPE of VOCAB tokens trained on TEXT."""
    ref = load("hf-bpe-reference")
    table = ref.bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    words = [[table[b] for b in w.encode()] for w in TEXT.split(" ")]
    words = [w if i == 0 else [table[32]] + w for i, w in enumerate(words)]
    merges = []
    while len(vocab) < VOCAB - 1:
        counts = {}
        for w in words:
            for pair in zip(w, w[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], p))
        merges.append(best)
        vocab[best[0] + best[1]] = len(vocab)
        for w in words:
            i = 0
            while i + 1 < len(w):
                if (w[i], w[i + 1]) == best:
                    w[i:i + 2] = [w[i] + w[i + 1]]
                i += 1
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    byte_level = {"type": "ByteLevel", "add_prefix_space": False,
                  "trim_offsets": True, "use_regex": model_type == "gpt2"}
    pre = byte_level if model_type == "gpt2" else {
        "type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_REGEX},
             "behavior": "Isolated", "invert": False}, byte_level]}
    return {"version": "1.0",
            "added_tokens": [{"id": eot, "content": "<|endoftext|>",
                              "special": True, "normalized": False}],
            "normalizer": None, "pre_tokenizer": pre,
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "vocab": vocab,
                      "merges": [a + " " + b for a, b in merges]}}, eot


def write(args):
    rng = np.random.default_rng(args.seed)
    dim, hidden, layers, heads, kv_heads, seq = 64, 96, 2, 4, 2, 64
    if args.model_type == "gpt2":
        kv_heads, hidden = heads, 4 * dim
    kv = dim // heads * kv_heads

    def mat(*shape, scale=None):
        fan_in = shape[-1] if args.model_type != "gpt2" else shape[0]
        return rng.normal(0, scale or 1 / math.sqrt(fan_in), shape)

    def norm(n):
        return 1 + rng.normal(0, 0.1, n)

    tokenizer, eot = byte_level_tokenizer(args.model_type)
    t = []
    if args.model_type == "qwen2":
        config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
                  "hidden_size": dim, "intermediate_size": hidden,
                  "num_hidden_layers": layers, "num_attention_heads": heads,
                  "num_key_value_heads": kv_heads, "vocab_size": VOCAB,
                  "max_position_embeddings": seq, "rms_norm_eps": 1e-6,
                  "rope_theta": 1000000.0, "tie_word_embeddings": False,
                  "hidden_act": "silu", "use_sliding_window": False,
                  "bos_token_id": eot, "eos_token_id": eot}
        t.append(("model.embed_tokens.weight", mat(VOCAB, dim, scale=0.05)))
        for l in range(layers):
            p = f"model.layers.{l}."
            t += [(p + "input_layernorm.weight", norm(dim)),
                  (p + "self_attn.q_proj.weight", mat(dim, dim)),
                  (p + "self_attn.q_proj.bias", rng.normal(0, 0.5, dim)),
                  (p + "self_attn.k_proj.weight", mat(kv, dim)),
                  (p + "self_attn.k_proj.bias", rng.normal(0, 0.5, kv)),
                  (p + "self_attn.v_proj.weight", mat(kv, dim)),
                  (p + "self_attn.v_proj.bias", rng.normal(0, 0.5, kv)),
                  (p + "self_attn.o_proj.weight", mat(dim, dim)),
                  (p + "post_attention_layernorm.weight", norm(dim)),
                  (p + "mlp.gate_proj.weight", mat(hidden, dim)),
                  (p + "mlp.up_proj.weight", mat(hidden, dim)),
                  (p + "mlp.down_proj.weight", mat(dim, hidden))]
        t += [("model.norm.weight", norm(dim)),
              ("lm_head.weight", mat(VOCAB, dim, scale=0.3))]
    else:
        config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
                  "n_embd": dim, "n_layer": layers, "n_head": heads,
                  "n_inner": None, "n_positions": seq, "n_ctx": seq,
                  "vocab_size": VOCAB, "layer_norm_epsilon": 1e-5,
                  "activation_function": "gelu_new",
                  "bos_token_id": eot, "eos_token_id": eot}
        t += [("wte.weight", mat(VOCAB, dim, scale=0.05)),
              ("wpe.weight", mat(seq, dim, scale=0.5))]
        mask = np.tril(np.ones((seq, seq))).reshape(1, 1, seq, seq)
        for l in range(layers):
            p = f"h.{l}."
            t += [(p + "ln_1.weight", norm(dim)),
                  (p + "ln_1.bias", rng.normal(0, 0.1, dim)),
                  (p + "attn.bias", mask),
                  (p + "attn.c_attn.weight", mat(dim, 3 * dim)),
                  (p + "attn.c_attn.bias", rng.normal(0, 0.5, 3 * dim)),
                  (p + "attn.c_proj.weight", mat(dim, dim)),
                  (p + "attn.c_proj.bias", rng.normal(0, 0.1, dim)),
                  (p + "ln_2.weight", norm(dim)),
                  (p + "ln_2.bias", rng.normal(0, 0.1, dim)),
                  (p + "mlp.c_fc.weight", mat(dim, hidden)),
                  (p + "mlp.c_fc.bias", rng.normal(0, 0.1, hidden)),
                  (p + "mlp.c_proj.weight", mat(hidden, dim)),
                  (p + "mlp.c_proj.bias", rng.normal(0, 0.1, dim))]
        t += [("ln_f.weight", norm(dim)), ("ln_f.bias", rng.normal(0, .1, dim))]
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out_dir, "tokenizer.json"), "w",
              encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    load("export-hf").write_safetensors(
        os.path.join(args.out_dir, "model.safetensors"),
        [(n, a.astype(np.float32)) for n, a in t], args.dtype.upper())


def read_checkpoint(directory):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(directory, "model.safetensors"), "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    w = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[8 + n + b:8 + n + end]
        if e["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view("<f4")
        else:
            a = np.frombuffer(raw, "<f4")
        w[name.removeprefix("model.").removeprefix("transformer.")] = \
            a.astype(np.float64).reshape(e["shape"])
    return config, w


def rms_norm(x, g, eps):
    return x / np.sqrt(np.mean(x * x) + eps) * g


def layer_norm(x, g, b, eps):
    m = x.mean()
    return (x - m) / np.sqrt(((x - m) ** 2).mean() + eps) * g + b


def rope_halves(x, heads, pos, theta):
    hd = x.size // heads
    x = x.reshape(heads, hd).copy()
    i = np.arange(hd // 2)
    angle = pos * theta ** (-2.0 * i / hd)
    c, s = np.cos(angle), np.sin(angle)
    a, b = x[:, :hd // 2].copy(), x[:, hd // 2:].copy()
    x[:, :hd // 2] = a * c - b * s
    x[:, hd // 2:] = b * c + a * s
    return x.reshape(-1)


def attend(q, keys, values, heads, kv_heads):
    hd = q.size // heads
    out = np.zeros_like(q)
    K, V = np.array(keys), np.array(values)
    for h in range(heads):
        g = h // (heads // kv_heads)
        qh = q[h * hd:(h + 1) * hd]
        kh, vh = K[:, g * hd:(g + 1) * hd], V[:, g * hd:(g + 1) * hd]
        s = kh @ qh / math.sqrt(hd)
        p = np.exp(s - s.max())
        out[h * hd:(h + 1) * hd] = (p / p.sum()) @ vh
    return out


class Reference:
    """Hugging Face semantics, one token at a time with a KV cache."""

    def __init__(self, directory):
        self.config, self.w = read_checkpoint(directory)
        self.gpt2 = self.config["model_type"] == "gpt2"
        c = self.config
        self.layers = c.get("n_layer", c.get("num_hidden_layers"))
        self.cache = [([], []) for _ in range(self.layers)]

    def forward(self, token, pos):
        c, w = self.config, self.w
        if self.gpt2:
            heads, eps = c["n_head"], c["layer_norm_epsilon"]
            dim = c["n_embd"]
            x = w["wte.weight"][token] + w["wpe.weight"][pos]
            for l in range(self.layers):
                p = f"h.{l}."
                h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
                qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
                q, k, v = qkv[:dim], qkv[dim:2 * dim], qkv[2 * dim:]
                self.cache[l][0].append(k)
                self.cache[l][1].append(v)
                o = attend(q, *self.cache[l], heads, heads)
                x = x + o @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
                h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
                u = h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]
                g = 0.5 * u * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                           (u + 0.044715 * u ** 3)))
                x = x + g @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
            x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
            return w["wte.weight"] @ x
        heads, kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
        eps, theta = c["rms_norm_eps"], c["rope_theta"]
        x = w["embed_tokens.weight"][token]
        for l in range(self.layers):
            p = f"layers.{l}."
            h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
            lin = lambda n: w[p + n + ".weight"] @ h + w.get(p + n + ".bias", 0)
            q = rope_halves(lin("self_attn.q_proj"), heads, pos, theta)
            k = rope_halves(lin("self_attn.k_proj"), kv_heads, pos, theta)
            self.cache[l][0].append(k)
            self.cache[l][1].append(lin("self_attn.v_proj"))
            o = attend(q, *self.cache[l], heads, kv_heads)
            x = x + w[p + "self_attn.o_proj.weight"] @ o
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
            g = w[p + "mlp.gate_proj.weight"] @ h
            u = w[p + "mlp.up_proj.weight"] @ h
            x = x + w[p + "mlp.down_proj.weight"] @ (g / (1 + np.exp(-g)) * u)
        x = rms_norm(x, w["norm.weight"], eps)
        head = w.get("lm_head.weight", w["embed_tokens.weight"])
        return head @ x


def logits(args):
    ref = Reference(args.dir)
    tokens = [int(t) for t in args.tokens.split()]
    out = np.array([ref.forward(t, i) for i, t in enumerate(tokens)])
    out.astype("<f4").tofile(args.out)


def generate(args):
    ref = Reference(args.dir)
    with open(os.path.join(args.dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    bpe = load("hf-bpe-reference")
    table = {v: k for k, v in bpe.bytes_to_unicode().items()}
    pieces = {i: bytes(table[ch] for ch in p) if i != ref.config["eos_token_id"]
              else p.encode() for p, i in tok["model"]["vocab"].items()}
    bos = eos = ref.config["eos_token_id"]
    prompt = [bos] + bpe.encode(tok, args.prompt)
    out = sys.stdout.buffer
    token = prompt[0]
    for pos in range(args.steps):
        lg = ref.forward(token, pos)
        if pos + 1 < len(prompt):
            nxt = prompt[pos + 1]
        else:
            order = np.argsort(lg)
            if lg[order[-1]] - lg[order[-2]] < 1e-3:
                sys.exit(f"step {pos}: top logits within 1e-3, greedy is "
                         "ambiguous; pick another seed or prompt")
            nxt = int(order[-1])
        if nxt in (bos, eos):
            break
        piece = pieces[nxt]
        # llmc-run skips lone bytes that C's isprint/isspace reject.
        if len(piece) == 1 and not (0x20 <= piece[0] < 0x7F or
                                    piece[0] in b"\t\n\v\f\r" or
                                    piece[0] >= 0x80):
            piece = b""
        out.write(piece)
        token = nxt
    out.write(b"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("model_type", choices=["qwen2", "gpt2"])
    w.add_argument("out_dir")
    w.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    w.add_argument("--seed", type=int, default=1)
    lg = sub.add_parser("logits")
    lg.add_argument("dir")
    lg.add_argument("--tokens", required=True)
    lg.add_argument("--out", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--prompt", required=True)
    g.add_argument("--steps", type=int, default=24)
    args = ap.parse_args()
    {"write": write, "logits": logits, "generate": generate}[args.command](args)


if __name__ == "__main__":
    main()
