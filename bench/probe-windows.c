/* How a long read compares with short probe passes on this machine.
 *
 * Reads the llmc bandwidth probe's buffer (llmc/bandwidth.h) PASSES times
 * back to back, one pass at a time, and records each pass's rate. Then, for
 * every window of W consecutive passes (a stand-in for a benchmark run that
 * does nothing but read), it compares the window's mean rate (its bytes over
 * its time, as a run's tokens/s averages over the run) with the statistics
 * `llmc-run --benchmark --bandwidth` takes from the probe passes around a
 * run: REPEATS passes right before the window and REPEATS right after it,
 *   - "fastest": the fastest of those passes (a peak);
 *   - "medians": the harmonic mean of the median pass before and the median
 *                pass after (what the benchmark's roofline uses).
 * A run that reads exactly as fast as the probe scores window / statistic;
 * the table prints the median and range of that ratio over the windows.
 *
 *   probe-windows [THREADS [MIB [PASSES [REPEATS [W...]]]]]
 *   defaults: 2 threads, 512 MiB, 600 passes, 3 repeats, W = 40 280
 */
#include "llmc/bandwidth.h"
#include "llmc/runtime.h"
#include "llmc/thread_pool.h"

#include <stdio.h>
#include <stdlib.h>

enum { kMaxPasses = 100000, kMaxWindows = 16 };

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/// Mean rate of passes [begin, end) of equal bytes: the harmonic mean.
static double mean_rate(const double *rates, int begin, int end) {
  double inverse = 0.0;
  for (int i = begin; i < end; ++i)
    inverse += 1.0 / rates[i];
  return (double)(end - begin) / inverse;
}

/// Median of rates[begin, end), sorted in `scratch`.
static double median(const double *rates, int begin, int end, double *scratch) {
  int n = end - begin;
  for (int i = 0; i < n; ++i)
    scratch[i] = rates[begin + i];
  qsort(scratch, (size_t)n, sizeof(double), compare_doubles);
  return scratch[n / 2];
}

static double fastest(const double *rates, int begin, int end) {
  double best = 0.0;
  for (int i = begin; i < end; ++i)
    best = rates[i] > best ? rates[i] : best;
  return best;
}

static int fail(const char *what, llmc_status_t status) {
  fprintf(stderr, "probe-windows: %s: %s\n", what,
          status ? llmc_status_message(status) : "invalid argument");
  llmc_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  long mib = argc > 2 ? atol(argv[2]) : 512;
  int passes = argc > 3 ? atoi(argv[3]) : 600;
  int repeats = argc > 4 ? atoi(argv[4]) : 3;
  int windows[kMaxWindows] = {40, 280};
  int window_count = 2;
  if (argc > 5) {
    window_count = 0;
    for (int i = 5; i < argc && window_count < kMaxWindows; ++i)
      windows[window_count++] = atoi(argv[i]);
  }
  if (threads < 1 || mib < 1 || passes < 1 || passes > kMaxPasses ||
      repeats < 1)
    return fail("usage: probe-windows [THREADS [MIB [PASSES [REPEATS "
                "[W...]]]]] (all >= 1, PASSES <= 100000)",
                NULL);
  for (int w = 0; w < window_count; ++w)
    if (windows[w] < 1 || windows[w] + 2 * repeats > passes)
      return fail("each window W needs W + 2 * REPEATS <= PASSES", NULL);

  llmc_thread_pool_t *pool = NULL;
  llmc_status_t status = LLMC_OK;
  if (threads > 1)
    status = llmc_thread_pool_create(threads, llmc_allocator_system(), &pool);
  if (status)
    return fail("thread pool", status);
  llmc_bandwidth_probe_t *probe = NULL;
  status = llmc_bandwidth_probe_create(pool, (size_t)mib << 20,
                                       llmc_allocator_system(), &probe);
  llmc_thread_pool_release(pool);
  if (status)
    return fail("probe", status);
  double *rates = malloc(sizeof(double) * (size_t)passes);
  double *peak = malloc(sizeof(double) * (size_t)passes);
  double *medians = malloc(sizeof(double) * (size_t)passes);
  double *scratch = malloc(sizeof(double) * (size_t)passes);
  if (!rates || !peak || !medians || !scratch) {
    llmc_bandwidth_probe_release(probe);
    return fail("out of memory", NULL);
  }
  for (int i = 0; !status && i < passes; ++i) {
    llmc_bandwidth_result_t result;
    status = llmc_bandwidth_probe_run(probe, 1, &result);
    if (!status)
      rates[i] = result.best_bytes_per_second;
  }
  llmc_bandwidth_probe_release(probe);
  if (status)
    return fail("probe pass", status);

  double typical = median(rates, 0, passes, scratch);
  printf("%d passes of %ld MiB, %d thread(s): GB/s min %.1f, median %.1f, "
         "max %.1f, mean %.1f\n\n",
         passes, mib, threads, scratch[0] * 1e-9, typical * 1e-9,
         scratch[passes - 1] * 1e-9, mean_rate(rates, 0, passes) * 1e-9);
  printf("| window (passes) | windows | window / fastest of %d around: "
         "median (range) | window / medians of %d before and %d after: "
         "median (range) |\n",
         2 * repeats, repeats, repeats);
  printf("| --- | --- | --- | --- |\n");
  for (int w = 0; w < window_count; ++w) {
    int length = windows[w], count = 0;
    for (int s = repeats; s + length + repeats <= passes; ++s, ++count) {
      double window = mean_rate(rates, s, s + length);
      double before = fastest(rates, s - repeats, s);
      double after = fastest(rates, s + length, s + length + repeats);
      peak[count] = window / (before > after ? before : after);
      // As llmc-run: the harmonic mean of the median pass before and the
      // median pass after.
      double inverse =
          1.0 / median(rates, s - repeats, s, scratch) +
          1.0 / median(rates, s + length, s + length + repeats, scratch);
      medians[count] = window / (2.0 / inverse);
    }
    qsort(peak, (size_t)count, sizeof(double), compare_doubles);
    qsort(medians, (size_t)count, sizeof(double), compare_doubles);
    printf("| %d | %d | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) |\n", length, count,
           peak[count / 2], peak[0], peak[count - 1], medians[count / 2],
           medians[0], medians[count - 1]);
  }
  free(rates);
  free(peak);
  free(medians);
  free(scratch);
  return 0;
}
