#!/usr/bin/python3
"""Write a Llama-family test model with random weights.

Produces a GGUF v3 file (architecture "llama", "qwen2" or "gpt2" with
--arch, full tokenizer metadata) or a llama2.c legacy checkpoint plus its
tokenizer file, with any dimensions, a seeded random initialisation, tensor
types f32/f16/q8_0/q4_0 (GGUF only), a tied or untied classifier, and
deliberately corrupt variants for reader tests.

The architectures follow llama.cpp's GGUF conventions:
  llama  RMSNorm, SwiGLU, RoPE on adjacent pairs.
  qwen2  llama plus attn_q/k/v biases, RoPE on the two halves of each head.
  gpt2   LayerNorm with biases, learned positions (position_embd.weight), no
         RoPE, GELU (tanh) MLP without gate, biases on every linear, q/k/v
         fused into blk.N.attn_qkv (rows q, k, v). Its vocabulary is the
         SentencePiece-style one of the other architectures (so that the
         model compiles to a runnable artifact) unless --bpe-vocab asks for
         a "gpt2" (byte-level BPE) vocabulary as llama.cpp writes it.

Tensors are generated and written one at a time, so a TinyLlama-1.1B shaped
file (several GB) never has to fit in memory:

  make-test-model.py -o tiny.gguf --dim 2048 --hidden 5632 --layers 22 \\
      --heads 32 --kv-heads 4 --vocab 32000 --seq-len 2048 --type q4_0

Weights are derived from (seed, tensor name), so a GGUF and a llama2.c file
written with the same seed and f32 type hold identical weights. Matrices are
N(0, 1/in), norm weights 1 + N(0, 0.1^2), biases N(0, 0.1^2); rank-1 tensors
are always f32.

Needs the standard library and numpy (Debian: /usr/bin/python3 with
python3-numpy).
"""
import argparse
import os
import struct
import sys
import zlib

import numpy as np

# GGUF metadata value types.
GGUF_U8, GGUF_I8, GGUF_U16, GGUF_I16, GGUF_U32, GGUF_I32, GGUF_F32 = range(7)
GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_U64, GGUF_I64, GGUF_F64 = range(7, 13)
SCALAR_FORMATS = {
    GGUF_U8: "<B", GGUF_I8: "<b", GGUF_U16: "<H", GGUF_I16: "<h",
    GGUF_U32: "<I", GGUF_I32: "<i", GGUF_F32: "<f", GGUF_BOOL: "<?",
    GGUF_U64: "<Q", GGUF_I64: "<q", GGUF_F64: "<d",
}

# ggml tensor types written here, and llama.cpp's general.file_type for each.
GGML_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8}
FILE_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7}
QK = 32  # elements per block of the block formats

GGUF_CORRUPTIONS = [
    "bad-magic", "truncated", "wrong-shape", "unknown-type",
    "bad-string-length", "huge-array-count", "offset-past-eof",
    "missing-tensor",
]
LLAMA2C_CORRUPTIONS = [
    "truncated", "trailing-bytes", "bad-header", "tokenizer-truncated",
]

# Token types (GGUF / SentencePiece numbering).
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_BYTE = 1, 2, 3, 6
SPACE = "\u2581"


# --------------------------------------------------------------------------
# Model description
# --------------------------------------------------------------------------

class Config:
    def __init__(self, args):
        self.dim = args.dim
        self.hidden = args.hidden
        self.layers = args.layers
        self.heads = args.heads
        self.kv_heads = args.kv_heads or args.heads
        self.vocab = args.vocab
        self.seq_len = args.seq_len
        self.eps = args.norm_eps
        self.theta = args.rope_theta
        self.arch = args.arch
        if self.dim % self.heads or self.heads % self.kv_heads:
            sys.exit("error: dim must divide by heads, heads by kv-heads")
        self.head_dim = self.dim // self.heads
        self.kv_dim = self.head_dim * self.kv_heads


def llama_tensors(cfg, tied):
    """(name, logical shape) of every tensor, in llama.cpp's GGUF order."""
    out = [("token_embd.weight", (cfg.vocab, cfg.dim)),
           ("output_norm.weight", (cfg.dim,))]
    if not tied:
        out.append(("output.weight", (cfg.vocab, cfg.dim)))
    for layer in range(cfg.layers):
        p = "blk.%d." % layer
        out += [
            (p + "attn_q.weight", (cfg.dim, cfg.dim)),
            (p + "attn_k.weight", (cfg.kv_dim, cfg.dim)),
            (p + "attn_v.weight", (cfg.kv_dim, cfg.dim)),
            (p + "attn_output.weight", (cfg.dim, cfg.dim)),
            (p + "attn_norm.weight", (cfg.dim,)),
            (p + "ffn_gate.weight", (cfg.hidden, cfg.dim)),
            (p + "ffn_down.weight", (cfg.dim, cfg.hidden)),
            (p + "ffn_up.weight", (cfg.hidden, cfg.dim)),
            (p + "ffn_norm.weight", (cfg.dim,)),
        ]
    return out


