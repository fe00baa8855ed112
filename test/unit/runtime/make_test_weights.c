/* Host tool: writes the weights files of the test models (device tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmw_fixture.h"

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s fake TOK512_BIN OUT.llmw\n"
          "       %s stories260k STORIES260K_BIN TOK512_BIN OUT.llmw\n",
          argv0, argv0);
  return 2;
}

int main(int argc, char **argv) {
  uint8_t *model = NULL, *tok = NULL, *file = NULL;
  size_t model_size = 0, tok_size = 0, file_size = 0;
  const char *out = NULL;
  int failed = 1;
  if (argc == 4 && strcmp(argv[1], "fake") == 0) {
    out = argv[3];
    failed = llmw_fixture_read_file(argv[2], &tok, &tok_size) ||
             llmw_fixture_build_fake_model_file(
                 tok, tok_size, LLMW_FIXTURE_STORY, &file, &file_size);
  } else if (argc == 5 && strcmp(argv[1], "stories260k") == 0) {
    out = argv[4];
    failed = llmw_fixture_read_file(argv[2], &model, &model_size) ||
             llmw_fixture_read_file(argv[3], &tok, &tok_size) ||
             llmw_fixture_build_stories260k_file(model, model_size, tok,
                                                 tok_size, &file, &file_size);
  } else {
    return usage(argv[0]);
  }
  if (!failed)
    failed = llmw_fixture_write_file(out, file, file_size);
  free(model);
  free(tok);
  free(file);
  if (failed) {
    fprintf(stderr, "%s: cannot build %s\n", argv[0], out);
    return 1;
  }
  return 0;
}
