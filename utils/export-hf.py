#!/usr/bin/python3
"""Exports a llama2.c checkpoint as a Hugging Face `LlamaForCausalLM` directory.

Writes what `transformers`' convert_llama_weights_to_hf.py and its
LlamaConverter produce for a Llama-2 style model, without torch:

  config.json                     model_type "llama", sizes, rms_norm_eps,
                                  rope_theta, tie_word_embeddings, bos/eos ids
  model.safetensors               all tensors (or, with --shards N,
  (model-0000K-of-0000N.safetensors  N shards and model.safetensors.index.json)
   + model.safetensors.index.json)
  tokenizer.json                  the SentencePiece-style BPE form: metaspace
                                  "\u2581" normalizer, byte fallback, merges
                                  derived from the piece scores

The Q and K projections are permuted from llama2.c's adjacent-pair RoPE
layout to Hugging Face's rotate-halves layout, exactly as
convert_llama_weights_to_hf.py's permute() does, so an importer must record
RoPE "halves" to compute the same model.

--dtype stores the tensors as F32 (default), F16 or BF16 (rounded to nearest
even). --corrupt writes a deliberately broken directory for diagnostics tests.

Usage: export-hf.py CHECKPOINT.bin TOKENIZER.bin OUT_DIR [--dtype f32|f16|bf16]
           [--shards N] [--corrupt KIND]
Needs /usr/bin/python3 with numpy (Debian python3-numpy).
"""

import argparse
import json
import os
import struct

import numpy as np

from llama2c_checkpoint import read_llama2c, to_halves

SPACE = "\u2581"
CORRUPTIONS = [
    "no-config", "no-tokenizer", "bad-model-type", "missing-tensor",
    "wrong-shape", "truncated", "bad-header-json", "offset-out-of-range",
    "bad-dtype", "header-too-large",
]


def read_llama2c_tokenizer(path, vocab):
    """Pieces (SentencePiece spelling) and scores of a llama2.c tokenizer."""
    with open(path, "rb") as f:
        data = f.read()
    off = 4
    pieces, scores = [], []
    for _ in range(vocab):
        score, length = struct.unpack_from("<fi", data, off)
        off += 8
        piece = data[off:off + length].decode("utf-8")
        off += length
        pieces.append(piece)
        scores.append(score)
    # llama2.c's exporter spells <s> and </s> with newlines and replaced
    # SentencePiece's U+2581 by a space: undo both.
    pieces[0], pieces[1], pieces[2] = "<unk>", "<s>", "</s>"
    pieces = [p if i < 3 else p.replace(" ", SPACE)
              for i, p in enumerate(pieces)]
    return pieces, scores


def hf_tensors(cfg, w):
    """The tensors of LlamaForCausalLM, in its state_dict order."""
    t = [("model.embed_tokens.weight", w["tok"])]
    for l in range(cfg["layers"]):
        p = f"model.layers.{l}."
        t += [(p + "self_attn.q_proj.weight", to_halves(w["wq"][l], cfg["heads"])),
              (p + "self_attn.k_proj.weight",
               to_halves(w["wk"][l], cfg["kv_heads"])),
              (p + "self_attn.v_proj.weight", w["wv"][l]),
              (p + "self_attn.o_proj.weight", w["wo"][l]),
              (p + "mlp.gate_proj.weight", w["w1"][l]),
              (p + "mlp.down_proj.weight", w["w2"][l]),
              (p + "mlp.up_proj.weight", w["w3"][l]),
              (p + "input_layernorm.weight", w["att_norm"][l]),
              (p + "post_attention_layernorm.weight", w["ffn_norm"][l])]
    t.append(("model.norm.weight", w["final_norm"]))
    if w["cls"] is not None:
        t.append(("lm_head.weight", w["cls"]))
    return t


