#!/usr/bin/python3
"""One-run benchmark table of llmc on this machine (docs/benchmarks.md).

Generates random-weight models in the standard shapes with
utils/make-test-model.py (stories260K is the bundled model), compiles each
at f32, f16, q8_0 and q4_0 for this machine's CPU, and measures every
artifact with its own runtime:

  OUT/llmc-run --benchmark --bandwidth --json --prompt-tokens P
               --gen-tokens G --threads T --repeat R

for P = 64 and 512 (by default) and each thread count. Each run times the
P-token prefill and G greedy decode steps after it, then probes the memory
read bandwidth with the same threads, so the roofline of every row is
measured in the same process as its decode, within a second of each run.
Prints one markdown table on stdout; progress and time estimates go to
stderr.

Columns (docs/benchmarks.md explains them):
  weights MB       weights data the model reads (llmc_model_info [6]), 10^6 B
  prefill P        prompt tokens/s of a P-token prompt (median of R)
  decode @P        tokens/s of G greedy decode steps after P tokens of context
  bytes/tok @P     bytes a decode step reads: streamed weights (all but the
                   gathered embedding tables) + one row of each gathered table
                   + K/V of the attended positions (mean over the G steps)
  GB/s             read bandwidth: the median over the R runs of each run's
                   harmonic mean of the median reads of the probe passes
                   right before and after it (the fastest read in brackets)
  roofline @P      median over the R runs of each run's decode tokens/s ÷
                   (bandwidth ÷ bytes/tok @P), the bandwidth being that of
                   the probe passes right before and after that run
  peak @P          the same against the fastest read of those passes; a run
                   that did nothing but read would score below 100% here on
                   a machine whose bandwidth varies (bench/probe-windows.sh)
  peak RSS MB      largest peak resident set size of the runs (getrusage)

Models, compiles and a results cache live in --work (reused across runs;
delete a file to redo it). Example, a quick check:

  bench/llmc-bench.py --shapes stories260K --formats f32 --threads 1
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (make-test-model.py arguments, or None for the bundled model)
SHAPES = {
    "stories260K": None,
    "110M": ["--dim", "768", "--hidden", "2048", "--layers", "12",
             "--heads", "12", "--kv-heads", "12", "--vocab", "32000",
             "--seq-len", "1024", "--untied"],
    "TinyLlama-1.1B": ["--dim", "2048", "--hidden", "5632", "--layers", "22",
                       "--heads", "32", "--kv-heads", "4", "--vocab", "32000",
                       "--seq-len", "2048", "--untied"],
}
# Parameters (for time estimates only): stories260K, 110M, TinyLlama.
PARAMS = {"stories260K": 0.29e6, "110M": 134e6, "TinyLlama-1.1B": 1.1e9}
# GGUF tensor types of make-test-model.py and their bytes per weight.
FORMATS = {"f32": 4.0, "f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
STORIES260K = os.path.join(REPO, "models", "stories260K", "stories260K.gguf")


def log(message):
    print("[llmc-bench %s] %s" % (time.strftime("%H:%M:%S"), message),
          file=sys.stderr, flush=True)


def host_target():
    """x86_64/aarch64/riscv64 with the CPU LLVM detects on this host."""
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64",
            "arm64": "aarch64", "riscv64": "riscv64"}.get(platform.machine())
    if not arch:
        sys.exit("llmc-bench: unsupported host %s; pass --target"
                 % platform.machine())
    try:
        out = subprocess.run(["/usr/lib/llvm-22/bin/llc", "--version"],
                             capture_output=True, text=True).stdout
        cpu = re.search(r"Host CPU:\s*(\S+)", out).group(1)
        if cpu and cpu != "generic":
            return "%s:%s" % (arch, cpu)
    except (OSError, AttributeError):
        pass
    return arch


def csv(text, allowed=None, kind=str):
    items = [kind(x) for x in text.split(",") if x]
    if not items:
        raise argparse.ArgumentTypeError("empty list")
    for x in items:
        if allowed is not None and x not in allowed:
            raise argparse.ArgumentTypeError(
                "'%s' is not one of %s" % (x, ", ".join(allowed)))
    return items


def positive_ints(text):
    try:
        values = csv(text, kind=int)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a list of integers"
                                         % text)
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("values must be >= 1")
    return values


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", default="/tmp/llmc-bench",
                   help="models, artifacts and results (default %(default)s)")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build"),
                   help="llmc build directory (default %(default)s)")
    p.add_argument("--shapes", type=lambda t: csv(t, SHAPES),
                   default=list(SHAPES),
                   help="comma-separated: %s" % ",".join(SHAPES))
    p.add_argument("--formats", type=lambda t: csv(t, FORMATS),
                   default=list(FORMATS),
                   help="comma-separated: %s" % ",".join(FORMATS))
    p.add_argument("--threads", type=positive_ints, default=[1, 2],
                   help="comma-separated thread counts (default 1,2)")
    p.add_argument("--prompts", type=positive_ints, default=[64, 512],
                   help="prompt lengths = decode contexts (default 64,512)")
    p.add_argument("--gen-tokens", type=int, default=32,
                   help="decode steps timed after each prompt (default 32)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per measurement; medians (default 3)")
    p.add_argument("--bandwidth-mib", type=int, default=512,
                   help="bandwidth probe buffer in MiB (default 512)")
    p.add_argument("--target", default=None,
                   help="llmc compile --target (default: this host's CPU, "
                        "e.g. x86_64:znver5)")
    p.add_argument("--compile-option", action="append", default=[],
                   help="extra llmc compile option (repeatable)")
    p.add_argument("--model", action="append", default=[],
                   metavar="SHAPE:FORMAT=PATH",
                   help="use an existing GGUF for that shape and format "
                        "instead of generating one")
    p.add_argument("--fresh", action="store_true",
                   help="re-measure even if --work has cached results")
    p.add_argument("--estimate", action="store_true",
                   help="print the time estimate and exit")
    args = p.parse_args(argv)
    if args.gen_tokens < 1 or args.repeat < 1 or args.bandwidth_mib < 1:
        p.error("--gen-tokens, --repeat and --bandwidth-mib must be >= 1")
    args.models = {}
    for spec in args.model:
        m = re.fullmatch(r"([^:=]+):([^=]+)=(.+)", spec)
        if not m or m.group(1) not in SHAPES or m.group(2) not in FORMATS:
            p.error("--model '%s': expected SHAPE:FORMAT=PATH with SHAPE in "
                    "%s and FORMAT in %s" % (spec, ",".join(SHAPES),
                                             ",".join(FORMATS)))
        if not os.path.isfile(m.group(3)):
            p.error("--model '%s': no such file" % spec)
        args.models[(m.group(1), m.group(2))] = m.group(3)
    if args.target is None:
        args.target = host_target()
    return args


def run(cmd, **kwargs):
    """Runs cmd; on failure prints its output and exits."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit("llmc-bench: failed (exit %d): %s"
                 % (result.returncode, " ".join(cmd)))
    return result.stdout


