/* main() of llmc-run: binds the compiled model's symbols to the runtime CLI. */
#include <stdio.h>

#include "llmc/abi.h"
#include "llmc/cli.h"

int main(int argc, char **argv) {
  const llmc_compiled_model_t model = {llmc_model_info, llmc_model_forward,
                                       llmc_model_prefill};
  return llmc_run_cli(&model, argc, argv, stdout, stderr);
}