def encode(array, dtype):
    """Little-endian bytes of `array` in safetensors dtype `dtype`."""
    a = np.ascontiguousarray(array, dtype="<f4")
    if dtype == "F32":
        return a.tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    bits = a.view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # nearest even
    return rounded.astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype, corrupt=None):
    header, blobs, off = {}, [], 0
    for name, array in tensors:
        blob = encode(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    header["__metadata__"] = {"format": "pt"}
    last = tensors[-1][0]
    if corrupt == "offset-out-of-range":
        header[last]["data_offsets"][1] += 4
    if corrupt == "bad-dtype":
        header[last]["dtype"] = "I32"
    text = json.dumps(header, separators=(",", ":"))
    if corrupt == "bad-header-json":
        text = text[:-1] + ",}"
    text += " " * (-len(text) % 8)  # the data starts 8-byte aligned
    raw = text.encode("utf-8")
    length = len(raw) if corrupt != "header-too-large" else 1 << 40
    data = struct.pack("<Q", length) + raw + b"".join(blobs)
    if corrupt == "truncated":
        data = data[:-100]
    with open(path, "wb") as f:
        f.write(data)


def tokenizer_json(pieces, scores):
    """The tokenizer.json transformers' LlamaConverter writes (legacy
    Llama-2 form): merges are every split of a piece into two pieces,
    ordered by the merged piece's score, highest first."""
    special = {0: "<unk>", 1: "<s>", 2: "</s>"}
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i, piece in enumerate(pieces):
        if i in special or piece.startswith("<0x"):
            continue
        local = [(piece[:k], piece[k:], scores[i]) for k in range(1, len(piece))
                 if piece[:k] in vocab and piece[k:] in vocab]
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges += local
    merges.sort(key=lambda m: m[2], reverse=True)  # stable: ties keep order
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, c in special.items()]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPACE},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1],
                                       "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                  "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True,
                  "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab,
                  "merges": [a + " " + b for a, b, _ in merges]},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("tokenizer")
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--corrupt", choices=CORRUPTIONS)
    args = ap.parse_args()

    cfg, w = read_llama2c(args.checkpoint)
    pieces, scores = read_llama2c_tokenizer(args.tokenizer, cfg["vocab"])
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg["dim"],
        "intermediate_size": cfg["hidden"],
        "num_hidden_layers": cfg["layers"],
        "num_attention_heads": cfg["heads"],
        "num_key_value_heads": cfg["kv_heads"],
        "vocab_size": cfg["vocab"],
        "max_position_embeddings": cfg["seq"],
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": w["cls"] is None,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": {"f32": "float32", "f16": "float16",
                        "bf16": "bfloat16"}[args.dtype],
    }
    if args.corrupt == "bad-model-type":
        config["model_type"] = "mamba"
    if args.corrupt != "no-config":
        with open(out("config.json"), "w") as f:
            json.dump(config, f, indent=2)
    if args.corrupt != "no-tokenizer":
        with open(out("tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(tokenizer_json(pieces, scores), f, ensure_ascii=False)

    tensors = hf_tensors(cfg, w)
    if args.corrupt == "missing-tensor":
        tensors = [t for t in tensors
                   if t[0] != "model.layers.1.mlp.up_proj.weight"]
    if args.corrupt == "wrong-shape":
        tensors = [(n, a[:, :-1] if n.endswith("0.self_attn.v_proj.weight")
                    else a) for n, a in tensors]
    dtype = args.dtype.upper()
    if args.shards <= 1:
        write_safetensors(out("model.safetensors"), tensors, dtype,
                          args.corrupt)
        return
    n = args.shards
    per = -(-len(tensors) // n)
    weight_map, total = {}, 0
    for k in range(n):
        name = f"model-{k + 1:05d}-of-{n:05d}.safetensors"
        part = tensors[k * per:(k + 1) * per]
        # Corrupt the last shard only, so the error names it.
        write_safetensors(out(name), part, dtype,
                          args.corrupt if k == n - 1 else None)
        for t, a in part:
            weight_map[t] = name
            total += len(encode(a, dtype))
    with open(out("model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total},
                   "weight_map": weight_map}, f, indent=2)


if __name__ == "__main__":
    main()