def qwen2_tensors(cfg, tied):
    """llama's tensors plus the q/k/v biases."""
    out = []
    for name, shape in llama_tensors(cfg, tied):
        out.append((name, shape))
        for proj in ("attn_q", "attn_k", "attn_v"):
            if name.endswith("." + proj + ".weight"):
                out.append((name[:-len("weight")] + "bias", (shape[0],)))
    return out


def gpt2_tensors(cfg, tied):
    """(name, logical shape) of a GPT-2 model in llama.cpp's GGUF naming."""
    out = [("token_embd.weight", (cfg.vocab, cfg.dim)),
           ("position_embd.weight", (cfg.seq_len, cfg.dim)),
           ("output_norm.weight", (cfg.dim,)),
           ("output_norm.bias", (cfg.dim,))]
    if not tied:
        out.append(("output.weight", (cfg.vocab, cfg.dim)))
    qkv = cfg.dim + 2 * cfg.kv_dim
    for layer in range(cfg.layers):
        p = "blk.%d." % layer
        out += [
            (p + "attn_norm.weight", (cfg.dim,)),
            (p + "attn_norm.bias", (cfg.dim,)),
            (p + "attn_qkv.weight", (qkv, cfg.dim)),
            (p + "attn_qkv.bias", (qkv,)),
            (p + "attn_output.weight", (cfg.dim, cfg.dim)),
            (p + "attn_output.bias", (cfg.dim,)),
            (p + "ffn_norm.weight", (cfg.dim,)),
            (p + "ffn_norm.bias", (cfg.dim,)),
            (p + "ffn_up.weight", (cfg.hidden, cfg.dim)),
            (p + "ffn_up.bias", (cfg.hidden,)),
            (p + "ffn_down.weight", (cfg.dim, cfg.hidden)),
            (p + "ffn_down.bias", (cfg.dim,)),
        ]
    return out


def model_tensors(cfg, tied):
    return {"llama": llama_tensors, "qwen2": qwen2_tensors,
            "gpt2": gpt2_tensors}[cfg.arch](cfg, tied)


