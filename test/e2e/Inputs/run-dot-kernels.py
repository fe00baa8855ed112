#!/usr/bin/python3
"""Compiles a model at several int8/int4 formats with the fast integer
dot-product kernels and with the reference kernels, runs a token sequence
through each build and checks:
  - fast vs reference: mean KL <= --max-kl and, for trained models (random
    ones have near-ties), the same argmax at >= --min-argmax positions;
  - every other build of the fast kernels (x86 VNNI, AArch64 +dotprod,
    AArch64 +i8mm, RISC-V V at two vector lengths) gives bit-identical
    logits to the portable x86-64-v3 build;
  - with --prefill-chunk, the same for the last token's logits of a
    prefill (llmc-run --prefill: full chunks through the prefill kernels,
    e.g. AArch64 i8mm smmla), which must also equal the host's decode.
Prints one line per format; exits non-zero on the first failure."""
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


def log_softmax(v):
    v = v.astype(np.float64)
    v = v - v.max(1, keepdims=True)
    return v - np.log(np.exp(v).sum(1, keepdims=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("model")
    ap.add_argument("formats", nargs="+")
    ap.add_argument("--llmc", default="llmc")
    ap.add_argument("--run-aarch64", required=True)
    ap.add_argument("--run-riscv64", action="append", default=[])
    ap.add_argument("--vnni", action="store_true",
                    help="also build and run for x86_64:znver4 (VNNI)")
    ap.add_argument("--i8mm", action="store_true",
                    help="also build and run for aarch64:neoverse-n2 "
                    "(+dotprod +i8mm: smmla prefill)")
    ap.add_argument("--prefill-chunk", type=int, default=0,
                    help="compile the fast builds with this prefill chunk "
                    "and also compare prefill logits")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--max-kl", type=float, default=1e-3)
    ap.add_argument("--min-argmax", type=int, default=0)
    a = ap.parse_args()

    builds = [("ref", "x86_64", ["--kernels=reference"], []),
              ("fast", "x86_64", [], []),
              ("a64", "aarch64:generic:+neon,+dotprod", [],
               shlex.split(a.run_aarch64))]
    if a.vnni:
        builds.append(("vnni", "x86_64:znver4", [], []))
    if a.i8mm:
        builds.append(("i8mm", "aarch64:neoverse-n2", [],
                       shlex.split(a.run_aarch64)))
    chunk = (["--prefill-chunk", str(a.prefill_chunk)]
             if a.prefill_chunk else [])
    for fmt in a.formats:
        logits, prefill = {}, {}

        def run_build(name, out, runner, prefix):
            exe = os.path.join(out, "llmc-run")
            logits[name] = prefix + ".f32"
            run(runner + [exe, "--tokens", TOKENS, "--logits-out",
                          logits[name]])
            if a.prefill_chunk and name != "ref":
                prefill[name] = prefix + "-prefill.f32"
                run(runner + [exe, "--tokens", TOKENS, "--prefill",
                              "--logits-out", prefill[name]])

        for name, target, extra, runner in builds:
            out = os.path.join(a.workdir, "%s-%s" % (fmt.replace(":", "_"),
                                                     name))
            run([a.llmc, "compile", a.model, "--target", target,
                 "--quantize", fmt, "-o", out] + extra +
                (chunk if name != "ref" else []))
            run_build(name, out, runner, out)
        if a.run_riscv64:
            out = os.path.join(a.workdir, "%s-rv" % fmt.replace(":", "_"))
            run([a.llmc, "compile", a.model, "--target", "riscv64",
                 "--quantize", fmt, "-o", out] + chunk)
        for i, runner in enumerate(a.run_riscv64):
            run_build("rv%d" % i, out, shlex.split(runner),
                      "%s-%d" % (out, i))
        data = {k: np.fromfile(v, np.float32).reshape(-1, a.vocab)
                for k, v in logits.items()}
        fast, ref = data["fast"], data["ref"]
        same = int((fast.argmax(1) == ref.argmax(1)).sum())
        lf, lr = log_softmax(fast), log_softmax(ref)
        kl = float((np.exp(lr) * (lr - lf)).sum(1).mean())
        identical = [k for k in data if k not in ("fast", "ref")
                     and np.array_equal(data[k].view(np.uint32),
                                        fast.view(np.uint32))]
        others = sorted(k for k in data if k not in ("fast", "ref"))
        line = ("%s: argmax %d/%d mean-kl %.2e max-abs %.3f bit-identical %s"
                % (fmt, same, fast.shape[0], kl, np.abs(fast - ref).max(),
                   ",".join(sorted(identical))))
        # Prefill: every build's last-token logits equal the host decode's.
        last = fast[-1].view(np.uint32)
        same_prefill = sorted(
            k for k, v in prefill.items()
            if np.array_equal(np.fromfile(v, np.float32).view(np.uint32),
                              last))
        if prefill:
            line += " prefill-identical %s" % ",".join(same_prefill)
        print(line)
        if same < a.min_argmax or kl > a.max_kl:
            sys.exit("%s: fast kernels disagree with the reference" % fmt)
        if sorted(identical) != others:
            sys.exit("%s: builds %s differ from the host build" %
                     (fmt, ",".join(sorted(set(others) - set(identical)))))
        if same_prefill != sorted(prefill):
            sys.exit("%s: prefill of builds %s differs from the host decode"
                     % (fmt, ",".join(sorted(set(prefill) -
                                             set(same_prefill)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
