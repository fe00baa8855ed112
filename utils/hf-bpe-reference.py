#!/usr/bin/python3
"""Reference BPE encoder for Hugging Face tokenizer.json files.

A plain re-implementation of what the `tokenizers` library does for the two
BPE forms llmc supports, written from its documented semantics, used to
produce the expected token ids of llmc's tokenizer unit tests:

  sentencepiece  Llama-2 conversions: "Prepend ▁" / "Replace ' ' -> ▁"
                 normalizer (or a Metaspace pre-tokenizer), the whole text is
                 one word, characters missing from the vocabulary fall back
                 to "<0xXX>" byte pieces.
  byte-level     GPT-2 / Llama-3 / Qwen2: the text is split by the
                 pre-tokenizer regex, each chunk's UTF-8 bytes are spelled
                 with GPT-2's bytes_to_unicode() alphabet.

Both then apply merges by rank: repeatedly the adjacent pair with the lowest
merge rank (leftmost on ties) is merged.

Usage: hf-bpe-reference.py TOKENIZER.json TEXT...   (prints one id list per
text). Needs only the standard library (the `regex` module for byte-level
pre-tokenization: Debian python3-regex).
"""
import json
import sys

SPACE = "\u2581"
GPT2_PATTERN = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+"
                r"| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    bs = (list(range(ord("!"), ord("~") + 1)) +
          list(range(ord("\u00a1"), ord("\u00ac") + 1)) +
          list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def components(node):
    if not isinstance(node, dict):
        return []
    out = [node]
    for key in ("normalizers", "pretokenizers", "decoders"):
        for item in node.get(key) or []:
            out += components(item)
    return out


def bpe(symbols, ranks):
    while len(symbols) > 1:
        best, best_rank = None, None
        for i in range(len(symbols) - 1):
            r = ranks.get((symbols[i], symbols[i + 1]))
            if r is not None and (best_rank is None or r < best_rank):
                best, best_rank = i, r
        if best is None:
            break
        symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
    return symbols


def encode(tok, text):
    model = tok["model"]
    vocab = model["vocab"]
    ranks = {}
    for r, m in enumerate(model["merges"]):
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        ranks.setdefault((a, b), r)
    pre = components(tok.get("pre_tokenizer"))
    if any(c["type"] == "ByteLevel" for c in pre):
        import regex
        pattern = GPT2_PATTERN
        for c in pre:
            if c["type"] == "Split":
                pattern = c["pattern"]["Regex"]
        table = bytes_to_unicode()
        ids = []
        for chunk in regex.findall(pattern, text):
            symbols = [table[b] for b in chunk.encode("utf-8")]
            ids += [vocab[s] for s in bpe(symbols, ranks)]
        return ids
    normal = components(tok.get("normalizer"))
    if any(c["type"] == "Prepend" for c in normal):
        text = SPACE + text
    text = text.replace(" ", SPACE)
    symbols = []
    for ch in text:
        if ch in vocab:
            symbols.append(ch)
        else:
            symbols += ["<0x%02X>" % b for b in ch.encode("utf-8")]
    return [vocab[s] for s in bpe(symbols, ranks)]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        tok = json.load(f)
    for text in sys.argv[2:]:
        print(" ".join(map(str, encode(tok, text))))


if __name__ == "__main__":
    main()