def estimate_seconds(args, shape, fmt):
    """A rough a-priori time of one (shape, format): generate, compile and
    measure, assuming ~20 GB/s for decode, 4 decode-equivalents per prefill
    token and ~150 MB/s to generate/compile. Refined from measured runs."""
    weight_bytes = PARAMS[shape] * FORMATS[fmt]
    per_decode = weight_bytes / 20e9 + 2e-4
    runs = sum(args.repeat * (p * per_decode / 4 + args.gen_tokens * per_decode)
               + 0.1 * (args.repeat + 1) * args.bandwidth_mib / 512
               for p in args.prompts) * len(args.threads)
    build = 2 * weight_bytes / 150e6 + 5
    return build + runs


def model_path(args, shape, fmt):
    if (shape, fmt) in args.models:
        return args.models[(shape, fmt)], None
    if SHAPES[shape] is None:
        return STORIES260K, None  # f32; other formats via --quantize
    path = os.path.join(args.work, "%s-%s.gguf" % (shape, fmt))
    return path, [sys.executable, os.path.join(REPO, "utils",
                                               "make-test-model.py"),
                  "-o", path, "--type", fmt] + SHAPES[shape]


def runtime_mtime(args):
    """Newest modification time of the runtime libraries that llmc links
    into every artifact (a rebuilt runtime makes earlier artifacts stale)."""
    newest = 0.0
    root = os.path.join(args.build_dir, "lib", "llmc-runtime")
    for directory, _, files in os.walk(root):
        for name in files:
            newest = max(newest, os.path.getmtime(os.path.join(directory,
                                                               name)))
    return newest


def compile_artifact(args, shape, fmt):
    """Generates the model and compiles it (both reused if present)."""
    model, generate = model_path(args, shape, fmt)
    if generate and not os.path.isfile(model):
        log("generating %s" % os.path.basename(model))
        run(generate + ["--name", shape])
    out = os.path.join(args.work, "out-%s-%s" % (shape, fmt))
    options = ["--target", args.target] + args.compile_option
    if SHAPES[shape] is None and fmt != "f32" and (shape, fmt) not in args.models:
        options += ["--quantize", fmt]
    stamp = os.path.join(out, "llmc-bench-stamp.json")
    key = {"model": os.path.abspath(model), "options": options,
           "llmc_mtime": os.path.getmtime(os.path.join(args.build_dir, "bin",
                                                       "llmc")),
           "runtime_mtime": runtime_mtime(args)}
    try:
        with open(stamp) as f:
            if json.load(f) == key:
                return out
    except (OSError, ValueError):
        pass
    log("compiling %s %s (%s)" % (shape, fmt, " ".join(options)))
    # Results of an earlier compile no longer apply.
    results = os.path.join(out, "llmc-bench-results.json")
    if os.path.exists(results):
        os.remove(results)
    run([os.path.join(args.build_dir, "bin", "llmc"), "compile", model, "-o",
         out] + options)
    with open(stamp, "w") as f:
        json.dump(key, f)
    return out


