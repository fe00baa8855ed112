// End to end: the runtime with a C reference forward pass of stories260K
// reproduces the reference greedy text of shared/models/README.md.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "llmc/cli.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"
#include "runtime_test_util.h"
#include "stories260k_model.h"

namespace {

using llmc_test::Buffer;
using llmc_test::SamplerPtr;
using llmc_test::SessionPtr;
using llmc_test::TokenizerPtr;
using llmc_test::WeightsPtr;

/// Greedy, BOS prepended, 64 steps, prompt "Once upon a time".
const char kReferenceText[] =
    "Once upon a time, there was a little girl named Lily. She loved to play "
    "outside in the park. One day, she saw a big, red ball. She wanted to "
    "play with it, but it was too high.\nLily";

llmc_status_t Append(void *user_data, const llmc_generate_event_t *event) {
  static_cast<std::string *>(user_data)->append(event->piece.data,
                                                event->piece.size);
  return LLMC_OK;
}

class Stories260kTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string dir = std::string(LLMC_TEST_MODELS_DIR) + "/stories260K/";
    uint8_t *model = nullptr, *tok = nullptr, *file = nullptr;
    size_t model_size = 0, tok_size = 0;
    if (llmw_fixture_read_file((dir + "stories260K.bin").c_str(), &model,
                               &model_size) ||
        llmw_fixture_read_file((dir + "tok512.bin").c_str(), &tok, &tok_size)) {
      std::free(model);
      GTEST_SKIP() << "missing stories260K in " << dir;
    }
    int failed = llmw_fixture_build_stories260k_file(model, model_size, tok,
                                                     tok_size, &file, &size_);
    std::free(model);
    std::free(tok);
    ASSERT_EQ(failed, 0);
    file_.reset(file);
    model_ = {stories260k_model_info, stories260k_model_forward};
    llmc_weights_t *weights = nullptr;
    LLMC_ASSERT_OK(llmc_weights_open_memory(file_.get(), size_,
                                            "stories260K.llmw",
                                            llmc_allocator_system(), &weights));
    weights_.reset(weights);
    llmc_session_t *session = nullptr;
    LLMC_ASSERT_OK(llmc_session_create(&model_, weights,
                                       llmc_allocator_system(), &session));
    session_.reset(session);
    llmc_tokenizer_t *tokenizer = nullptr;
    LLMC_ASSERT_OK(llmc_tokenizer_create_from_weights(
        weights, STORIES260K_VOCAB_SIZE, llmc_allocator_system(), &tokenizer));
    tokenizer_.reset(tokenizer);
  }

  Buffer file_;
  size_t size_ = 0;
  llmc_compiled_model_t model_;
  WeightsPtr weights_;
  SessionPtr session_;
  TokenizerPtr tokenizer_;
};

TEST_F(Stories260kTest, GreedyMatchesTheReference) {
  llmc_sampler_params_t params = llmc_sampler_params_default();
  params.temperature = 0.0f;
  llmc_sampler_t *sampler = nullptr;
  LLMC_ASSERT_OK(llmc_sampler_create(STORIES260K_VOCAB_SIZE, &params,
                                     llmc_allocator_system(), &sampler));
  SamplerPtr owner(sampler);
  std::string text;
  llmc_generate_stats_t stats;
  const std::string prompt = "Once upon a time";
  LLMC_ASSERT_OK(llmc_generate(session_.get(), tokenizer_.get(), sampler,
                               prompt.data(), prompt.size(), 64, Append, &text,
                               &stats));
  EXPECT_EQ(text, kReferenceText);
  EXPECT_EQ(stats.prompt_tokens, 5);
  EXPECT_EQ(stats.forward_calls, 64);
  EXPECT_EQ(stats.stop_token, -1);
}

TEST_F(Stories260kTest, ComputeLogitsPredictsTheReference) {
  // Teacher-forced logits of the reference text: greedy picks every next
  // token, so each row's argmax is the following token.
  const std::string text = kReferenceText;
  std::vector<int32_t> tokens(llmc_tokenizer_encode_capacity(text.size()));
  size_t count = 0;
  LLMC_ASSERT_OK(llmc_tokenizer_encode(tokenizer_.get(), text.data(),
                                       text.size(), LLMC_ENCODE_ADD_BOS,
                                       tokens.data(), tokens.size(), &count));
  tokens.resize(count);
  std::vector<float> logits(count * STORIES260K_VOCAB_SIZE);
  LLMC_ASSERT_OK(llmc_session_compute_logits(session_.get(), tokens.data(),
                                             count, logits.data()));
  for (size_t i = 4; i + 1 < count; ++i)
    EXPECT_EQ(llmc_argmax(&logits[i * STORIES260K_VOCAB_SIZE],
                          STORIES260K_VOCAB_SIZE),
              tokens[i + 1])
        << i;
}

TEST_F(Stories260kTest, CliPrintsTheReference) {
  std::string path = "/tmp/llmc-stories260k-test-" +
                     std::to_string(static_cast<long>(getpid())) + ".llmw";
  ASSERT_EQ(llmw_fixture_write_file(path.c_str(), file_.get(), size_), 0);
  std::vector<std::string> args = {
      "llmc-run",      "--weights", path,      "--prompt", "Once upon a time",
      "--temperature", "0",         "--steps", "64"};
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(&arg[0]);
  FILE *out = std::tmpfile();
  FILE *err = std::tmpfile();
  int code = llmc_run_cli(&model_, static_cast<int>(args.size()), argv.data(),
                          out, err);
  std::remove(path.c_str());
  std::string printed;
  std::rewind(out);
  char buffer[1024];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), out)) > 0)
    printed.append(buffer, n);
  std::fclose(out);
  std::fclose(err);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(printed, std::string(kReferenceText) + "\n");
}

} // namespace
