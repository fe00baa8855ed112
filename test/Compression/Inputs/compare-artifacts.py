#!/usr/bin/python3
"""Compares two llmc artifact directories (compressed vs reference): prints
the weights-file and KV-cache size ratios and fails if they exceed limits.

Usage: compare-artifacts.py COMPRESSED REFERENCE [--max-weights-ratio R]
                            [--kv-ratio R]
"""
import argparse
import json
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument("compressed")
ap.add_argument("reference")
ap.add_argument("--max-weights-ratio", type=float, default=1.0)
ap.add_argument("--kv-ratio", type=float)
a = ap.parse_args()
size = lambda d: os.path.getsize(os.path.join(d, "model.llmw"))
manifest = lambda d: json.load(open(os.path.join(d, "manifest.json")))
weights = size(a.compressed) / size(a.reference)
kv = manifest(a.compressed)["kv_cache_bytes"] / manifest(a.reference)["kv_cache_bytes"]
print("weights file ratio %.3f" % weights)
print("kv cache ratio %.3f" % kv)
ok = weights <= a.max_weights_ratio
if a.kv_ratio is not None:
    ok = ok and abs(kv - a.kv_ratio) < 1e-9
sys.exit(0 if ok else 1)
