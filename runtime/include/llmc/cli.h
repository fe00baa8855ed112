/* The llmc-run command line, as a library function so tests can drive it. */
#ifndef LLMC_CLI_H_
#define LLMC_CLI_H_

#include <stdio.h>

#include "llmc/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Exit codes of llmc_run_cli.
#define LLMC_CLI_EXIT_OK 0
#define LLMC_CLI_EXIT_ERROR 1 /* a runtime error (file, model, generation) */
#define LLMC_CLI_EXIT_USAGE 2 /* bad command-line arguments */

/// Runs `llmc-run` with `argc`/`argv` on `model`, writing generated text (or
/// --info output, or --help) to `out` and errors and statistics to `err`.
/// Returns the process exit code (LLMC_CLI_EXIT_*). Usage:
///
///   llmc-run [--weights PATH] --prompt TEXT [--steps N] [--temperature T]
///            [--topp P] [--topk K] [--seed S] [--info] [--help]
///
/// The default weights path is model.llmw next to the executable
/// (/proc/self/exe).
int llmc_run_cli(const llmc_compiled_model_t *model, int argc, char **argv,
                 FILE *out, FILE *err);

#ifdef __cplusplus
} // extern "C"
#endif

#endif /* LLMC_CLI_H_ */