def measure(args, out, threads, prompt):
    """One llmc-run --benchmark --bandwidth --json run."""
    cmd = [os.path.join(out, "llmc-run"), "--benchmark", "--bandwidth",
           "--json", "--prompt-tokens", str(prompt), "--gen-tokens",
           str(args.gen_tokens), "--threads", str(threads), "--repeat",
           str(args.repeat), "--bandwidth-mib", str(args.bandwidth_mib)]
    return json.loads(run(cmd).strip().splitlines()[-1])


def row(shape, fmt, threads, results):
    first = results[0]

    def per_prompt(fn):
        return " | ".join(fn(r) for r in results)

    return ("| %s | %s | %d | %.1f | %s | %s | %s | %s | %s | %s | %.0f |" % (
        shape, fmt, threads, first["weights_data_size"] / 1e6,
        per_prompt(lambda r: "%.1f" % r["prefill_tokens_per_second"]),
        per_prompt(lambda r: "%.1f" % r["decode_tokens_per_second"]),
        per_prompt(lambda r: "%.1f" % (r["decode_bytes_per_token"] / 1e6)),
        per_prompt(lambda r: "%.1f (%.1f)" % (
            r["bandwidth_median_gb_per_second"], r["bandwidth_gb_per_second"])),
        per_prompt(lambda r: "%.0f%%" % (100 * r["decode_roofline_fraction"])),
        per_prompt(lambda r: "%.0f%%" % (
            100 * r["decode_peak_roofline_fraction"])),
        max(r["peak_rss_bytes"] for r in results) / 1e6))


def main(argv):
    args = parse_args(argv)
    llmc = os.path.join(args.build_dir, "bin", "llmc")
    if not os.access(llmc, os.X_OK):
        sys.exit("llmc-bench: %s not found; build first (scripts/build.sh "
                 "&& ninja -C build bin/llmc)" % llmc)
    os.makedirs(args.work, exist_ok=True)
    jobs = [(s, f) for s in args.shapes for f in args.formats]
    estimates = {job: estimate_seconds(args, *job) for job in jobs}
    total = sum(estimates.values())
    log("%d artifacts x threads %s x prompts %s, target %s; estimated %.0f "
        "min (first run; cached models and compiles are faster)"
        % (len(jobs), ",".join(map(str, args.threads)),
           ",".join(map(str, args.prompts)), args.target, total / 60))
    if args.estimate:
        return 0
    load = os.getloadavg()
    started = time.time()
    done_estimate = 0.0
    rows = []
    measured = []  # every result, for the huge-pages note
    for shape, fmt in jobs:
        job_start = time.time()
        out = compile_artifact(args, shape, fmt)
        cache_path = os.path.join(out, "llmc-bench-results.json")
        cache = {}
        if not args.fresh and os.path.isfile(cache_path):
            with open(cache_path) as f:
                cache = json.load(f)
        for threads in args.threads:
            results = []
            for prompt in args.prompts:
                key = "t%d-p%d-g%d-r%d-b%d" % (threads, prompt,
                                               args.gen_tokens, args.repeat,
                                               args.bandwidth_mib)
                if key not in cache:
                    log("measuring %s %s, %d thread(s), %d-token prompt"
                        % (shape, fmt, threads, prompt))
                    info = measure(args, out, threads, prompt)
                    cache[key] = info
                    with open(cache_path, "w") as f:
                        json.dump(cache, f, indent=1)
                results.append(cache[key])
            measured.extend(results)
            rows.append(row(shape, fmt, threads, results))
        done_estimate += estimates[(shape, fmt)]
        elapsed = time.time() - started
        remaining = (total - done_estimate) * elapsed / done_estimate
        log("%s %s done in %.0f s; about %.0f min left"
            % (shape, fmt, time.time() - job_start, remaining / 60))
    ps = args.prompts

    def huge_pages(key):
        # llmc-run reads the weights (and the probe allocates its buffer)
        # in huge pages where the system offers them.
        seen = set(r.get(key) for r in measured)
        return {True: "yes", False: "no"}.get(seen.pop(), "unknown") \
            if len(seen) == 1 else "mixed"
    print("Measured %s, target %s, llmc-run --benchmark --bandwidth: "
          "%d decode steps after each prompt, median of %d runs, bandwidth "
          "probe %d MiB; weights in huge pages: %s, probe in huge pages: "
          "%s; load average at start %.2f %.2f %.2f."
          % (time.strftime("%Y-%m-%d %H:%M %Z"), args.target,
             args.gen_tokens, args.repeat, args.bandwidth_mib,
             huge_pages("weights_huge_pages"),
             huge_pages("bandwidth_huge_pages"), *load))
    print()
    header = (["model", "format", "threads", "weights MB"] +
              ["prefill %d tok/s" % p for p in ps] +
              ["decode @%d tok/s" % p for p in ps] +
              ["bytes/tok @%d MB" % p for p in ps] +
              ["GB/s (@%d run)" % p for p in ps] +
              ["roofline @%d" % p for p in ps] +
              ["peak @%d" % p for p in ps] + ["peak RSS MB"])
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for line in rows:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
