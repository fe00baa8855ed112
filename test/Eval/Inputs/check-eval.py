#!/usr/bin/python3
"""Check conditions on `llmc eval --json` output.

  check-eval.py EVAL.json 'EXPR' ...

Each EXPR is a Python expression over `d` (the whole object), `s` (the first
token set), `sets` (all of them) and `g` (the greedy comparison or None).
Prints each expression with its value and fails if one is false.
"""
import json
import sys


def main():
    with open(sys.argv[1]) as f:
        d = json.load(f)
    sets = d["token_sets"]
    env = {"d": d, "s": sets[0] if sets else None, "sets": sets,
           "g": d["greedy"]}
    failed = False
    for expr in sys.argv[2:]:
        ok = bool(eval(expr, {}, env))
        print("%s: %s" % ("PASS" if ok else "FAIL", expr))
        failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