def random_weights(seed, name, shape):
    """Deterministic f32 weights for one tensor, from (seed, name)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    if name.endswith(".bias"):
        return (0.1 * rng.standard_normal(shape, dtype=np.float32)
                ).astype(np.float32)
    if len(shape) == 1:
        return (1.0 + 0.1 * rng.standard_normal(shape, dtype=np.float32)
                ).astype(np.float32)
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= np.float32(1.0 / np.sqrt(shape[-1]))
    return w


# --------------------------------------------------------------------------
# Tensor encodings (ggml reference quantizers, vectorised)
# --------------------------------------------------------------------------

def round_half_away(x):
    """C roundf: halves round away from zero (numpy rounds them to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_q8_0(w):
    """Q8_0 blocks: fp16 d = max|x| / 127, then 32 int8 q = round(x / d)."""
    x = w.reshape(-1, QK).astype(np.float32)
    amax = np.abs(x).max(axis=1)
    d = amax / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = round_half_away(x * inv[:, None]).astype(np.int8)
    out = np.empty((x.shape[0], 2 + QK), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(w):
    """Q4_0 blocks: fp16 d = m / -8 with m the signed value of largest
    magnitude, q = min(15, trunc(x / d + 8.5)); byte j packs element j (low
    nibble) and element j + 16 (high nibble)."""
    x = w.reshape(-1, QK).astype(np.float32)
    idx = np.abs(x).argmax(axis=1)
    m = x[np.arange(x.shape[0]), idx]
    d = m / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, np.trunc(x * inv[:, None] + 8.5)).astype(np.uint8)
    out = np.empty((x.shape[0], 2 + QK // 2), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :QK // 2] | (q[:, QK // 2:] << 4)
    return out.tobytes()


def encode(w, ttype):
    if ttype == "f32":
        return w.astype("<f4").tobytes()
    if ttype == "f16":
        return w.astype("<f2").tobytes()
    if w.shape[-1] % QK:
        sys.exit("error: rows of %d elements are not a multiple of %d for %s"
                 % (w.shape[-1], QK, ttype))
    return quantize_q8_0(w) if ttype == "q8_0" else quantize_q4_0(w)


CHUNK_ELEMENTS = 1 << 22


def write_tensor(f, w, ttype):
    """Encode and write \p w a few rows at a time (bounded temporaries);
    returns the number of bytes written."""
    rows = w.reshape(-1, w.shape[-1])
    step = max(1, CHUNK_ELEMENTS // rows.shape[1])
    written = 0
    for start in range(0, rows.shape[0], step):
        blob = encode(rows[start:start + step], ttype)
        f.write(blob)
        written += len(blob)
    return written


def encoded_size(shape, ttype):
    n = int(np.prod(shape))
    return {"f32": 4 * n, "f16": 2 * n, "q8_0": n // QK * 34,
            "q4_0": n // QK * 18}[ttype]


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------

def synthetic_vocab(size):
    """<unk>, <s>, </s>, the 256 byte pieces, then single characters and
    word pieces with decreasing scores (enough for tests, not for text)."""
    pieces = ["<unk>", "<s>", "</s>"]
    types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL]
    for b in range(256):
        pieces.append("<0x%02X>" % b)
        types.append(TOKEN_BYTE)
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    extra = [SPACE] + list(letters) + [SPACE + c for c in letters]
    extra += [a + b for a in letters for b in letters]
    extra += [SPACE + a + b for a in letters for b in letters]
    i = 0
    while len(pieces) < size:
        pieces.append(extra[i] if i < len(extra) else "<extra_%d>" % i)
        types.append(TOKEN_NORMAL)
        i += 1
    pieces, types = pieces[:size], types[:size]
    scores = [0.0 if t != TOKEN_NORMAL else -float(n)
              for n, t in enumerate(types)]
    return pieces, scores, types


def read_llama2c_tokenizer(path, size):
    """Pieces of a llama2.c tokenizer file in GGUF spelling."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 4
    pieces, scores, types = [], [], []
    for i in range(size):
        score, length = struct.unpack_from("<fi", data, pos)
        pos += 8
        raw = data[pos:pos + length].decode("utf-8", errors="replace")
        pos += length
        if i in (1, 2):
            raw = raw.strip("\n")
        raw = raw.replace(" ", SPACE)
        if i == 0:
            t = TOKEN_UNKNOWN
        elif i in (1, 2):
            t = TOKEN_CONTROL
        elif len(raw) == 6 and raw.startswith("<0x") and raw.endswith(">"):
            t = TOKEN_BYTE
        else:
            t = TOKEN_NORMAL
        pieces.append(raw)
        scores.append(score)
        types.append(t)
    return pieces, scores, types


def write_llama2c_tokenizer(path, pieces, scores, corrupt=None):
    """llama2.c spelling: U+2581 as space, <s> and </s> wrapped in newlines."""
    encoded = []
    for i, p in enumerate(pieces):
        if i in (1, 2):
            p = "\n" + p + "\n"
        encoded.append(p.replace(SPACE, " ").encode("utf-8"))
    with open(path, "wb") as f:
        f.write(struct.pack("<i", max(len(e) for e in encoded)))
        for e, s in zip(encoded, scores):
            f.write(struct.pack("<fi", s, len(e)))
            f.write(e)
    if corrupt == "tokenizer-truncated":
        os.truncate(path, os.path.getsize(path) - 3)


# --------------------------------------------------------------------------
# GGUF writer
# --------------------------------------------------------------------------

def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype, value):
    if vtype == GGUF_STRING:
        return gguf_string(value)
    if vtype == GGUF_ARRAY:
        etype, items = value
        body = b"".join(gguf_value(etype, v) for v in items)
        return struct.pack("<IQ", etype, len(items)) + body
    return struct.pack(SCALAR_FORMATS[vtype], value)


def write_gguf(path, cfg, args, pieces, scores, types):
    tied = not args.untied
    corrupt = args.corrupt
    align = args.alignment
    tensors = model_tensors(cfg, tied)
    if corrupt == "missing-tensor":
        tensors = [t for t in tensors if t[0] != "blk.0.ffn_norm.weight"]

    def ttype_of(name, shape):
        if len(shape) == 1:
            return "f32"  # norms stay f32, as llama.cpp does
        if name == "token_embd.weight" and args.embd_type:
            return args.embd_type
        return args.type

    # Tensor table: (name, file shape, type id, relative offset, writer).
    infos = []
    offset = 0
    for name, shape in tensors:
        ttype = ttype_of(name, shape)
        file_shape = shape
        if corrupt == "wrong-shape" and name == "blk.0.attn_q.weight":
            file_shape = (2 * shape[0], shape[1])
        type_id = GGML_TYPES[ttype]
        if corrupt == "unknown-type" and name == "blk.0.ffn_down.weight":
            type_id = 12  # Q4_K
        size = encoded_size(file_shape, ttype)
        infos.append([name, file_shape, type_id, offset, ttype, size])
        offset += (size + align - 1) // align * align
    if corrupt == "offset-past-eof":
        infos[-1][3] = (offset + 1024 * align)

    a = cfg.arch
    kv = [
        ("general.architecture", GGUF_STRING, a),
        ("general.name", GGUF_STRING, args.name),
        ("general.alignment", GGUF_U32, align),
        ("general.file_type", GGUF_U32, FILE_TYPES[args.type]),
        (a + ".context_length", GGUF_U32, cfg.seq_len),
        (a + ".embedding_length", GGUF_U32, cfg.dim),
        (a + ".feed_forward_length", GGUF_U32, cfg.hidden),
        (a + ".block_count", GGUF_U32, cfg.layers),
        (a + ".attention.head_count", GGUF_U32, cfg.heads),
        (a + ".attention.head_count_kv", GGUF_U32, cfg.kv_heads),
        (a + ".vocab_size", GGUF_U32, cfg.vocab),
    ]
    if a == "gpt2":
        kv.append((a + ".attention.layer_norm_epsilon", GGUF_F32, cfg.eps))
    else:
        kv += [
            (a + ".attention.layer_norm_rms_epsilon", GGUF_F32, cfg.eps),
            (a + ".rope.freq_base", GGUF_F32, cfg.theta),
            (a + ".rope.dimension_count", GGUF_U32, cfg.head_dim),
        ]
    if args.bpe_vocab:
        # GPT-2's byte-level BPE: pieces and merges, no scores.
        kv += [
            ("tokenizer.ggml.model", GGUF_STRING, "gpt2"),
            ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, pieces)),
            ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, types)),
            ("tokenizer.ggml.merges", GGUF_ARRAY,
             (GGUF_STRING, ["e t", "a o"])),
            ("tokenizer.ggml.bos_token_id", GGUF_U32, 1),
            ("tokenizer.ggml.eos_token_id", GGUF_U32, 1),
        ]
    else:
        kv += [
            ("tokenizer.ggml.model", GGUF_STRING, "llama"),
            ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, pieces)),
            ("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_F32, scores)),
            ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, types)),
            ("tokenizer.ggml.bos_token_id", GGUF_U32, 1),
            ("tokenizer.ggml.eos_token_id", GGUF_U32, 2),
            ("tokenizer.ggml.unknown_token_id", GGUF_U32, 0),
            ("tokenizer.ggml.add_bos_token", GGUF_BOOL, True),
            ("tokenizer.ggml.add_space_prefix", GGUF_BOOL, True),
        ]
    meta = bytearray()
    for key, vtype, value in kv:
        entry = gguf_string(key) + struct.pack("<I", vtype)
        payload = gguf_value(vtype, value)
        if corrupt == "bad-string-length" and key == "general.name":
            payload = struct.pack("<Q", 0xFFFFFFFFFFFF) + payload[8:]
        if corrupt == "huge-array-count" and key == "tokenizer.ggml.scores":
            payload = payload[:4] + struct.pack("<Q", 1 << 60) + payload[12:]
        meta += entry + payload

    header = b"GGUF" if corrupt != "bad-magic" else b"GGUX"
    header += struct.pack("<IQQ", 3, len(infos), len(kv))
    table = bytearray()
    for name, shape, type_id, rel, _, _ in infos:
        table += gguf_string(name) + struct.pack("<I", len(shape))
        table += b"".join(struct.pack("<Q", n) for n in reversed(shape))
        table += struct.pack("<IQ", type_id, rel)

    with open(path, "wb") as f:
        f.write(header)
        f.write(meta)
        f.write(table)
        pos = f.tell()
        f.write(b"\0" * ((-pos) % align))
        data_start = f.tell()
        for name, shape, _, rel, ttype, size in infos:
            if corrupt == "offset-past-eof" and name == infos[-1][0]:
                break
            f.write(b"\0" * (data_start + rel - f.tell()))
            written = write_tensor(
                f, random_weights(args.seed, name, shape), ttype)
            assert written == size
    if corrupt == "truncated":
        os.truncate(path, os.path.getsize(path) - 7)


# --------------------------------------------------------------------------
# llama2.c writer
# --------------------------------------------------------------------------

def write_llama2c(path, cfg, args):
    tied = not args.untied
    vocab_field = cfg.vocab if tied else -cfg.vocab
    heads = cfg.heads
    if args.corrupt == "bad-header":
        heads = cfg.heads + 1 if cfg.dim % (cfg.heads + 1) else cfg.heads + 2
    stacked = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
               "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"]
    shapes = dict(llama_tensors(cfg, tied))
    with open(path, "wb") as f:
        f.write(struct.pack("<7i", cfg.dim, cfg.hidden, cfg.layers, heads,
                            cfg.kv_heads, vocab_field, cfg.seq_len))
        write_tensor(f, random_weights(args.seed, "token_embd.weight",
                                       shapes["token_embd.weight"]), "f32")
        for base in stacked:
            for layer in range(cfg.layers):
                name = "blk.%d.%s.weight" % (layer, base)
                write_tensor(f, random_weights(args.seed, name, shapes[name]),
                             "f32")
        write_tensor(f, random_weights(args.seed, "output_norm.weight",
                                       shapes["output_norm.weight"]), "f32")
        # freq_cis_real / imag [seq_len, head_dim / 2] (unused by readers)
        pos = np.arange(cfg.seq_len, dtype=np.float64)[:, None]
        freqs = cfg.theta ** (-np.arange(0, cfg.head_dim, 2) / cfg.head_dim)
        angles = pos * freqs[None, :]
        f.write(np.cos(angles).astype("<f4").tobytes())
        f.write(np.sin(angles).astype("<f4").tobytes())
        if not tied:
            write_tensor(f, random_weights(args.seed, "output.weight",
                                           shapes["output.weight"]), "f32")
        if args.corrupt == "trailing-bytes":
            f.write(b"\0" * 8)
    if args.corrupt == "truncated":
        os.truncate(path, os.path.getsize(path) - 4)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--arch", choices=["llama", "qwen2", "gpt2"],
                    default="llama",
                    help="model architecture (qwen2 and gpt2: GGUF only)")
    ap.add_argument("--format", choices=["gguf", "llama2c"],
                    help="default: from the extension (.gguf or other)")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=172)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=0,
                    help="default: --heads")
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--norm-eps", type=float, default=1e-5)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--type", choices=sorted(GGML_TYPES), default="f32",
                    help="storage of the matrices (GGUF); norms stay f32")
    ap.add_argument("--embd-type", choices=sorted(GGML_TYPES),
                    help="storage of token_embd.weight (default: --type)")
    ap.add_argument("--untied", action="store_true",
                    help="write a separate classifier (output.weight)")
    ap.add_argument("--bpe-vocab", action="store_true",
                    help="write a \"gpt2\" byte-level BPE vocabulary "
                         "(GGUF)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--alignment", type=int, default=32)
    ap.add_argument("--name", default="llmc-test")
    ap.add_argument("--tokenizer",
                    help="llama2.c tokenizer file to copy the vocabulary "
                         "from (default: a synthetic vocabulary)")
    ap.add_argument("--tokenizer-out",
                    help="llama2.c: where to write the tokenizer (default: "
                         "tok<vocab>.bin next to the model)")
    corruptions = sorted(set(GGUF_CORRUPTIONS + LLAMA2C_CORRUPTIONS))
    ap.add_argument("--corrupt", choices=corruptions,
                    help="write a deliberately broken file")
    args = ap.parse_args()

    fmt = args.format or ("gguf" if args.output.endswith(".gguf")
                          else "llama2c")
    valid = GGUF_CORRUPTIONS if fmt == "gguf" else LLAMA2C_CORRUPTIONS
    if args.corrupt and args.corrupt not in valid:
        ap.error("--corrupt %s does not apply to %s" % (args.corrupt, fmt))
    if fmt == "llama2c" and (args.type != "f32" or args.embd_type):
        ap.error("llama2.c checkpoints are f32 only")
    if fmt == "llama2c" and args.arch != "llama":
        ap.error("llama2.c checkpoints are llama models only")
    cfg = Config(args)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    if args.tokenizer:
        pieces, scores, types = read_llama2c_tokenizer(args.tokenizer,
                                                       cfg.vocab)
    else:
        pieces, scores, types = synthetic_vocab(cfg.vocab)

    if fmt == "gguf":
        write_gguf(args.output, cfg, args, pieces, scores, types)
    else:
        write_llama2c(args.output, cfg, args)
        tok_out = args.tokenizer_out or os.path.join(
            os.path.dirname(args.output) or ".", "tok%d.bin" % cfg.vocab)
        write_llama2c_tokenizer(tok_out, pieces, scores, args.corrupt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
