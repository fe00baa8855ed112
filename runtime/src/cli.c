/* llmc-run: argument parsing, --info and text generation to a stream. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "llmc/bandwidth.h"
#include "llmc/cli.h"
#include "llmc/runtime.h"
#include "llmc/thread_pool.h"

#define LLMC_CLI_NAME "llmc-run"
#define LLMC_CLI_DEFAULT_WEIGHTS "model.llmw"

/// Parsed command line.
typedef struct llmc_cli_options_t {
  const char *weights_path; ///< NULL: next to the executable.
  const char *prompt;       ///< NULL: not given.
  int64_t steps;
  float temperature;
  float top_p;
  int32_t top_k;
  uint64_t seed;
  const char *tokens;     ///< --tokens: ids to evaluate (with --logits-out).
  const char *logits_out; ///< --logits-out: where to write their logits.
  bool prefill;           ///< --prefill: --logits-out of the last token only.
  bool benchmark;         ///< --benchmark: measure prefill and decode.
  bool json;              ///< --json: benchmark results as JSON.
  int64_t prompt_tokens;  ///< --prompt-tokens (benchmark).
  int64_t gen_tokens;     ///< --gen-tokens (benchmark).
  int64_t threads;        ///< --threads: threads of the forward pass.
  int64_t repeats;        ///< --repeat (benchmark).
  bool bandwidth;         ///< --bandwidth: measure memory read bandwidth.
  bool profile;           ///< --profile: time decode's parallel loops.
  bool mmap;              ///< --mmap: map the weights, not huge pages.
  int64_t bandwidth_mib;  ///< --bandwidth-mib: its buffer size.
  bool seed_given;
  bool info;
  bool help;
} llmc_cli_options_t;

static void llmc_cli_usage(FILE *stream) {
  fprintf(
      stream,
      "usage: " LLMC_CLI_NAME " [options]\n"
      "  --weights PATH     weights file (default: " LLMC_CLI_DEFAULT_WEIGHTS
      " next to the executable)\n"
      "  --mmap             map the weights file instead of reading it into "
      "huge pages\n"
      "                     (shares the page cache; decode is slower)\n"
      "  --prompt TEXT      prompt to continue (required unless --info)\n"
      "  --steps N          positions to run, prompt included; 0 = "
      "max_seq_len (default 256)\n"
      "  --temperature T    0 = greedy (default 1.0)\n"
      "  --topp P           nucleus sampling threshold in [0,1] (default "
      "0.9)\n"
      "  --topk K           sample from the K most likely tokens, 0 = all "
      "(default 0)\n"
      "  --seed S           random seed (default: current time)\n"
      "  --tokens \"I J ..\"  with --logits-out: run these token ids at "
      "positions 0..\n"
      "  --logits-out FILE  write their logits (float32, [tokens][vocab]) "
      "and exit\n"
      "  --prefill          with --logits-out: run the tokens through the "
      "batched\n"
      "                     prefill and write the last token's logits only\n"
      "  --benchmark        time prefill and decode instead of generating:\n"
      "    --prompt-tokens P  prompt positions (default 64)\n"
      "    --gen-tokens G     greedy decode steps after them (default 64)\n"
      "    --threads T        threads (as for generation)\n"
      "    --repeat R         runs; the median is reported (default 3)\n"
      "    --json             print the results as JSON\n"
      "    --profile          also time each parallel loop of the last run's\n"
      "                       decode steps and the serial code between them\n"
      "  --bandwidth        measure the memory read bandwidth with --threads "
      "threads\n"
      "                     (with --benchmark: also decode's fraction of it)\n"
      "    --bandwidth-mib M  buffer size in MiB (default 512)\n"
      "  --threads T        threads the model's loops are split over "
      "(default 1)\n"
      "  --info             print the model description and exit\n"
      "  --help             print this message\n");
}

/// Parses a whole decimal integer in [min, max].
static bool llmc_parse_int(const char *text, long long min, long long max,
                           long long *out_value) {
  if (!*text)
    return false;
  char *end = NULL;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max)
    return false;
  *out_value = value;
  return true;
}

/// Parses a whole unsigned 64-bit decimal integer.
static bool llmc_parse_u64(const char *text, uint64_t *out_value) {
  if (!*text || *text == '-')
    return false;
  char *end = NULL;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out_value = value;
  return true;
}

/// Parses a whole finite float in [min, max].
static bool llmc_parse_float(const char *text, float min, float max,
                             float *out_value) {
  if (!*text)
    return false;
  char *end = NULL;
  errno = 0;
  float value = strtof(text, &end);
  if (errno != 0 || *end != '\0' || !isfinite(value) || value < min ||
      value > max)
    return false;
  *out_value = value;
  return true;
}

/// Fills `options`; on a usage error prints why to `err` and returns false.
static bool llmc_cli_parse(int argc, char **argv, FILE *err,
                           llmc_cli_options_t *options) {
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      options->help = true;
      continue;
    }
    if (strcmp(arg, "--info") == 0) {
      options->info = true;
      continue;
    }
    if (strcmp(arg, "--benchmark") == 0) {
      options->benchmark = true;
      continue;
    }
    if (strcmp(arg, "--prefill") == 0) {
      options->prefill = true;
      continue;
    }
    if (strcmp(arg, "--bandwidth") == 0) {
      options->bandwidth = true;
      continue;
    }
    if (strcmp(arg, "--json") == 0) {
      options->json = true;
      continue;
    }
    if (strcmp(arg, "--profile") == 0) {
      options->profile = true;
      continue;
    }
    if (strcmp(arg, "--mmap") == 0) {
      options->mmap = true;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(err, LLMC_CLI_NAME ": unexpected argument '%s'\n", arg);
      return false;
    }
    // --name VALUE or --name=VALUE.
    const char *name = arg + 2;
    const char *value = NULL;
    size_t name_length = strlen(name);
    const char *equals = strchr(name, '=');
    if (equals) {
      name_length = (size_t)(equals - name);
      value = equals + 1;
    }
    static const char *const kValued[] = {
        "weights",    "prompt",  "steps",  "temperature",  "topp",
        "topk",       "seed",    "tokens", "logits-out",   "prompt-tokens",
        "gen-tokens", "threads", "repeat", "bandwidth-mib"};
    int which = -1;
    for (int k = 0; k < (int)(sizeof(kValued) / sizeof(kValued[0])); ++k) {
      if (strlen(kValued[k]) == name_length &&
          strncmp(kValued[k], name, name_length) == 0)
        which = k;
    }
    if (which < 0) {
      fprintf(err, LLMC_CLI_NAME ": unknown option '%s'\n", arg);
      return false;
    }
    if (!value) {
      if (i + 1 >= argc) {
        fprintf(err, LLMC_CLI_NAME ": option '%s' needs a value\n", arg);
        return false;
      }
      value = argv[++i];
    }
    long long integer = 0;
    bool ok = true;
    switch (which) {
    case 0:
      options->weights_path = value;
      break;
    case 1:
      options->prompt = value;
      break;
    case 2:
      ok = llmc_parse_int(value, 0, INT64_MAX, &integer);
      options->steps = integer;
      break;
    case 3:
      ok = llmc_parse_float(value, 0.0f, INFINITY, &options->temperature);
      break;
    case 4:
      ok = llmc_parse_float(value, 0.0f, 1.0f, &options->top_p);
      break;
    case 5:
      ok = llmc_parse_int(value, 0, INT32_MAX, &integer);
      options->top_k = (int32_t)integer;
      break;
    case 6:
      ok = llmc_parse_u64(value, &options->seed);
      options->seed_given = true;
      break;
    case 7:
      options->tokens = value;
      break;
    case 8:
      options->logits_out = value;
      break;
    case 9:
      ok = llmc_parse_int(value, 1, INT32_MAX, &integer);
      options->prompt_tokens = integer;
      break;
    case 10:
      ok = llmc_parse_int(value, 0, INT32_MAX, &integer);
      options->gen_tokens = integer;
      break;
    case 11:
      ok = llmc_parse_int(value, 1, LLMC_THREAD_POOL_MAX_THREADS, &integer);
      options->threads = integer;
      break;
    case 12:
      ok = llmc_parse_int(value, 1, 1000, &integer);
      options->repeats = integer;
      break;
    case 13:
      ok = llmc_parse_int(value, 1, 1 << 20, &integer);
      options->bandwidth_mib = integer;
      break;
    }
    if (!ok) {
      fprintf(err, LLMC_CLI_NAME ": invalid value '%s' for --%s\n", value,
              kValued[which]);
      return false;
    }
  }
  if (!options->tokens != !options->logits_out) {
    fprintf(err, LLMC_CLI_NAME ": --tokens and --logits-out go together\n");
    return false;
  }
  if (options->profile && !options->benchmark) {
    fprintf(err, LLMC_CLI_NAME ": --profile needs --benchmark\n");
    return false;
  }
  if (options->prefill && !options->logits_out) {
    fprintf(err, LLMC_CLI_NAME ": --prefill needs --tokens and --logits-out\n");
    return false;
  }
  if (!options->help && !options->info && !options->prompt &&
      !options->logits_out && !options->benchmark && !options->bandwidth) {
    fprintf(err, LLMC_CLI_NAME ": --prompt is required\n");
    return false;
  }
  return true;
}

/// Parses the space-separated token ids of --tokens into a new array.
static llmc_status_t llmc_cli_parse_tokens(const char *text,
                                           llmc_allocator_t allocator,
                                           int32_t **out_tokens,
                                           size_t *out_count) {
  size_t capacity = strlen(text) / 2 + 1;
  int32_t *tokens = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(
      allocator, capacity * sizeof(int32_t), 8, (void **)&tokens));
  size_t count = 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == ',')
      ++p;
    if (!*p)
      break;
    char *end = NULL;
    errno = 0;
    long value = strtol(p, &end, 10);
    if (end == p || errno != 0 || value < 0 || value > INT32_MAX ||
        (*end && *end != ' ' && *end != ',')) {
      llmc_allocator_free(allocator, tokens);
      return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                              "--tokens: '%s' is not a list of token ids",
                              text);
    }
    tokens[count++] = (int32_t)value;
    p = end;
  }
  if (count == 0) {
    llmc_allocator_free(allocator, tokens);
    return llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                            "--tokens: no token ids given");
  }
  *out_tokens = tokens;
  *out_count = count;
  return LLMC_OK;
}

/// --logits-out: the logits of every position of --tokens (with --prefill:
/// of the last one, through llmc_session_prefill), as raw float32.
static llmc_status_t llmc_cli_write_logits(llmc_session_t *session,
                                           const llmc_model_info_t *info,
                                           const llmc_cli_options_t *options,
                                           llmc_allocator_t allocator) {
  int32_t *tokens = NULL;
  size_t count = 0;
  LLMC_RETURN_IF_ERROR(
      llmc_cli_parse_tokens(options->tokens, allocator, &tokens, &count));
  float *logits = NULL;
  llmc_status_t status = llmc_allocator_alloc(
      allocator, count * (size_t)info->vocab_size * 4, 64, (void **)&logits);
  if (!status && options->prefill) {
    float *last = NULL;
    status = llmc_session_prefill(session, tokens, count, 0, &last);
    if (!status)
      memcpy(logits, last, (size_t)info->vocab_size * sizeof(float));
    count = 1;
  } else if (!status) {
    status = llmc_session_compute_logits(session, tokens, count, logits);
  }
  if (!status) {
    FILE *file = fopen(options->logits_out, "wb");
    if (!file) {
      status = llmc_status_make(LLMC_STATUS_IO_ERROR, "cannot write %s: %s",
                                options->logits_out, strerror(errno));
    } else {
      size_t n = count * (size_t)info->vocab_size;
      bool ok = fwrite(logits, sizeof(float), n, file) == n;
      ok = fclose(file) == 0 && ok;
      if (!ok)
        status = llmc_status_make(LLMC_STATUS_IO_ERROR, "error writing %s",
                                  options->logits_out);
    }
  }
  llmc_allocator_free(allocator, logits);
  llmc_allocator_free(allocator, tokens);
  return status;
}

/// Returns the default weights path (model.llmw next to the executable) in
/// `buffer`.
static const char *llmc_cli_default_weights(const char *argv0, char *buffer,
                                            size_t buffer_size) {
  const size_t suffix_size = sizeof("/" LLMC_CLI_DEFAULT_WEIGHTS);
  ssize_t length = readlink("/proc/self/exe", buffer, buffer_size - 1);
  if (length <= 0 || (size_t)length >= buffer_size - 1) {
    // No /proc: use argv[0]'s directory, if it has one.
    length = 0;
    if (argv0 && strchr(argv0, '/') && strlen(argv0) < buffer_size - 1) {
      length = (ssize_t)strlen(argv0);
      memcpy(buffer, argv0, (size_t)length);
    }
  }
  buffer[length] = '\0';
  char *slash = strrchr(buffer, '/');
  if (!slash || (size_t)(slash - buffer) + suffix_size > buffer_size)
    return LLMC_CLI_DEFAULT_WEIGHTS;
  memcpy(slash, "/" LLMC_CLI_DEFAULT_WEIGHTS, suffix_size);
  return buffer;
}

/// Prints `status` as an error and frees it.
static int llmc_cli_fail(FILE *err, llmc_status_t status) {
  fprintf(err, LLMC_CLI_NAME ": error: %s [%s]\n", llmc_status_message(status),
          llmc_status_code_string(llmc_status_code(status)));
  llmc_status_free(status);
  return LLMC_CLI_EXIT_ERROR;
}

static void llmc_cli_print_info(FILE *out, const llmc_model_info_t *info) {
  fprintf(out,
          "model:\n"
          "  abi_version       %" PRId64 "\n"
          "  model_id          0x%016" PRIx64 "\n"
          "  dim               %" PRId64 "\n"
          "  vocab_size        %" PRId64 "\n"
          "  n_layers          %" PRId64 "\n"
          "  max_seq_len       %" PRId64 "\n"
          "  weights_data_size %" PRId64 " bytes\n"
          "  kv_cache_bytes    %" PRId64 " bytes\n"
          "  arena_bytes       %" PRId64 " bytes\n"
          "  prefill_chunk     %" PRId64 "\n",
          info->abi_version, info->model_id, info->dim, info->vocab_size,
          info->n_layers, info->max_seq_len, info->weights_data_size,
          info->kv_cache_bytes, info->arena_bytes, info->prefill_chunk);
}

static void llmc_cli_print_weights(FILE *out, const llmc_weights_t *weights,
                                   const llmc_tokenizer_t *tokenizer) {
  const llmc_weights_header_t *header = llmc_weights_header(weights);
  fprintf(out,
          "weights: %s\n"
          "  file_size         %" PRIu64 " bytes (%s)\n"
          "  model_id          0x%016" PRIx64 "\n"
          "  data section      [offset %" PRIu64 ", size %" PRIu64 ")\n"
          "  tokenizer section [offset %" PRIu64 ", size %" PRIu64 ")\n",
          llmc_weights_name(weights), header->file_size,
          llmc_weights_is_mapped(weights) ? "mapped" : "read", header->model_id,
          header->data_offset, header->data_size, header->tokenizer_offset,
          header->tokenizer_size);
  if (!tokenizer) {
    fprintf(out, "tokenizer: none (run with --tokens)\n");
    return;
  }
  fprintf(out,
          "tokenizer:\n"
          "  vocab_size        %" PRId32 "\n"
          "  bos_id            %" PRId32 "\n"
          "  eos_id            %" PRId32 "\n"
          "  flags             0x%" PRIx32 "\n",
          llmc_tokenizer_vocab_size(tokenizer),
          llmc_tokenizer_bos_id(tokenizer), llmc_tokenizer_eos_id(tokenizer),
          llmc_tokenizer_flags(tokenizer));
}

/// State of the streaming callback.
typedef struct llmc_cli_printer_t {
  FILE *out;
  double start_seconds; ///< When the first piece was printed (0: not yet).
} llmc_cli_printer_t;

/// Prints a piece like llama2.c's safe_printf: skips empty pieces and lone
/// ASCII control bytes, but passes bytes >= 0x80 so that byte-fallback
/// pieces reassemble into UTF-8 characters.
static llmc_status_t llmc_cli_print_piece(void *user_data,
                                          const llmc_generate_event_t *event) {
  llmc_cli_printer_t *printer = user_data;
  llmc_string_view_t piece = event->piece;
  if (printer->start_seconds == 0.0)
    printer->start_seconds = llmc_monotonic_seconds();
  if (piece.size == 0)
    return LLMC_OK;
  if (piece.size == 1) {
    unsigned char byte = (unsigned char)piece.data[0];
    if (!(isprint(byte) || isspace(byte) || byte >= 0x80))
      return LLMC_OK;
  }
  if (fwrite(piece.data, 1, piece.size, printer->out) != piece.size)
    return llmc_status_make(LLMC_STATUS_IO_ERROR, "writing output failed");
  fflush(printer->out);
  return LLMC_OK;
}

static int llmc_cli_compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/// Peak resident set size of this process so far, in bytes (0 if unknown).
static int64_t llmc_cli_peak_rss_bytes(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return (int64_t)usage.ru_maxrss * 1024; // Linux reports KiB.
}

/// --bandwidth: a probe of --bandwidth-mib MiB with the session's threads.
static llmc_status_t llmc_cli_open_probe(llmc_thread_pool_t *pool,
                                         const llmc_cli_options_t *options,
                                         llmc_bandwidth_probe_t **out_probe) {
  size_t bytes = options->bandwidth_mib > 0
                     ? (size_t)options->bandwidth_mib << 20
                     : LLMC_BANDWIDTH_DEFAULT_BYTES;
  return llmc_bandwidth_probe_create(pool, bytes, llmc_allocator_system(),
                                     out_probe);
}

/// One pass of `probe` (--repeat timed reads), its checksum verified.
static llmc_status_t llmc_cli_probe_pass(llmc_bandwidth_probe_t *probe,
                                         const llmc_cli_options_t *options,
                                         llmc_bandwidth_result_t *out_result) {
  LLMC_RETURN_IF_ERROR(
      llmc_bandwidth_probe_run(probe, (int32_t)options->repeats, out_result));
  if (out_result->checksum !=
      llmc_bandwidth_expected_checksum(out_result->buffer_bytes))
    return llmc_status_make(LLMC_STATUS_INTERNAL,
                            "bandwidth probe read a wrong checksum");
  return LLMC_OK;
}

/// --bandwidth alone: one pass of a fresh probe.
static llmc_status_t
llmc_cli_measure_bandwidth(llmc_thread_pool_t *pool,
                           const llmc_cli_options_t *options,
                           llmc_bandwidth_result_t *out_result) {
  llmc_bandwidth_probe_t *probe = NULL;
  LLMC_RETURN_IF_ERROR(llmc_cli_open_probe(pool, options, &probe));
  llmc_status_t status = llmc_cli_probe_pass(probe, options, out_result);
  llmc_bandwidth_probe_release(probe);
  return status;
}

static void llmc_cli_print_bandwidth(FILE *out,
                                     const llmc_bandwidth_result_t *result,
                                     bool json) {
  if (json)
    fprintf(out,
            "{\"bandwidth_buffer_bytes\": %llu, \"threads\": %d, "
            "\"repeats\": %d, \"bandwidth_gb_per_second\": %.3f, "
            "\"bandwidth_median_gb_per_second\": %.3f, "
            "\"bandwidth_huge_pages\": %s}\n",
            (unsigned long long)result->buffer_bytes, (int)result->threads,
            (int)result->repeats, result->best_bytes_per_second * 1e-9,
            result->median_bytes_per_second * 1e-9,
            result->huge_pages ? "true" : "false");
  else
    fprintf(out,
            "bandwidth: %llu MiB read%s, %d thread(s), %d runs\n"
            "  read GB/s         %.2f  (median %.2f)\n",
            (unsigned long long)(result->buffer_bytes >> 20),
            result->huge_pages ? " in huge pages" : "", (int)result->threads,
            (int)result->repeats, result->best_bytes_per_second * 1e-9,
            result->median_bytes_per_second * 1e-9);
}

/// --profile: each task function's parallel loops over `steps` decode
/// steps that took `seconds`, in the order the steps first ran them (as
/// JSON fields to append to the benchmark's object, or as a table). Time
/// per step: in the loops (of which the calling thread, its own chunks
/// done, waited for the others), and before them on the calling thread
/// since the previous loop returned (the serial code between the loops).
static void llmc_cli_print_profile(FILE *out,
                                   const llmc_thread_pool_profile_t *profile,
                                   int64_t steps, double seconds,
                                   int64_t threads, bool json) {
  double loops = 0.0, gaps = 0.0;
  for (int32_t i = 0; i < profile->task_count; ++i) {
    loops += profile->tasks[i].seconds;
    gaps += profile->tasks[i].gap_seconds;
  }
  double per = steps > 0 ? 1e6 / (double)steps : 0.0;
  if (json) {
    fprintf(out,
            ", \"profile_steps\": %lld, \"profile_seconds\": %.6f, "
            "\"profile_loop_seconds\": %.6f, \"profile_serial_seconds\": "
            "%.6f, \"profile_dropped_calls\": %lld, \"profile\": [",
            (long long)steps, seconds, loops, gaps,
            (long long)profile->dropped_calls);
    for (int32_t i = 0; i < profile->task_count; ++i) {
      const llmc_thread_pool_profile_task_t *t = &profile->tasks[i];
      fprintf(out,
              "%s{\"task\": \"%p\", \"calls\": %lld, \"seconds\": %.6f, "
              "\"busy_seconds\": %.6f, \"caller_wait_seconds\": %.6f, "
              "\"serial_before_seconds\": %.6f}",
              i ? ", " : "", (void *)t->task, (long long)t->calls, t->seconds,
              t->busy_seconds, t->caller_wait_seconds, t->gap_seconds);
    }
    fprintf(out, "]");
    return;
  }
  fprintf(out,
          "profile: the last run's %lld decode steps, %.1f us each\n"
          "  %-18s %9s %9s %9s %7s %6s %12s %14s\n",
          (long long)steps, seconds * per, "task", "calls", "us/call",
          "us/step", "share", "busy", "wait us/call", "serial before");
  for (int32_t i = 0; i < profile->task_count; ++i) {
    const llmc_thread_pool_profile_task_t *t = &profile->tasks[i];
    double calls = (double)t->calls;
    // The share of the threads' time in the loop spent inside its chunks.
    double busy = t->seconds > 0.0
                      ? 100.0 * t->busy_seconds / ((double)threads * t->seconds)
                      : 0.0;
    fprintf(out, "  %-18p %9.2f %9.2f %9.1f %6.1f%% %5.1f%% %12.2f %14.2f\n",
            (void *)t->task, calls / (double)steps, t->seconds * 1e6 / calls,
            t->seconds * per,
            seconds > 0.0 ? 100.0 * t->seconds / seconds : 0.0, busy,
            t->caller_wait_seconds * 1e6 / calls, t->gap_seconds * 1e6 / calls);
  }
  fprintf(out,
          "  parallel loops %.1f us/step (%.1f%%), serial code between them "
          "%.1f us/step (%.1f%%)\n",
          loops * per, seconds > 0.0 ? 100.0 * loops / seconds : 0.0,
          gaps * per, seconds > 0.0 ? 100.0 * gaps / seconds : 0.0);
  if (profile->dropped_calls > 0)
    fprintf(out, "  (%lld calls of further tasks not timed)\n",
            (long long)profile->dropped_calls);
}

/// --benchmark: `repeats` runs of a `prompt_tokens` prompt (token ids 1.. in
/// order) through llmc_session_prefill, then `gen_tokens` greedy decode
/// steps; prints the median, min and max tokens/s of each phase.
static llmc_status_t
llmc_cli_benchmark(llmc_session_t *session, llmc_thread_pool_t *pool,
                   bool weights_huge_pages, const llmc_model_info_t *info,
                   const llmc_cli_options_t *options, FILE *out) {
  int64_t p = options->prompt_tokens, g = options->gen_tokens;
  if (p + g > info->max_seq_len)
    return llmc_status_make(LLMC_STATUS_OUT_OF_RANGE,
                            "--prompt-tokens %lld + --gen-tokens %lld exceed "
                            "the model's max_seq_len %lld",
                            (long long)p, (long long)g,
                            (long long)info->max_seq_len);
  double prefill[1000], decode[1000];
  int64_t runs = options->repeats;
  int32_t *prompt = NULL;
  LLMC_RETURN_IF_ERROR(llmc_allocator_alloc(llmc_allocator_system(),
                                            (size_t)p * sizeof(int32_t), 64,
                                            (void **)&prompt));
  for (int64_t pos = 0; pos < p; ++pos)
    prompt[pos] = (int32_t)(1 + pos % (info->vocab_size - 1));
  // --profile: the parallel loops of the last run's decode steps.
  llmc_thread_pool_profile_t *profile = NULL;
  if (options->profile) {
    llmc_status_t status = llmc_allocator_alloc(
        llmc_allocator_system(), sizeof(*profile), 64, (void **)&profile);
    if (status) {
      llmc_allocator_free(llmc_allocator_system(), prompt);
      return status;
    }
    memset(profile, 0, sizeof(*profile));
  }
  // Bytes a decode step reads (docs/benchmarks.md): the streamed weights,
  // one row of each gathered table, and the K/V of every attended position;
  // step i (at position p + i) attends p + i + 1 positions.
  double kvPerPosition =
      (double)info->kv_cache_bytes / (double)info->max_seq_len;
  double meanContext = (double)p + (double)(g + 1) / 2.0;
  double bytesPerToken =
      (double)(info->weights_data_size - info->gathered_bytes +
               info->gathered_row_bytes) +
      kvPerPosition * meanContext;
  // --bandwidth: a probe pass after every run (the machine's bandwidth can
  // change within seconds). Each run's bandwidth is the harmonic mean of the
  // median reads of the passes right before and after it: like the run's
  // tokens/s, a typical rate rather than a peak, and a median so that one
  // stalled read does not drag it down. The fastest of those reads gives a
  // second, peak fraction; on a machine whose bandwidth varies, a run that
  // only read would reach less than 100% of it (docs/benchmarks.md,
  // bench/probe-windows.c). The probe's buffer is allocated after the first
  // run has measured the peak RSS.
  llmc_bandwidth_probe_t *probe = NULL;
  // The pass with the fastest read (its rate and whether it was in huge
  // pages are printed).
  llmc_bandwidth_result_t fastestPass;
  memset(&fastestPass, 0, sizeof(fastestPass));
  double fractions[1000], peakFractions[1000], runBandwidth[1000];
  double previousMedian = 0.0, previousBest = 0.0;
  int64_t peakRss = 0;
  double profiledSeconds = 0.0;
  llmc_status_t status = LLMC_OK;
  for (int64_t r = 0; !status && r < runs; ++r) {
    float *logits = NULL;
    double start = llmc_monotonic_seconds();
    status = llmc_session_prefill(session, prompt, (size_t)p, 0, &logits);
    double mid = llmc_monotonic_seconds();
    if (!status && profile && r == runs - 1)
      llmc_thread_pool_set_profile(pool, profile);
    for (int64_t i = 0; !status && i < g; ++i) {
      int32_t token = llmc_argmax(logits, (int32_t)info->vocab_size);
      status = llmc_session_forward(session, token, p + i, &logits);
    }
    double end = llmc_monotonic_seconds();
    llmc_thread_pool_set_profile(pool, NULL);
    if (status)
      break;
    prefill[r] = (double)p / (mid - start);
    decode[r] = g > 0 ? (double)g / (end - mid) : 0.0;
    profiledSeconds = end - mid;
    if (r == 0)
      peakRss = llmc_cli_peak_rss_bytes();
    if (!options->bandwidth)
      continue;
    if (!probe)
      status = llmc_cli_open_probe(pool, options, &probe);
    llmc_bandwidth_result_t pass;
    if (!status)
      status = llmc_cli_probe_pass(probe, options, &pass);
    if (status)
      break;
    if (r == 0 ||
        pass.best_bytes_per_second > fastestPass.best_bytes_per_second)
      fastestPass = pass;
    // Both passes read the same bytes, so the rate of the two medians
    // together is their harmonic mean (the first run has no pass before it).
    double typical = pass.median_bytes_per_second;
    if (previousMedian > 0.0 && typical > 0.0)
      typical = 2.0 / (1.0 / previousMedian + 1.0 / typical);
    double peak = previousBest > pass.best_bytes_per_second
                      ? previousBest
                      : pass.best_bytes_per_second;
    previousMedian = pass.median_bytes_per_second;
    previousBest = pass.best_bytes_per_second;
    runBandwidth[r] = typical;
    fractions[r] = typical > 0.0 ? decode[r] * bytesPerToken / typical : 0.0;
    peakFractions[r] = peak > 0.0 ? decode[r] * bytesPerToken / peak : 0.0;
  }
  llmc_allocator_free(llmc_allocator_system(), prompt);
  llmc_bandwidth_probe_release(probe);
  if (status) {
    llmc_allocator_free(llmc_allocator_system(), profile);
    return status;
  }
  qsort(prefill, (size_t)runs, sizeof(double), llmc_cli_compare_doubles);
  qsort(decode, (size_t)runs, sizeof(double), llmc_cli_compare_doubles);
  double prefillMedian = prefill[runs / 2], decodeMedian = decode[runs / 2];
  // Medians over the runs: the fractions, the peak fractions and the
  // bandwidths (each sorted on its own).
  double fraction = 0.0, peakFraction = 0.0, medianBandwidth = 0.0;
  double roofline = 0.0;
  if (options->bandwidth) {
    qsort(fractions, (size_t)runs, sizeof(double), llmc_cli_compare_doubles);
    qsort(peakFractions, (size_t)runs, sizeof(double),
          llmc_cli_compare_doubles);
    qsort(runBandwidth, (size_t)runs, sizeof(double), llmc_cli_compare_doubles);
    fraction = fractions[runs / 2];
    peakFraction = peakFractions[runs / 2];
    medianBandwidth = runBandwidth[runs / 2];
    roofline = medianBandwidth / bytesPerToken;
  }
  if (options->json) {
    fprintf(
        out,
        "{\"prompt_tokens\": %lld, \"gen_tokens\": %lld, \"threads\": %lld, "
        "\"prefill_chunk\": %lld, "
        "\"repeats\": %lld, \"prefill_tokens_per_second\": %.3f, "
        "\"prefill_min\": %.3f, \"prefill_max\": %.3f, "
        "\"decode_tokens_per_second\": %.3f, \"decode_min\": %.3f, "
        "\"decode_max\": %.3f, \"weights_data_size\": %lld, "
        "\"kv_cache_bytes\": %lld, \"arena_bytes\": %lld, "
        "\"peak_rss_bytes\": %lld, \"gathered_bytes\": %lld, "
        "\"gathered_row_bytes\": %lld, \"kv_bytes_per_position\": %.0f, "
        "\"decode_mean_context\": %.1f, "
        "\"decode_bytes_per_token\": %.0f, \"weights_huge_pages\": %s",
        (long long)p, (long long)g, (long long)options->threads,
        (long long)info->prefill_chunk, (long long)runs, prefillMedian,
        prefill[0], prefill[runs - 1], decodeMedian, decode[0],
        decode[runs - 1], (long long)info->weights_data_size,
        (long long)info->kv_cache_bytes, (long long)info->arena_bytes,
        (long long)peakRss, (long long)info->gathered_bytes,
        (long long)info->gathered_row_bytes, kvPerPosition, meanContext,
        bytesPerToken, weights_huge_pages ? "true" : "false");
    if (options->bandwidth)
      fprintf(out,
              ", \"bandwidth_gb_per_second\": %.3f, "
              "\"bandwidth_median_gb_per_second\": %.3f, "
              "\"decode_roofline_tokens_per_second\": %.3f, "
              "\"decode_roofline_fraction\": %.4f, "
              "\"decode_roofline_fraction_min\": %.4f, "
              "\"decode_roofline_fraction_max\": %.4f, "
              "\"decode_peak_roofline_fraction\": %.4f, "
              "\"bandwidth_huge_pages\": %s",
              fastestPass.best_bytes_per_second * 1e-9, medianBandwidth * 1e-9,
              roofline, fraction, fractions[0], fractions[runs - 1],
              peakFraction, fastestPass.huge_pages ? "true" : "false");
    if (profile)
      llmc_cli_print_profile(out, profile, g, profiledSeconds, options->threads,
                             true);
    fprintf(out, "}\n");
  } else {
    fprintf(out,
            "benchmark: %lld prompt tokens, %lld generated, %lld thread(s), "
            "%lld runs (prefill: up to %lld tokens per call)\n"
            "  prefill tokens/s  %.1f  (min %.1f, max %.1f)\n"
            "  decode tokens/s   %.1f  (min %.1f, max %.1f)\n",
            (long long)p, (long long)g, (long long)options->threads,
            (long long)runs, (long long)info->prefill_chunk, prefillMedian,
            prefill[0], prefill[runs - 1], decodeMedian, decode[0],
            decode[runs - 1]);
    fprintf(out,
            "  peak RSS          %.1f MiB (weights %s)\n"
            "  bytes per decoded token %.0f (at mean context %.1f)\n",
            (double)peakRss / (1 << 20),
            weights_huge_pages ? "in huge pages" : "not in huge pages",
            bytesPerToken, meanContext);
    if (options->bandwidth)
      fprintf(out,
              "  read GB/s         %.2f  (fastest pass; median of the runs "
              "%.2f%s)\n"
              "  decode roofline   %.1f tokens/s (decode at %.1f%%, runs "
              "%.1f-%.1f%%; %.1f%% of the fastest passes)\n",
              fastestPass.best_bytes_per_second * 1e-9, medianBandwidth * 1e-9,
              fastestPass.huge_pages ? ", huge pages" : "", roofline,
              100.0 * fraction, 100.0 * fractions[0],
              100.0 * fractions[runs - 1], 100.0 * peakFraction);
    if (profile)
      llmc_cli_print_profile(out, profile, g, profiledSeconds, options->threads,
                             false);
  }
  llmc_allocator_free(llmc_allocator_system(), profile);
  return LLMC_OK;
}

/// Opens everything and generates (or prints --info).
static int llmc_cli_run(const llmc_compiled_model_t *model,
                        const llmc_cli_options_t *options,
                        const char *weights_path, FILE *out, FILE *err) {
  llmc_allocator_t allocator = llmc_allocator_system();
  llmc_model_info_t info;
  llmc_status_t status = llmc_compiled_model_query_info(model, &info);
  if (status)
    return llmc_cli_fail(err, status);
  if (options->info)
    llmc_cli_print_info(out, &info);

  llmc_thread_pool_t *pool = NULL;
  // --profile records through the pool, so it needs one even for 1 thread.
  if (options->threads > 1 || options->profile) {
    status =
        llmc_thread_pool_create((int32_t)options->threads, allocator, &pool);
    if (status)
      return llmc_cli_fail(err, status);
  }
  if (options->bandwidth && !options->benchmark) {
    // The probe alone: no weights needed.
    llmc_bandwidth_result_t result;
    status = llmc_cli_measure_bandwidth(pool, options, &result);
    llmc_thread_pool_release(pool);
    if (status)
      return llmc_cli_fail(err, status);
    llmc_cli_print_bandwidth(out, &result, options->json);
    return LLMC_CLI_EXIT_OK;
  }

  llmc_weights_t *weights = NULL;
  llmc_session_t *session = NULL;
  llmc_tokenizer_t *tokenizer = NULL;
  llmc_sampler_t *sampler = NULL;
  status = llmc_weights_open_file(weights_path,
                                  options->mmap ? LLMC_WEIGHTS_OPEN_DEFAULT
                                                : LLMC_WEIGHTS_OPEN_HUGE_PAGES,
                                  allocator, &weights);
  if (!status)
    status = llmc_session_create(model, weights, allocator, &session);
  if (!status && pool)
    llmc_session_set_thread_pool(session, pool);
  // A model imported without a tokenizer (ONNX graphs) has an empty
  // tokenizer section and runs from token ids only.
  bool has_tokenizer =
      !status && llmc_weights_header(weights)->tokenizer_size > 0;
  if (has_tokenizer)
    status = llmc_tokenizer_create_from_weights(weights, info.vocab_size,
                                                allocator, &tokenizer);
  if (!status && !has_tokenizer && !options->info && !options->benchmark &&
      !options->logits_out)
    status = llmc_status_make(LLMC_STATUS_INVALID_ARGUMENT,
                              "the model has no tokenizer; run it from "
                              "token ids with --tokens and --logits-out");
  if (!status && options->info)
    llmc_cli_print_weights(out, weights, tokenizer);
  if (!status && options->benchmark) {
    status =
        llmc_cli_benchmark(session, pool, llmc_weights_in_huge_pages(weights),
                           &info, options, out);
  } else if (!status && options->logits_out) {
    status = llmc_cli_write_logits(session, &info, options, allocator);
  } else if (!status && !options->info) {
    llmc_sampler_params_t params = llmc_sampler_params_default();
    params.temperature = options->temperature;
    params.top_p = options->top_p;
    params.top_k = options->top_k;
    params.seed = options->seed;
    status = llmc_sampler_create((int32_t)info.vocab_size, &params, allocator,
                                 &sampler);
  }
  if (!status && !options->info && !options->logits_out &&
      !options->benchmark) {
    llmc_cli_printer_t printer = {out, 0.0};
    llmc_generate_stats_t stats;
    status = llmc_generate(session, tokenizer, sampler, options->prompt,
                           strlen(options->prompt), options->steps,
                           llmc_cli_print_piece, &printer, &stats);
    fputc('\n', out);
    fflush(out);
    if (!status && stats.forward_calls > 1 && printer.start_seconds > 0.0) {
      double elapsed = llmc_monotonic_seconds() - printer.start_seconds;
      if (elapsed > 0.0)
        fprintf(err, "achieved tok/s: %f\n",
                (double)(stats.forward_calls - 1) / elapsed);
    }
  }
  llmc_sampler_release(sampler);
  llmc_tokenizer_release(tokenizer);
  llmc_session_release(session);
  llmc_weights_release(weights);
  llmc_thread_pool_release(pool);
  if (status)
    return llmc_cli_fail(err, status);
  return LLMC_CLI_EXIT_OK;
}

int llmc_run_cli(const llmc_compiled_model_t *model, int argc, char **argv,
                 FILE *out, FILE *err) {
  llmc_cli_options_t options;
  memset(&options, 0, sizeof(options));
  options.steps = 256;
  options.temperature = 1.0f;
  options.top_p = 0.9f;
  options.top_k = 0;
  options.prompt_tokens = 64;
  options.gen_tokens = 64;
  options.threads = 1;
  options.repeats = 3;
  if (!llmc_cli_parse(argc, argv, err, &options)) {
    llmc_cli_usage(err);
    return LLMC_CLI_EXIT_USAGE;
  }
  if (options.help) {
    llmc_cli_usage(out);
    return LLMC_CLI_EXIT_OK;
  }
  if (!options.seed_given)
    options.seed = (uint64_t)time(NULL);
  char path_buffer[4096];
  const char *weights_path = options.weights_path;
  if (!weights_path)
    weights_path = llmc_cli_default_weights(argc > 0 ? argv[0] : NULL,
                                            path_buffer, sizeof(path_buffer));
  return llmc_cli_run(model, &options, weights_path, out, err);
}
