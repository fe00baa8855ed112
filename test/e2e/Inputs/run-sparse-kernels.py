#!/usr/bin/python3
"""Compiles a model 2:4-pruned and quantized at several int8/int4 formats
twice: with the zeros stored densely (llm-prune-nm through --compress) and
stored sparse (--sparse 2:4, the compressed layout and its kernels). Runs a
token sequence through each build and checks that every sparse build
(x86-64-v3 AVX2, x86 AVX512-VNNI with --vnni, AArch64 +dotprod and RISC-V V
under qemu) gives logits bit-identical to the dense x86-64-v3 build, and
that the sparse weights file is smaller. Prints one line per format; exits
non-zero on the first failure."""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np

TOKENS = "1 72 100 250 7 33 9 200 5 61 144 17 88 3 299 41"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout,
                                               r.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("model")
    ap.add_argument("formats", nargs="+")
    ap.add_argument("--llmc", default="llmc")
    ap.add_argument("--run-aarch64", default="")
    ap.add_argument("--run-riscv64", default="")
    ap.add_argument("--vnni", action="store_true",
                    help="also build and run for x86_64:znver4 (VNNI)")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--prefill-chunk", default="4")
    a = ap.parse_args()

    builds = [("avx2", "x86_64", None)]
    if a.vnni:
        builds.append(("vnni", "x86_64:znver4", None))
    if a.run_aarch64:
        builds.append(("a64", "aarch64:generic:+neon,+dotprod",
                       shlex.split(a.run_aarch64)))
    if a.run_riscv64:
        builds.append(("rv", "riscv64", shlex.split(a.run_riscv64)))
    for fmt in a.formats:
        base = os.path.join(a.workdir, fmt.replace(":", "_"))

        def build(name, target, options, runner):
            out = "%s-%s" % (base, name)
            run([a.llmc, "compile", a.model, "--target", target, "--quantize",
                 fmt, "--prefill-chunk", a.prefill_chunk, "-o", out] + options)
            path = out + ".f32"
            run((runner or []) + [os.path.join(out, "llmc-run"), "--tokens",
                                  TOKENS, "--logits-out", path])
            return out, np.fromfile(path, np.float32).reshape(-1, a.vocab)

        dense_dir, dense = build("dense", "x86_64",
                                 ["--compress=llm-prune-nm{n=2 m=4}"], None)
        identical, sizes = [], {}
        for name, target, runner in builds:
            out, logits = build(name, target, ["--sparse=2:4"], runner)
            sizes[name] = os.path.getsize(os.path.join(out, "model.llmw"))
            if np.array_equal(logits.view(np.uint32), dense.view(np.uint32)):
                identical.append(name)
        dense_size = os.path.getsize(os.path.join(dense_dir, "model.llmw"))
        ratio = sizes["avx2"] / dense_size
        # The VNNI build's sparse weights use the interleaved sparse layout.
        vnni = (" (vnni weights %.3f)" % (sizes["vnni"] / dense_size)
                if "vnni" in sizes else "")
        print("%s: sparse/dense weights %.3f bit-identical %s%s" %
              (fmt, ratio, ",".join(identical), vnni))
        if len(identical) != len(builds):
            sys.exit("%s: sparse builds %s differ from the dense build" %
                     (fmt, ",".join(n for n, _, _ in builds
                                    if n not in identical)))
        if ratio >= 1.0:
            sys.exit("%s: the sparse weights file is not smaller" % fmt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
