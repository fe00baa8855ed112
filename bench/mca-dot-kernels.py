#!/usr/bin/python3
"""Static throughput of the integer dot-product inner loops with llvm-mca.

Compiles a random-weight model whose linears have 2048 inputs at each
format for each target with --emit-asm, finds the block loop of the
decode (llmc_model_forward) integer dot-product kernel in the assembly
(the self-looping basic block that holds the target's dot-product
instruction; in the interleaved kernel one iteration covers one 32-weight
block of 16 output rows) and runs llvm-mca on it. The weights per
iteration follow from the dot instructions in it (multiply-adds each
instruction does for one input row). Prints one table row per (target,
format): the loop's instruction count, dot instructions, and estimated
cycles per 32 weights.
Rows whose kernel is "prefill" measure the prefill copy's block loop
instead (llmc_model_prefill_chunk, 16 input rows per call: tiles of 4
rows share each weight block); there "cycles per 32 weights" is per 32
multiply-adds, i.e. per 32 weights of one input row, so it compares
with decode directly (AArch64 i8mm: smmla does 2 rows x 2 input rows x 8
multiply-adds).
Under qemu only correctness counts; these are the speed estimates for
boards we do not have (docs/benchmarks.md).
With --sparse the model is compiled with --sparse 2:4 for znver4 only (the
interleaved 2:4 sparse kernel): each dot instruction multiplies kept
values that stand for twice as many weights, zeros included.

    bench/mca-dot-kernels.py [--llmc build/bin/llmc] [--workdir DIR]
                             [--targets LABEL,...] [--formats FMT,...]
                             [--sparse]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (label, llmc target, llvm-mca triple, llvm-mca cpu, dot-instruction
# regex, multiply-adds per dot instruction[, kernel: "decode" (default) or
# "prefill"])
TARGETS = [
    ("cortex-a76", "aarch64:cortex-a76", "aarch64", "cortex-a76",
     r"\bsdot\b", 16),  # 4 lanes x 4 bytes
    # 16 rows x one input element per widening multiply (vwmul, vwmulsu)
    # or widening multiply-add (vwmacc).
    ("spacemit-x60", "riscv64:spacemit-x60", "riscv64", "spacemit-x60",
     r"\bvwmul(su)?\.v[vx]\b|\bvwmacc\.vx\b", 16),
    ("znver4", "x86_64:znver4", "x86_64", "znver4", r"\bvpdpbusd\b",
     64),  # zmm: 16 lanes x 4 bytes
    ("x86-64-v3", "x86_64", "x86_64", "x86-64-v3", r"\bvpmaddubsw\b",
     32),  # ymm: 32 bytes
    # AArch64 i8mm: 8-byte-word weights; decode sdot, prefill smmla, and
    # the same CPU without i8mm (4-byte words, sdot prefill) to compare.
    ("neoverse-n2", "aarch64:neoverse-n2", "aarch64", "neoverse-n2",
     r"\bsdot\b", 16),
    ("neoverse-n2", "aarch64:neoverse-n2", "aarch64", "neoverse-n2",
     r"\bsmmla\b", 32, "prefill"),
    ("neoverse-n2 -i8mm", "aarch64:neoverse-n2:-i8mm", "aarch64",
     "neoverse-n2", r"\bsdot\b", 16, "prefill"),
    ("cortex-a76", "aarch64:cortex-a76", "aarch64", "cortex-a76",
     r"\bsdot\b", 16, "prefill"),
]
FORMATS = ["q8_0", "q4_0", "int8", "int4"]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout,
                                               r.stderr))
    return r.stdout


def basic_blocks(asm, comment):
    """(label, [instruction lines]) for every labelled block."""
    blocks, label, body = [], None, []
    for line in asm.splitlines():
        m = re.match(r"^([.\w$]+):", line)
        if m:
            if label:
                blocks.append((label, body))
            label, body = m.group(1), []
            continue
        s = line.split(comment)[0].strip()
        if label and s and not s.startswith("."):
            body.append(s)
    if label:
        blocks.append((label, body))
    return blocks


def chunk_loop(asm, dot_re, comment):
    """The chunk loop: the block with the most dot instructions and the
    blocks after it up to the one that branches back to it (a self-looping
    block on most targets; RISC-V keeps a short latch block apart)."""
    blocks = basic_blocks(asm, comment)
    counts = [sum(1 for ins in body if re.search(dot_re, ins))
              for _, body in blocks]
    for first in sorted(range(len(blocks)), key=lambda i: -counts[i]):
        if not counts[first]:
            break
        label = blocks[first][0]
        body = []
        for _, extra in blocks[first:first + 4]:
            # Up to the branch back (a block runs on past a conditional
            # branch that has no label after it).
            for ins in extra:
                body.append(ins)
                if re.search(re.escape(label) + r"\b", ins):
                    return body, counts[first], "loop"
    # No loop around it (the chunk loop was restructured, e.g. on RISC-V
    # where LLVM rotates it into several blocks): the straight-line block
    # with the most dot instructions, one chunk.
    first = max(range(len(blocks)), key=lambda i: counts[i])
    if not counts[first]:
        return None
    return blocks[first][1], counts[first], "block"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llmc", default=os.path.join(ROOT, "build/bin/llmc"))
    ap.add_argument("--llvm-mca", default="llvm-mca-22")
    ap.add_argument("--workdir")
    ap.add_argument("--sparse", action="store_true",
                    help="the 2:4 sparse kernel (znver4 only)")
    ap.add_argument("--targets",
                    help="comma-separated labels to measure (default: all)")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="comma-separated formats (default: %(default)s)")
    a = ap.parse_args()
    labels = a.targets.split(",") if a.targets else None
    work = a.workdir or tempfile.mkdtemp(prefix="llmc-mca-")
    model = os.path.join(work, "m.gguf")
    run([sys.executable, os.path.join(ROOT, "utils/make-test-model.py"), "-o",
         model, "--dim", "2048", "--hidden", "256", "--layers", "1",
         "--heads", "16", "--kv-heads", "16", "--vocab", "64", "--seq-len",
         "16", "--type", "f32", "--untied"])
    print("| target (-mcpu) | kernel | format | measured | instructions "
          "| dot instructions | cycles / iteration | cycles per 32 weights |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    compiled = set()
    for label, target, triple, cpu, dot_re, macs, *rest in TARGETS:
        kernel = rest[0] if rest else "decode"
        if labels and label not in labels:
            continue
        if a.sparse and label != "znver4":
            continue
        for fmt in a.formats.split(","):
            out = os.path.join(work, "%s-%s%s" % (target.replace(":", "_"),
                                                  fmt,
                                                  "-sparse" if a.sparse else ""))
            if out not in compiled:  # once per run for both kernels
                compiled.add(out)
                run([a.llmc, "compile", model, "--target", target,
                     "--quantize", fmt, "--emit-asm", "-o", out] +
                    (["--sparse", "2:4"] if a.sparse else []))
            with open(os.path.join(out, "model.s")) as f:
                # Decode: before the first llmc_model_prefill label; the
                # prefill copy comes after it.
                parts = f.read().split("\nllmc_model_prefill", 1)
                asm = parts[0] if kernel == "decode" else parts[-1]
                found = chunk_loop(asm, dot_re,
                                   "//" if triple == "aarch64" else "#")
            if not found:
                print("| %s | %s | %s | no %s found | | | | |" %
                      (label, kernel, fmt, dot_re))
                continue
            body, dots, kind = found
            iterations = 200
            report = run([a.llvm_mca, "-mtriple=" + triple, "-mcpu=" + cpu,
                          "-iterations=%d" % iterations],
                         input="\n".join(body) + "\n")
            cycles = int(re.search(r"Total Cycles:\s+(\d+)", report).group(1))
            per_iter = cycles / iterations
            print("| %s | %s | %s | %s | %d | %d | %.1f | %.2f |" %
                  (label, kernel, fmt, kind, len(body), dots, per_iter,
                   # With --sparse each kept value stands for 2 weights.
                   per_iter * 32 / (dots * macs * (2 if a.sparse else 1))))


if __name__ == "__main__":
    main()
