#!/usr/bin/env python3
"""Checks the roofline fields of one `llmc-run --benchmark --bandwidth --json`
object (docs/runtime.md): each run's fraction is decode tokens/s over
(bandwidth / bytes per token), so the median fraction lies within its range,
the median bandwidth within the fastest pass, and the roofline is the median
bandwidth over the bytes per token. Each run's bandwidth comes from the
median reads of the probe passes beside it and its peak fraction from the
fastest read, so the peak fraction is at most the fraction. Exits 1 with a
message otherwise."""

import json
import sys


def main():
    record = json.load(open(sys.argv[1]))
    low = record["decode_roofline_fraction_min"]
    mid = record["decode_roofline_fraction"]
    high = record["decode_roofline_fraction_max"]
    best = record["bandwidth_gb_per_second"]
    median = record["bandwidth_median_gb_per_second"]
    bytes_per_token = record["decode_bytes_per_token"]
    roofline = record["decode_roofline_tokens_per_second"]
    peak = record["decode_peak_roofline_fraction"]
    problems = []
    if not 0 < peak <= mid:
        problems.append("peak fraction %g not in (0, %g]" % (peak, mid))
    if not 0 < low <= mid <= high:
        problems.append("fractions not ordered: %g %g %g" % (low, mid, high))
    if not 0 < median <= best:
        problems.append("median bandwidth %g above the best %g" %
                        (median, best))
    expected = median * 1e9 / bytes_per_token
    if abs(roofline - expected) > 1e-3 * expected:
        problems.append("roofline %g is not %g GB/s / %g bytes = %g" %
                        (roofline, median, bytes_per_token, expected))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("roofline fields consistent")


if __name__ == "__main__":
    main()
