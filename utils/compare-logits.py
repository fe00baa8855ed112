#!/usr/bin/env python3
"""Compares llmc logits with reference (ONNX Runtime) logits of a greedy run.

    compare-logits.py --reference R.f32 --actual A.f32 --vocab V \
        --tokens T.txt [--prompt-len P] [--max-abs-err 1e-3]

R and A hold float32 logits [steps][vocab]; T holds the tokens of the run
(prompt, then the reference's greedy choices). Checks that every logit is
within --max-abs-err of the reference (and the largest error within
--max-rel-err of the largest reference logit) and that llmc's argmax at every
position equals the reference's (so llmc's own greedy run picks the same
tokens: each generated token of T is the argmax of the row before it).
Prints the measured maximum error and the argmax agreement; exits 1 on a
mismatch.
"""
import argparse
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", required=True)
    p.add_argument("--actual", required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--tokens", required=True)
    p.add_argument("--prompt-len", type=int, default=1)
    p.add_argument("--max-abs-err", type=float, default=1e-3)
    p.add_argument("--max-rel-err", type=float, default=1e-4,
                   help="bound on max error / max |reference logit| (keeps "
                        "the check meaningful for models with tiny logits)")
    a = p.parse_args()
    ref = np.fromfile(a.reference, dtype=np.float32)
    act = np.fromfile(a.actual, dtype=np.float32)
    if ref.size % a.vocab or ref.size != act.size:
        print(f"size mismatch: reference {ref.size}, actual {act.size} floats "
              f"(vocab {a.vocab})")
        return 1
    ref = ref.reshape(-1, a.vocab)
    act = act.reshape(-1, a.vocab)
    tokens = [int(t) for t in open(a.tokens).read().split()]
    steps = ref.shape[0]
    if len(tokens) != steps:
        print(f"{len(tokens)} tokens for {steps} logit rows")
        return 1
    if not np.all(np.isfinite(act)):
        print("actual logits are not finite")
        return 1
    err = float(np.max(np.abs(ref - act)))
    rel = err / max(float(np.max(np.abs(ref))), 1e-30)
    ref_arg = ref.argmax(axis=1)
    act_arg = act.argmax(axis=1)
    agree = int(np.sum(ref_arg == act_arg))
    greedy_ok = all(act_arg[i] == tokens[i + 1]
                    for i in range(a.prompt_len - 1, steps - 1))
    print(f"steps {steps} max_abs_err {err:.3g} max_rel_err {rel:.3g} "
          f"argmax_agree {agree}/{steps} "
          f"greedy {'same' if greedy_ok else 'DIFFERENT'}")
    if (err > a.max_abs_err or rel > a.max_rel_err or agree != steps
            or not greedy_ok):
        print(f"FAIL: tolerance {a.max_abs_err} absolute, {a.max_rel_err} "
              f"relative")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
